//! The config turned into what the probe layer and the controller take.

use std::net::IpAddr;
use std::sync::Arc;

use crate::config::{ProbeKind, Service};
use crate::controller::Policy;
use crate::probe::{Hysteresis, ProbeSpec, Target};

/// The probe of `svc` as the probe layer takes it.
pub fn probe_spec(svc: &Service) -> ProbeSpec {
    match &svc.probe.kind {
        ProbeKind::Http {
            tls,
            port,
            path,
            expect_status,
            body_contains,
            header,
            host,
            ca_file,
        } => ProbeSpec::Http {
            tls: *tls,
            port: *port,
            path: path.clone(),
            host: host
                .clone()
                .unwrap_or_else(|| svc.record.trim_end_matches('.').to_string()),
            expect_status: expect_status.clone(),
            body_contains: body_contains.clone(),
            header: header.clone(),
            ca_file: ca_file.clone(),
        },
        ProbeKind::Tcp { port } => ProbeSpec::Tcp { port: *port },
        ProbeKind::Dns {
            port,
            query_name,
            query_type,
        } => ProbeSpec::Dns {
            port: *port,
            query_name: query_name.clone(),
            query_type: match query_type {
                rtoguard_provider_api::RecordType::A => hickory_proto::rr::RecordType::A,
                rtoguard_provider_api::RecordType::AAAA => hickory_proto::rr::RecordType::AAAA,
                rtoguard_provider_api::RecordType::CNAME => hickory_proto::rr::RecordType::CNAME,
            },
        },
    }
}

/// Every endpoint of every pool of `svc`, to probe, sent from `source`
/// (`controller.probe_source`) when set.
pub fn targets(svc: &Service, source: Option<IpAddr>) -> Vec<Target> {
    let spec = Arc::new(probe_spec(svc));
    svc.pools
        .iter()
        .flat_map(|p| {
            p.endpoints.iter().map(|e| Target {
                service: svc.name.clone(),
                pool: p.name.clone(),
                endpoint: e.clone(),
                spec: spec.clone(),
                interval: svc.health.interval,
                fast_interval: svc.health.fast_interval,
                rules: hysteresis(svc),
                timeout: svc.probe.timeout,
                source,
                watch: svc.health.watch,
                resolve_via: resolve_via(svc, p),
            })
        })
        .collect()
}

/// The resolvers a pool's host-name endpoints are resolved through: the
/// service's `propagation.resolvers` for an alias pool probed by name
/// (its target, or its `probe_host`); else none (the system resolves).
pub fn resolve_via(svc: &Service, pool: &crate::config::Pool) -> Vec<std::net::SocketAddr> {
    if !pool.resolve_endpoints {
        return Vec::new();
    }
    svc.propagation
        .resolvers
        .iter()
        .map(|r| r.address)
        .collect()
}

/// The rise/fall rules of `svc`.
pub fn hysteresis(svc: &Service) -> Hysteresis {
    Hysteresis {
        rise: svc.health.rise,
        fall: svc.health.fall,
    }
}

/// The controller policy of `svc`.
pub fn policy(svc: &Service) -> Policy {
    Policy {
        pools: svc.pools.iter().map(|p| p.name.clone()).collect(),
        ttl_normal: svc.ttl.normal,
        ttl_lowered: svc.ttl.lowered,
        restore_after: svc.ttl.restore_after,
        failback_mode: svc.failback.mode,
        stable_for: svc.failback.stable_for,
        hold_down: svc.damping.hold_down,
        max_flips: svc.damping.max_flips,
        flip_window: svc.damping.flip_window,
        retry_after: svc.health.interval.max(std::time::Duration::from_secs(5)),
        // The provider's own floor replaces this once it is built.
        ttl_floor: 1,
        local: crate::controller::Local::new(&svc.name, svc.rto),
        steps: svc.failback.steps.clone(),
        step_hold: svc.failback.step_hold,
        regions: svc.pools.iter().map(|p| p.region.clone()).collect(),
        schedule: svc.risk_windows.clone(),
        shared_risk: svc.shared_risk.clone(),
    }
}

/// The process-wide probe limits for `cfg`: the start rate is capped at one
/// and a half times what the config asks for on average, plus the largest
/// pool re-probed at its fast interval (a region failing at once puts every
/// endpoint of it in doubt), so a large config cannot burst, yet every probe
/// fits; the in-flight cap leaves room for that rate with every probe running
/// to its timeout.
pub fn limits(cfg: &crate::config::Config) -> crate::probe::Limits {
    let per_second =
        |n: usize, every: std::time::Duration| n as f64 / every.as_secs_f64().max(0.001);
    let base: f64 = cfg
        .services
        .iter()
        .map(|s| {
            let n = s.pools.iter().map(|p| p.endpoints.len()).sum::<usize>();
            per_second(n, s.health.interval)
        })
        .sum();
    let fast = cfg
        .services
        .iter()
        .flat_map(|s| {
            s.pools
                .iter()
                .map(|p| per_second(p.endpoints.len(), s.health.fast_interval))
        })
        .fold(0.0, f64::max);
    let starts = base * 1.5 + fast;
    let longest = cfg
        .services
        .iter()
        .map(|s| s.probe.timeout.as_secs_f64())
        .fold(1.0, f64::max);
    crate::probe::Limits {
        max_in_flight: ((starts * longest).ceil() as usize).clamp(64, 8192),
        starts_per_second: (starts.ceil() as u32).max(100),
    }
}

#[cfg(test)]
mod limit_tests {
    #[test]
    #[cfg_attr(
        not(all(feature = "route53", feature = "cloudflare")),
        ignore = "needs every provider built in"
    )]
    fn limits_leave_room_for_the_configured_rate() {
        let mut cfg = crate::config::parse(
            std::path::Path::new("t.toml"),
            include_str!("../../config.toml.example"),
        )
        .expect("example config");
        let l = super::limits(&cfg);
        assert!(l.starts_per_second >= 100 && l.max_in_flight >= 64);
        // 2,000 endpoints at 1 s: at least 2,000 starts a second fit.
        let svc = cfg.services[0].clone();
        cfg.services = (0..20)
            .map(|i| {
                let mut s = svc.clone();
                s.name = format!("s{i}");
                s.health.interval = std::time::Duration::from_secs(1);
                for p in &mut s.pools {
                    p.endpoints = (0..50).map(|e| format!("127.1.{i}.{e}")).collect();
                }
                s
            })
            .collect();
        let l = super::limits(&cfg);
        assert!(l.starts_per_second >= 2000, "{l:?}");
        assert!(l.max_in_flight >= 2000, "{l:?}");
        // ... and a pool of 50 re-probed every 100 ms on top (500 a second)
        for s in &mut cfg.services {
            s.health.fast_interval = std::time::Duration::from_millis(100);
        }
        let fast = super::limits(&cfg);
        // 1.5 × 2,000 a second at the interval, + 50 endpoints every 100 ms
        assert!(fast.starts_per_second >= 3500, "{fast:?}");
        assert!(fast.max_in_flight >= 3500, "{fast:?}");
    }
}
