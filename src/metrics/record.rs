//! One method per thing that happens, with plain arguments.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Metrics;
use super::labels::*;
use crate::controller::PoolHealth;
use crate::probe::EndpointState;

fn s(v: &str) -> String {
    v.to_string()
}

fn svc(service: &str) -> ServiceL {
    ServiceL {
        service: s(service),
    }
}

impl Metrics {
    /// Create a service's series before anything happens, so dashboards show
    /// zeros instead of gaps: its RTO, flip, incident and RTO counters, and
    /// `quorum_insufficient` at 0.
    pub fn init_service(&self, service: &str, rto: Duration) {
        let f = self.f();
        f.rto.get_or_create(&svc(service)).set(rto.as_secs_f64());
        let _ = f.rto_met.get_or_create(&svc(service));
        let _ = f.rto_missed.get_or_create(&svc(service));
        let _ = f.quorum_insufficient.get_or_create(&svc(service));
        let _ = f.incident_open.get_or_create(&svc(service));
        for kind in IncidentKind::ALL {
            let _ = f.incidents.get_or_create(&IncidentL {
                service: s(service),
                kind: kind.as_str(),
            });
        }
        for reason in FLIP_REASONS {
            for trigger in ["manual", "automatic"] {
                let _ = f.flips.get_or_create(&FlipL {
                    service: s(service),
                    reason: s(reason),
                    trigger,
                });
            }
        }
    }

    /// One probe's verdict and latency, from one vantage.
    pub fn probe(
        &self,
        service: &str,
        pool: &str,
        endpoint: &str,
        vantage: &str,
        ok: bool,
        latency: Duration,
    ) {
        let f = self.f();
        let result = if ok { "ok" } else { "fail" };
        let l = ProbeResultL {
            service: s(service),
            pool: s(pool),
            endpoint: s(endpoint),
            vantage: s(vantage),
            result,
        };
        f.probe_results.get_or_create(&l).inc();
        let l = EndpointL {
            service: s(service),
            pool: s(pool),
            endpoint: s(endpoint),
            vantage: s(vantage),
        };
        f.probe_duration
            .get_or_create(&l)
            .observe(latency.as_secs_f64());
    }

    /// A vantage's verdict on an endpoint (after hysteresis).
    pub fn set_observation(
        &self,
        service: &str,
        pool: &str,
        endpoint: &str,
        vantage: &str,
        state: EndpointState,
    ) {
        let now = match state {
            EndpointState::Unknown => "unknown",
            EndpointState::Up => "up",
            EndpointState::Down => "down",
        };
        for word in OBSERVATION_STATES {
            let l = ObservationL {
                service: s(service),
                pool: s(pool),
                endpoint: s(endpoint),
                vantage: s(vantage),
                state: word,
            };
            self.f()
                .observation_state
                .get_or_create(&l)
                .set(i64::from(word == now));
        }
    }

    /// A pool's health as this controller sees it.
    pub fn set_pool_health(&self, service: &str, pool: &str, health: PoolHealth) {
        let now = match health {
            PoolHealth::Unknown => "unknown",
            PoolHealth::Up => "up",
            PoolHealth::Suspect => "suspect",
            PoolHealth::Down => "down",
        };
        for word in POOL_HEALTHS {
            let l = PoolHealthL {
                service: s(service),
                pool: s(pool),
                health: word,
            };
            self.f()
                .pool_health
                .get_or_create(&l)
                .set(i64::from(word == now));
        }
    }

    /// The pool the record serves now (None: no pool's records are served):
    /// 1 for it, 0 for every other pool of the service.
    pub fn set_active_pool<P: AsRef<str>>(
        &self,
        service: &str,
        active: Option<&str>,
        all_pools: &[P],
    ) {
        for pool in all_pools {
            let pool = pool.as_ref();
            let l = PoolL {
                service: s(service),
                pool: s(pool),
            };
            self.f()
                .active_pool
                .get_or_create(&l)
                .set(i64::from(Some(pool) == active));
        }
    }

    /// One flip done at the provider. `reason` is the controller's reason
    /// word (`active_down`, `manual`, `failback`, `planned`, `reconcile`).
    pub fn flip(&self, service: &str, reason: &str, manual: bool) {
        let trigger = if manual { "manual" } else { "automatic" };
        self.f()
            .flips
            .get_or_create(&FlipL {
                service: s(service),
                reason: s(reason),
                trigger,
            })
            .inc();
    }

    /// The TTL the record is published with now, in seconds.
    pub fn set_ttl(&self, service: &str, ttl: u32) {
        self.f()
            .ttl
            .get_or_create(&svc(service))
            .set(i64::from(ttl));
    }

