//! The vantage's own trouble: probes it could not run, and `vantage_impaired`.

use super::Metrics;
use super::labels::{ProbeResultL, VantageL};

impl Metrics {
    /// One probe this vantage could not run (a local failure): counted in
    /// `probe_results_total` with `result="local"`, and no latency.
    pub fn probe_local(&self, service: &str, pool: &str, endpoint: &str, vantage: &str) {
        let l = ProbeResultL {
            service: service.to_string(),
            pool: pool.to_string(),
            endpoint: endpoint.to_string(),
            vantage: vantage.to_string(),
            result: "local",
        };
        self.f().probe_results.get_or_create(&l).inc();
    }

    /// Whether `service`'s probes find this vantage impaired; the gauge
    /// `vantage_impaired{vantage}` is 1 while any service does.
    pub fn set_vantage_impaired(&self, vantage: &str, service: &str, impaired: bool) {
        // A poisoned lock only means another thread panicked mid-update of
        // this set of names; the set itself is still usable.
        let mut set = self
            .inner
            .impaired
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if impaired {
            set.insert(service.to_string());
        } else {
            set.remove(service);
        }
        let l = VantageL {
            vantage: vantage.to_string(),
        };
        self.f()
            .vantage_impaired
            .get_or_create(&l)
            .set(i64::from(!set.is_empty()));
    }

    /// After a reload: no service is impaired until its probes say so again
    /// (each service re-asserts its view on every health tick).
    pub(super) fn forget_impaired(&self) {
        self.inner
            .impaired
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self.f().vantage_impaired.clear();
    }
}
