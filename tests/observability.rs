//! Metrics and webhooks during a real failover: the daemon against BIND and
//! two regions, a Prometheus scrape, and webhook receivers started here.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::Testbed;
use common::daemon::{Daemon, all_up, wait_for};
use common::webhook::receiver;
use hickory_proto::rr::RecordType;

fn scrape(addr: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Flips of checkout, over every reason and trigger.
fn flips(metrics: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("rtoguard_flips_total{service=\"checkout\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn value(metrics: &str, prefix: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[test]
fn metrics_and_webhooks_follow_a_failover_and_a_hung_receiver_delays_nothing() {
    let mut tb = Testbed::start_with(
        4,
        1,
        "1s",
        "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 3, flip_window = \"1h\" }",
    );
    let (good, got) = receiver(false);
    let (hung, _) = receiver(true);
    let metrics_addr = format!(
        "127.0.0.1:{}",
        rtoguard_testkit::net::free_port(rtoguard_testkit::net::lo(1))
    );
    let text = std::fs::read_to_string(&tb.config).unwrap();
    let text = text.replacen("[providers.bind]", &format!("[[notify.webhooks]]\nurl = \"{hung}\"\ntimeout = \"30s\"\nretries = 0\n\n[[notify.webhooks]]\nurl = \"{good}\"\n\n[providers.bind]"), 1);
    let text = text.replacen(
        "control_socket =",
        &format!("metrics_listen = \"{metrics_addr}\"\ncontrol_socket ="),
        1,
    );
    std::fs::write(&tb.config, text).unwrap();
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    let before = scrape(&metrics_addr);
    assert_eq!(flips(&before), 0.0, "no flip yet:\n{before}");
    assert_eq!(
        value(
            &before,
            "rtoguard_active_pool{service=\"checkout\",pool=\"primary\"}"
        ),
        Some(1.0),
        "{before}"
    );
    let fault = Instant::now();
    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || {
            tb.bind
                .query("checkout.example.test.", RecordType::A)
                .values
                == ["127.0.0.3"]
        },
        || d.log_text(),
    );
    // The hung receiver (30 s timeout) did not hold the flip up.
    assert!(
        fault.elapsed() < Duration::from_secs(10),
        "flip took {:?}",
        fault.elapsed()
    );
    wait_for(
        Duration::from_secs(10),
        || flips(&scrape(&metrics_addr)) >= 1.0,
        || scrape(&metrics_addr),
    );
    let after = scrape(&metrics_addr);
    assert_eq!(flips(&after), 1.0, "{after}");
    assert!(after.contains("rtoguard_flips_total{service=\"checkout\",reason=\"active_down\",trigger=\"automatic\"} 1"), "{after}");
    assert_eq!(
        value(
            &after,
            "rtoguard_active_pool{service=\"checkout\",pool=\"standby\"}"
        ),
        Some(1.0),
        "{after}"
    );
    assert_eq!(
        value(
            &after,
            "rtoguard_active_pool{service=\"checkout\",pool=\"primary\"}"
        ),
        Some(0.0),
        "{after}"
    );
    for family in [
        "rtoguard_probe_results_total",
        "rtoguard_probe_duration_seconds",
        "rtoguard_pool_health",
        "rtoguard_ttl_seconds",
        "rtoguard_provider_requests_total",
        "rtoguard_incidents_total",
        "rtoguard_rto_seconds",
    ] {
        assert!(after.contains(family), "{family} missing:\n{after}");
    }
    // Webhooks: incident, then flip, then recovery, each with the incident id.
    wait_for(
        Duration::from_secs(15),
        || got.lock().unwrap().iter().any(|b| b["event"] == "recovery"),
        || format!("{:?}\n{}", got.lock().unwrap(), d.log_text()),
    );
    let bodies = got.lock().unwrap().clone();
    let events: Vec<&str> = bodies.iter().filter_map(|b| b["event"].as_str()).collect();
    let pos = |e: &str| {
        events
            .iter()
            .position(|x| *x == e)
            .unwrap_or_else(|| panic!("no {e} in {events:?}"))
    };
    assert!(
        pos("incident") < pos("flip") && pos("flip") < pos("recovery"),
        "{events:?}"
    );
    let id = bodies[0]["incident"].as_str().unwrap().to_string();
    assert!(
        !id.is_empty() && bodies.iter().all(|b| b["incident"] == id.as_str()),
        "{bodies:?}"
    );
    assert!(
        bodies.iter().all(|b| b["summary"]
            .as_str()
            .is_some_and(|s| s.contains("checkout"))),
        "{bodies:?}"
    );
    // The dashboard queries only metrics the daemon exposes (after a whole incident).
    let now = scrape(&metrics_addr);
    let dash: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/contrib/grafana-dashboard.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let text = dash.to_string();
    for name in text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("rtoguard_"))
        .collect::<std::collections::BTreeSet<_>>()
    {
        let base = name
            .trim_end_matches("_bucket")
            .trim_end_matches("_count")
            .trim_end_matches("_sum");
        if base.starts_with("rtoguard_peer_") {
            continue; // needs peers: this single controller has none (the metrics unit tests cover it)
        }
        assert!(
            now.contains(base),
            "dashboard queries {name}, which the daemon does not expose"
        );
    }
    d.stop();
}