    /// The end of the service's risk window (`None`: none open).
    pub fn set_risk_end(&self, service: &str, until: Option<std::time::SystemTime>) {
        let secs = until
            .and_then(|u| u.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.f()
            .risk_window_end
            .get_or_create(&svc(service))
            .set(secs);
    }

    /// An incident opened: counted, and `incident_open` is 1 until it ends.
    pub fn incident_started(&self, service: &str, kind: IncidentKind) {
        let l = IncidentL {
            service: s(service),
            kind: kind.as_str(),
        };
        self.f().incidents.get_or_create(&l).inc();
        self.f().incident_open.get_or_create(&svc(service)).set(1);
    }

    /// An incident ended without a recovery to measure (the fault cleared
    /// on its own): `incident_open` back to 0.
    pub fn incident_ended(&self, service: &str) {
        self.f().incident_open.get_or_create(&svc(service)).set(0);
    }

    /// An incident ended with clients on a healthy pool after `took`; counts
    /// it as met or missed against `rto` and closes `incident_open`. Returns true when the RTO was met.
    pub fn incident_recovered(&self, service: &str, took: Duration, rto: Duration) -> bool {
        let f = self.f();
        f.incident_recovery
            .get_or_create(&svc(service))
            .observe(took.as_secs_f64());
        f.incident_open.get_or_create(&svc(service)).set(0);
        let met = took <= rto;
        let counter = if met { &f.rto_met } else { &f.rto_missed };
        counter.get_or_create(&svc(service)).inc();
        met
    }

    /// One provider call: `op` is one of [`OPS`](super::OPS).
    pub fn provider_request(
        &self,
        provider: &str,
        op: &'static str,
        result: RequestResult,
        took: Duration,
    ) {
        let f = self.f();
        let l = ProviderResultL {
            provider: s(provider),
            op,
            result: result.as_str(),
        };
        f.provider_requests.get_or_create(&l).inc();
        let l = ProviderOpL {
            provider: s(provider),
            op,
        };
        f.provider_duration
            .get_or_create(&l)
            .observe(took.as_secs_f64());
    }

    /// A propagation phase completed `took` after the flip.
    pub fn propagation_phase(&self, service: &str, phase: Phase, took: Duration) {
        let l = PhaseL {
            service: s(service),
            phase: phase.as_str(),
        };
        self.f()
            .propagation_phase
            .get_or_create(&l)
            .observe(took.as_secs_f64());
    }

    /// A successful exchange with peer controller `peer` at `at`.
    pub fn peer_success(&self, peer: &str, at: SystemTime) {
        let t = at
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        self.f()
            .peer_last_success
            .get_or_create(&PeerL { peer: s(peer) })
            .set(t);
    }

    /// Peer `peer`'s clock minus ours, in ms, when measured (None: not yet).
    pub fn peer_clock_skew(&self, peer: &str, skew_ms: Option<i64>) {
        if let Some(ms) = skew_ms {
            self.f()
                .peer_clock_skew
                .get_or_create(&PeerL { peer: s(peer) })
                .set(ms as f64 / 1000.0);
        }
    }

    /// One journal commit took `took`.
    pub fn journal_write(&self, took: Duration) {
        self.f().journal_write.observe(took.as_secs_f64());
    }

    /// A probe started `late` after its planned time.
    pub fn probe_lateness(&self, late: Duration) {
        self.f().probe_lateness.observe(late.as_secs_f64());
    }

    /// 1 once `service` is ready (provider read, every pool's health known).
    pub fn set_service_ready(&self, service: &str, ready: bool) {
        self.f()
            .service_ready
            .get_or_create(&svc(service))
            .set(i64::from(ready));
    }

    /// Whether too few vantages have fresh observations to decide.
    pub fn set_quorum_insufficient(&self, service: &str, insufficient: bool) {
        self.f()
            .quorum_insufficient
            .get_or_create(&svc(service))
            .set(i64::from(insufficient));
    }

    /// `region` is evacuated for `service` until `until` (`None`: until `--end`).
    pub fn evacuation_started(&self, service: &str, region: &str, until: Option<SystemTime>) {
        let end = until
            .and_then(|u| u.duration_since(UNIX_EPOCH).ok())
            .map_or(0.0, |d| d.as_secs_f64());
        let labels = RegionL {
            service: s(service),
            region: s(region),
        };
        self.f().evacuation_end.get_or_create(&labels).set(end);
    }

    /// The evacuation of `region` ended for `service`.
    pub fn evacuation_ended(&self, service: &str, region: &str) {
        let labels = RegionL {
            service: s(service),
            region: s(region),
        };
        self.f().evacuation_end.remove(&labels);
    }

    /// Drop every per-service gauge (state, health, active pool, TTL, RTO,
    /// quorum) so a reloaded config shows no removed service or pool.
    /// Counters and histograms keep counting.
    pub fn forget_service_state(&self) {
        let f = self.f();
        f.observation_state.clear();
        f.pool_health.clear();
        f.active_pool.clear();
        f.ttl.clear();
        f.rto.clear();
        f.quorum_insufficient.clear();
        self.forget_impaired();
    }
}
