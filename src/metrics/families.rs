//! The metric families, their buckets and help texts.

// prometheus-client ends every help text with a period: none here.

use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::labels::*;

type Hist<L> = Family<L, Histogram, fn() -> Histogram>;

/// Probe latency: 5 ms to 10 s.
fn probe_buckets() -> Histogram {
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

/// Provider calls: 10 ms to 2 min (waiting in sync can take long).
fn provider_buckets() -> Histogram {
    Histogram::new([
        0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
    ])
}

/// Recovery: 10 s to 2 h.
fn recovery_buckets() -> Histogram {
    Histogram::new([
        10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    ])
}

/// Propagation phases: 100 ms to 30 min.
fn phase_buckets() -> Histogram {
    Histogram::new([
        0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
    ])
}

/// Probe scheduling lateness: 1 ms to 5 s.
fn lateness_buckets() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ])
}

/// Journal commits: 0.5 ms to 1 s.
fn journal_buckets() -> Histogram {
    Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
    ])
}

pub(super) struct Families {
    pub probe_results: Family<ProbeResultL, Counter>,
    pub probe_duration: Hist<EndpointL>,
    pub observation_state: Family<ObservationL, Gauge>,
    pub pool_health: Family<PoolHealthL, Gauge>,
    pub active_pool: Family<PoolL, Gauge>,
    pub flips: Family<FlipL, Counter>,
    pub ttl: Family<ServiceL, Gauge>,
    pub incidents: Family<IncidentL, Counter>,
    pub incident_open: Family<ServiceL, Gauge>,
    pub incident_recovery: Hist<ServiceL>,
    pub rto: Family<ServiceL, Gauge<f64, AtomicU64>>,
    pub rto_met: Family<ServiceL, Counter>,
    pub rto_missed: Family<ServiceL, Counter>,
    pub provider_requests: Family<ProviderResultL, Counter>,
    pub provider_duration: Hist<ProviderOpL>,
    pub propagation_phase: Hist<PhaseL>,
    pub peer_last_success: Family<PeerL, Gauge<f64, AtomicU64>>,
    pub peer_clock_skew: Family<PeerL, Gauge<f64, AtomicU64>>,
    pub journal_write: Histogram,
    pub probe_lateness: Histogram,
    pub quorum_insufficient: Family<ServiceL, Gauge>,
    pub service_ready: Family<ServiceL, Gauge>,
    pub vantage_impaired: Family<VantageL, Gauge>,
    pub dns_replies_ignored: Counter,
    pub evacuation_end: Family<RegionL, Gauge<f64, AtomicU64>>,
    pub risk_window_end: Family<ServiceL, Gauge>,
}

impl Families {
    pub fn new() -> Self {
        Self {
            probe_results: Family::default(),
            probe_duration: Family::new_with_constructor(probe_buckets),
            observation_state: Family::default(),
            pool_health: Family::default(),
            active_pool: Family::default(),
            flips: Family::default(),
            ttl: Family::default(),
            incidents: Family::default(),
            incident_open: Family::default(),
            incident_recovery: Family::new_with_constructor(recovery_buckets),
            rto: Family::default(),
            rto_met: Family::default(),
            rto_missed: Family::default(),
            provider_requests: Family::default(),
            provider_duration: Family::new_with_constructor(provider_buckets),
            propagation_phase: Family::new_with_constructor(phase_buckets),
            peer_last_success: Family::default(),
            peer_clock_skew: Family::default(),
            journal_write: journal_buckets(),
            probe_lateness: lateness_buckets(),
            quorum_insufficient: Family::default(),
            service_ready: Family::default(),
            vantage_impaired: Family::default(),
            dns_replies_ignored: Counter::default(),
            evacuation_end: Family::default(),
            risk_window_end: Family::default(),
        }
    }

    /// Register clones (sharing the values) under their names and help texts.
    pub fn register(&self, r: &mut Registry) {
        self.register_health(r);
        self.register_outcomes(r);
    }

