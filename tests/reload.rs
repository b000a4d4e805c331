//! Reload without amnesia: `rtoguard run` against BIND 9 and two HTTP
//! regions, reloaded with SIGHUP while its status is polled.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::daemon::{Daemon, wait_for};
use common::{Testbed, config_text, run, shared_port};
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::net::lo;
use rtoguard_testkit::region::Region;

const HEALTH: &str = "health = { interval = \"500ms\", rise = 2, fall = 2 }";

/// A second service, `cart`, on the same regions; `rto` is what a reload changes.
fn cart(port: u16, rto: &str) -> String {
    format!(
        r#"
[[services]]
name = "cart"
provider = "bind"
zone = "example.test."
record = "cart.example.test."
type = "A"
rto = "{rto}"
ttl = {{ normal = "4s", lowered = "1s", restore_after = "1s" }}
probe = {{ type = "http", port = {port}, path = "/healthz", timeout = "300ms" }}
{HEALTH}

[[services.pools]]
name = "primary"
region = "region-a"
endpoints = ["127.0.0.2"]

[[services.pools]]
name = "standby"
region = "region-b"
endpoints = ["127.0.0.3"]
"#
    )
}

/// BIND serving `checkout` and `cart`, both regions, and a config with both services.
fn testbed() -> Testbed {
    let bind = Bind::start(
        "example.test.",
        &["checkout 4 IN A 127.0.0.2", "cart 4 IN A 127.0.0.2"],
    );
    let port = shared_port();
    let primary = Region::start_at(SocketAddr::new(lo(2), port), "primary");
    let standby = Region::start_at(SocketAddr::new(lo(3), port), "standby");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    let text = config_text(
        &bind,
        &bind.secret_file(),
        dir.path(),
        port,
        4,
        1,
        "1s",
        HEALTH,
    );
    std::fs::write(&config, format!("{text}{}", cart(port, "5m"))).expect("write config");
    Testbed {
        bind,
        primary,
        standby,
        dir,
        config,
        port,
    }
}

/// Each service's pool healths, as `status --json` shows them now.
fn healths(tb: &Testbed) -> Vec<(String, Vec<String>)> {
    let out = run(&["status", "--json", "--config", tb.config_str()]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|s| {
            let pools = s["pools"].as_array().cloned().unwrap_or_default();
            let h = pools
                .iter()
                .map(|p| p["health"].as_str().unwrap_or("?").to_string())
                .collect();
            (s["service"].as_str().unwrap_or("?").to_string(), h)
        })
        .collect()
}

fn all_up(tb: &Testbed, service: &str) -> bool {
    healths(tb)
        .iter()
        .any(|(s, h)| s == service && !h.is_empty() && h.iter().all(|h| h == "up"))
}

/// `text` without terminal colour codes.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| *c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

/// Lines of the daemon's log saying `service` started.
fn starts(log: &str, service: &str) -> usize {
    plain(log)
        .lines()
        .filter(|l| l.contains("Service started.") && l.contains(&format!("service={service} ")))
        .count()
}

#[test]
fn reload_keeps_an_unchanged_service_and_restarts_a_changed_one() {
    let tb = testbed();
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(15),
        || all_up(&tb, "checkout") && all_up(&tb, "cart"),
        || d.log_text(),
    );
    let text = std::fs::read_to_string(&tb.config).unwrap();
    std::fs::write(
        &tb.config,
        text.replace(&cart(tb.port, "5m"), &cart(tb.port, "7m")),
    )
    .unwrap();
    d.signal("HUP");
    // Poll through the reload and a few health intervals after it.
    let mut seen = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        seen.extend(healths(&tb));
    }
    wait_for(
        Duration::from_secs(10),
        || d.log_text().contains("Config reloaded"),
        || d.log_text(),
    );
    seen.extend(healths(&tb));
    let checkout: Vec<_> = seen.iter().filter(|(s, _)| s == "checkout").collect();
    assert!(checkout.len() > 3, "too few samples: {seen:?}");
    assert!(
        checkout.iter().all(|(_, h)| h.iter().all(|h| h == "up")),
        "the unchanged service's health left up during the reload: {checkout:?}\n{}",
        d.log_text()
    );
    let log = d.log_text();
    assert_eq!(starts(&log, "checkout"), 1, "checkout restarted:\n{log}");
    assert_eq!(starts(&log, "cart"), 2, "cart was not restarted:\n{log}");
    wait_for(
        Duration::from_secs(10),
        || all_up(&tb, "cart"),
        || d.log_text(),
    );
    d.stop();
}

