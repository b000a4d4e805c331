//! Shared fixtures for unit tests.

use std::path::PathBuf;
use std::time::Duration;

use rtoguard_provider_api::RecordType;

use crate::config::*;

/// A two-pool A-record service on 127.0.0.2 (primary) / 127.0.0.3 (standby).
pub fn service() -> Service {
    let pool = |name: &str, ip: &str| Pool {
        name: name.into(),
        region: name.into(),
        endpoints: vec![ip.into()],
        values: [(RecordType::A, vec![ip.into()])].into(),
        marker: Some(Marker::Header {
            name: "x-region".into(),
            value: name.into(),
        }),
        alias: None,
        resolve_endpoints: false,
    };
    Service {
        name: "checkout".into(),
        provider: "bind".into(),
        zone: "example.test.".into(),
        record: "checkout.example.test.".into(),
        rtype: RecordType::A,
        records: vec![crate::config::Member {
            name: "checkout.example.test.".into(),
            rtype: RecordType::A,
        }],
        rto: Duration::from_secs(300),
        ttl: Ttl {
            normal: 300,
            lowered: 30,
            restore_after: Duration::from_secs(60),
        },
        failback: Failback {
            mode: FailbackMode::Manual,
            stable_for: Duration::from_secs(300),
            steps: Vec::new(),
            step_hold: Duration::from_secs(120),
        },
        probe: Probe {
            timeout: Duration::from_secs(2),
            kind: ProbeKind::Tcp { port: 80 },
        },
        health: Health {
            interval: Duration::from_secs(5),
            fast_interval: Duration::from_secs(2),
            rise: 5,
            fall: 3,
            quorum: None,
            min_healthy: 1,
            max_age: None,
            accept_single_region_risk: false,
            watch: true,
        },
        damping: Damping {
            hold_down: Duration::from_secs(120),
            max_flips: 3,
            flip_window: Duration::from_secs(3600),
        },
        pools: vec![pool("primary", "127.0.0.2"), pool("standby", "127.0.0.3")],
        propagation: Propagation {
            resolvers: vec![],
            authoritatives: vec![],
            client_url: None,
            queries_per_second: 5,
            deadline: None,
        },
        risk_windows: Vec::new(),
        shared_risk: Default::default(),
    }
}

/// [`service`] as a record group: checkout A + AAAA and www CNAME, each
/// pool giving every type (127.0.0.N, 2001:db8::N, POOL.lb.example.net.).
pub fn dual_stack() -> Service {
    let mut svc = service();
    let member = |name: &str, rtype| Member {
        name: name.into(),
        rtype,
    };
    svc.records = vec![
        member("checkout.example.test.", RecordType::A),
        member("checkout.example.test.", RecordType::AAAA),
        member("www.example.test.", RecordType::CNAME),
    ];
    for (pool, n) in svc.pools.iter_mut().zip([2, 3]) {
        pool.values = [
            (RecordType::A, vec![format!("127.0.0.{n}")]),
            (RecordType::AAAA, vec![format!("2001:db8::{n}")]),
            (
                RecordType::CNAME,
                vec![format!("{}.lb.example.net.", pool.name)],
            ),
        ]
        .into();
    }
    svc
}

#[allow(dead_code)]
pub fn path() -> PathBuf {
    PathBuf::from("test.toml")
}