    /// Probes, observations, pools, flips and TTL.
    fn register_health(&self, r: &mut Registry) {
        let s = Unit::Seconds;
        r.register(
            "probe_results",
            "Probes run, by endpoint, vantage and result (ok or fail)",
            self.probe_results.clone(),
        );
        r.register_with_unit(
            "probe_duration",
            "Time from a probe's start to its verdict",
            s.clone(),
            self.probe_duration.clone(),
        );
        r.register("observation_state", "Each vantage's verdict on each endpoint after hysteresis: 1 for the current state (unknown, up, down), 0 for the others", self.observation_state.clone());
        r.register("pool_health", "Each pool's health: 1 for the current one (unknown, up, suspect, down), 0 for the others", self.pool_health.clone());
        r.register(
            "active_pool",
            "The pool the record serves now: 1 for the active pool, 0 for the others",
            self.active_pool.clone(),
        );
        r.register("flips", "Flips of a service's record to another pool, by reason and trigger (manual or automatic)", self.flips.clone());
        r.register_with_unit(
            "ttl",
            "The TTL the record is published with now",
            s.clone(),
            self.ttl.clone(),
        );
        r.register_with_unit(
            "risk_window_end",
            "When the service's risk window ends (Unix time; the TTL stays lowered until then), 0 with none",
            s.clone(),
            self.risk_window_end.clone(),
        );
    }

    /// Incidents, RTO, providers, propagation, peers, journal and quorum.
    fn register_outcomes(&self, r: &mut Registry) {
        let s = Unit::Seconds;
        r.register(
            "incidents",
            "Incidents opened, by kind (incident, drill, manual)",
            self.incidents.clone(),
        );
        r.register("incident_open", "1 while an incident of the service is open (from the first failed probe until clients reach a healthy pool or the fault clears)", self.incident_open.clone());
        r.register_with_unit(
            "incident_recovery",
            "Time from an incident's start to clients reaching a healthy pool",
            s.clone(),
            self.incident_recovery.clone(),
        );
        r.register_with_unit(
            "rto",
            "The service's Recovery Time Objective",
            s.clone(),
            self.rto.clone(),
        );
        r.register(
            "rto_met",
            "Recovered incidents that met the service's RTO",
            self.rto_met.clone(),
        );
        r.register(
            "rto_missed",
            "Recovered incidents that missed the service's RTO",
            self.rto_missed.clone(),
        );
        r.register(
            "provider_requests",
            "Calls to a DNS provider, by operation and result (ok, error, throttled, conflict)",
            self.provider_requests.clone(),
        );
        r.register_with_unit(
            "provider_request_duration",
            "Time a DNS provider call took, retries included",
            s.clone(),
            self.provider_duration.clone(),
        );
        r.register_with_unit("propagation_phase", "Time from a flip until each propagation phase completed (provider_sync, authoritative, resolver, client)", s.clone(), self.propagation_phase.clone());
        r.register_with_unit(
            "peer_last_success_timestamp",
            "Unix time of the last successful exchange with each peer controller",
            s.clone(),
            self.peer_last_success.clone(),
        );
        r.register_with_unit(
            "peer_clock_skew",
            "Each peer's clock minus ours, measured on the last good pull (beyond its max_clock_skew it is stale)",
            s.clone(),
            self.peer_clock_skew.clone(),
        );
        r.register_with_unit(
            "journal_write",
            "Time to commit one journal entry",
            s.clone(),
            self.journal_write.clone(),
        );
        r.register_with_unit(
            "probe_lateness",
            "How late each probe started against its planned time (this host's scheduler falling behind, not the endpoint)",
            s,
            self.probe_lateness.clone(),
        );
        r.register("service_ready", "1 once the service's provider answered an authenticated read and every pool's health is known", self.service_ready.clone());
        r.register("quorum_insufficient", "1 when too few vantages have fresh observations to decide a service's failover; nothing flips automatically then", self.quorum_insufficient.clone());
        r.register("dns_replies_ignored", "DNS messages received that did not answer our query (another ID, QR clear, another opcode or question, garbage), by probes, provider reads and propagation watches: ignored, never taken as an answer", self.dns_replies_ignored.clone());
        r.register("evacuation_end_timestamp_seconds", "While a region is evacuated for a service: when the evacuation ends by itself (Unix time), 0 when it lasts until evacuate --end; no series otherwise", self.evacuation_end.clone());
        r.register("vantage_impaired", "1 while this vantage cannot probe for reasons of its own (descriptors, buffers, source address, a late scheduler); it publishes unknown, never down, meanwhile", self.vantage_impaired.clone());
    }
}