/// `GET /metrics` at `addr`, or `None` when nothing answers there.
fn scrape(addr: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn services(tb: &Testbed) -> Vec<String> {
    healths(tb).into_iter().map(|(s, _)| s).collect()
}

#[test]
fn reloads_that_remove_add_move_metrics_or_fail_to_start_peers_never_stop_the_daemon() {
    let tb = testbed();
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(15),
        || all_up(&tb, "cart"),
        || d.log_text(),
    );
    let full = std::fs::read_to_string(&tb.config).unwrap();
    let reload = |text: &str, n: usize| {
        std::fs::write(&tb.config, text).unwrap();
        d.signal("HUP");
        wait_for(
            Duration::from_secs(15),
            || plain(&d.log_text()).matches("Config reloaded.").count() >= n,
            || d.log_text(),
        );
    };
    // Peers that cannot start (their port is taken): the old config stays.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let token = tb.dir.path().join("peer.token");
    std::fs::write(&token, "a-peer-token-of-some-length\n").unwrap();
    let peered = full.replace(
        "[controller]\n",
        &format!(
            "[controller]\npeer_listen = \"{}\"\npeer_token_file = \"{}\"\n",
            busy.local_addr().unwrap(),
            token.display()
        ),
    );
    reload(&peered, 1);
    assert!(
        d.log_text()
            .contains("failed to start; going back to the old config"),
        "{}",
        d.log_text()
    );
    wait_for(
        Duration::from_secs(15),
        || all_up(&tb, "checkout"),
        || d.log_text(),
    );
    // cart removed.
    let cut = full.find("\n[[services]]\nname = \"cart\"").unwrap();
    reload(&full[..cut], 2);
    wait_for(
        Duration::from_secs(10),
        || services(&tb) == ["checkout"],
        || d.log_text(),
    );
    // cart back, and metrics served from now on.
    let metrics = rtoguard_testkit::net::free_port(lo(1));
    let with_metrics = full.replace(
        "[controller]\n",
        &format!("[controller]\nmetrics_listen = \"127.0.0.1:{metrics}\"\n"),
    );
    reload(&with_metrics, 3);
    wait_for(
        Duration::from_secs(15),
        || all_up(&tb, "cart"),
        || d.log_text(),
    );
    let addr = format!("127.0.0.1:{metrics}");
    wait_for(
        Duration::from_secs(10),
        || {
            scrape(&addr)
                .unwrap_or_default()
                .contains("rtoguard_service_ready{service=\"cart\"} 1")
        },
        || scrape(&addr).unwrap_or_default(),
    );
    // Metrics off again: the old address is closed.
    reload(&full, 4);
    wait_for(
        Duration::from_secs(10),
        || scrape(&addr).is_none(),
        || d.log_text(),
    );
    let log = d.stop();
    assert!(!log.contains("panicked"), "{log}");
}

/// Where `needle` first appears in the plain log, if it does.
fn at(log: &str, needle: &str) -> Option<usize> {
    plain(log).find(needle)
}

#[test]
fn a_restart_waiting_for_a_held_provider_call_holds_up_neither_the_reload_nor_status() {
    let mut tb = testbed();
    let d = Daemon::start(&tb, &[("RTOGUARD_TEST_PAUSE_AFTER_APPLY", "8")]);
    wait_for(
        Duration::from_secs(15),
        || all_up(&tb, "checkout") && all_up(&tb, "cart"),
        || d.log_text(),
    );
    tb.primary.stop();
    // Both services moved, and both provider calls are held for 8 s.
    wait_for(
        Duration::from_secs(20),
        || plain(&d.log_text()).matches("Test hook: pausing").count() >= 2,
        || d.log_text(),
    );
    let text = std::fs::read_to_string(&tb.config).unwrap();
    std::fs::write(
        &tb.config,
        text.replace(&cart(tb.port, "5m"), &cart(tb.port, "7m")),
    )
    .unwrap();
    d.signal("HUP");
    wait_for(
        Duration::from_secs(10),
        || d.log_text().contains("Config reloaded"),
        || d.log_text(),
    );
    // While cart's old task still holds its call, status answers for both.
    let during = healths(&tb);
    let log = d.log_text();
    let stopped = "Service stopped. service=cart";
    assert!(
        at(&log, stopped).is_none(),
        "cart's old task ended before the status was taken; the hold is too short:\n{log}"
    );
    let checkout = during.iter().find(|(s, _)| s == "checkout");
    assert!(
        checkout.is_some_and(|(_, h)| !h.is_empty()),
        "checkout did not answer during cart's drain: {during:?}"
    );
    assert!(during.iter().any(|(s, _)| s == "cart"), "{during:?}");
    // Then cart's new task starts, after its old one ended.
    wait_for(
        Duration::from_secs(20),
        || starts(&d.log_text(), "cart") == 2,
        || d.log_text(),
    );
    let log = d.log_text();
    let reloaded = at(&log, "Config reloaded.").unwrap_or(usize::MAX);
    let old_end = at(&log, stopped).unwrap_or(0);
    let second = plain(&log)
        .match_indices("Service started. service=cart ")
        .nth(1)
        .map_or(0, |(i, _)| i);
    assert!(
        reloaded < old_end,
        "the reload waited for the drain:\n{log}"
    );
    assert!(old_end < second, "two tasks of cart at once:\n{log}");
}
