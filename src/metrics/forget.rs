//! Forgetting one service's gauges when a reload stops or restarts it.

use super::Metrics;
use super::labels::*;
use crate::config::Service;

impl Metrics {
    /// Drop `svc`'s per-service gauges (state, health, active pool, TTL,
    /// RTO, quorum, readiness, open incident), as seen from `vantages`, so a reload shows
    /// no removed service or pool. Counters and histograms keep counting.
    pub fn forget_service(&self, svc: &Service, vantages: &[String]) {
        let f = self.f();
        let service = || ServiceL {
            service: svc.name.clone(),
        };
        f.ttl.remove(&service());
        f.risk_window_end.remove(&service());
        f.rto.remove(&service());
        f.quorum_insufficient.remove(&service());
        f.service_ready.remove(&service());
        f.incident_open.remove(&service());
        for p in &svc.pools {
            f.active_pool.remove(&PoolL {
                service: svc.name.clone(),
                pool: p.name.clone(),
            });
            for health in POOL_HEALTHS {
                f.pool_health.remove(&PoolHealthL {
                    service: svc.name.clone(),
                    pool: p.name.clone(),
                    health,
                });
            }
            for (endpoint, vantage, state) in p
                .endpoints
                .iter()
                .flat_map(|e| vantages.iter().map(move |v| (e, v)))
                .flat_map(|(e, v)| OBSERVATION_STATES.map(|s| (e, v, s)))
            {
                f.observation_state.remove(&ObservationL {
                    service: svc.name.clone(),
                    pool: p.name.clone(),
                    endpoint: endpoint.clone(),
                    vantage: vantage.clone(),
                    state,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::PoolHealth;
    use crate::probe::EndpointState;

    #[test]
    fn a_forgotten_service_leaves_no_gauge_and_the_others_stay() {
        let m = Metrics::new();
        let gone = crate::test_support::service();
        let mut kept = crate::test_support::service();
        kept.name = "kept".into();
        for s in [&gone, &kept] {
            m.init_service(&s.name, s.rto);
            m.set_pool_health(&s.name, "primary", PoolHealth::Up);
            m.set_active_pool(&s.name, Some("primary"), &["primary", "standby"]);
            m.set_observation(&s.name, "primary", "127.0.0.2", "a", EndpointState::Up);
            m.set_service_ready(&s.name, true);
        }
        m.forget_service(&gone, &["a".to_string()]);
        let text = m.render();
        let gauges = |name: &str| {
            text.lines()
                .filter(|l| !l.starts_with('#') && l.contains(&format!("service=\"{name}\"")))
                .filter(|l| !l.contains("_total") && !l.contains("_bucket"))
                .filter(|l| !l.contains("_sum") && !l.contains("_count"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(gauges("checkout"), Vec::<String>::new(), "{text}");
        assert!(gauges("kept").len() >= 5, "{text}");
    }
}
