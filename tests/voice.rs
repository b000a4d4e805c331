//! One voice across controllers, and the writer when a region is gone, on a
//! live set-up: the README's two regions plus a witness (see `common::trio`):
//! east runs in the primary's region, west in the standby's (so west writes
//! a failover first), the witness agent in a third place; quorum 2 of 3.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use common::daemon::wait_for;
use common::trio::{
    GRACE, PRIMARY, STANDBY, Trio, counted, decisions, flips, ttl_changes, wait_settled,
};
use common::{OutputText, run};

#[test]
fn one_incident_one_voice_the_writer_tells_and_the_other_journals_a_view() {
    let mut t = Trio::start();
    t.primary.stop();
    wait_for(
        Duration::from_secs(40),
        || t.served() == [STANDBY],
        || t.logs(),
    );
    wait_settled(&t, &t.east, "standby");
    wait_settled(&t, &t.west, "standby");
    // West recovers its incident (the watch ends), east closes its view.
    let told = |t: &Trio, event: &str| t.hooks().iter().filter(|h| h.0 == event).count();
    wait_for(
        Duration::from_secs(60),
        || told(&t, "recovery") >= 1,
        || t.logs(),
    );
    wait_for(
        Duration::from_secs(30),
        || !decisions(&t.east, "view").is_empty() && t.east.status()["incident"].is_null(),
        || t.logs(),
    );
    std::thread::sleep(GRACE);
    // Incident events only (a vantage's own impairment is its own to tell).
    let hooks: Vec<_> = t
        .hooks()
        .into_iter()
        .filter(|h| ["incident", "flip", "recovery", "rto_missed"].contains(&h.0.as_str()))
        .collect();
    for event in ["incident", "flip", "recovery"] {
        let sent: Vec<_> = hooks.iter().filter(|h| h.0 == event).collect();
        assert_eq!(sent.len(), 1, "one {event} webhook:\n{}", t.logs());
        assert_eq!(sent[0].1, "west", "the writer tells:\n{}", t.logs());
    }
    let incident = &hooks[0].2;
    assert!(hooks.iter().all(|h| &h.2 == incident), "{hooks:?}");
    assert_eq!(flips(&t.west), (1, 0), "{}", t.logs());
    assert_eq!(flips(&t.east).0, 0, "east wrote nothing:\n{}", t.logs());
    // East's journal is a view of west's incident, named with west's id.
    let views = decisions(&t.east, "view");
    assert!(
        views
            .iter()
            .any(|v| v.contains("west") && v.contains(incident.as_str())),
        "east's view names west and its incident {incident}: {views:?}\n{}",
        t.logs()
    );
    assert!(
        decisions(&t.west, "view").is_empty(),
        "west speaks:\n{}",
        t.logs()
    );
    // Counted once across controllers, so the dashboard's sums are right.
    assert_eq!(counted(&t, "rtoguard_incidents_total"), 1.0, "{}", t.logs());
    assert_eq!(counted(&t, "rtoguard_flips_total"), 1.0, "{}", t.logs());
    assert_eq!(counted(&t, "rtoguard_rto_met_total"), 1.0, "{}", t.logs());
    assert_eq!(counted(&t, "rtoguard_incident_open"), 0.0, "{}", t.logs());
    // One report: the writer's; east stores none.
    assert!(t.west.report().is_ok(), "{}", t.logs());
    assert!(
        t.east.report().is_err(),
        "east has no report:\n{}",
        t.logs()
    );
}

#[test]
fn losing_the_primary_region_fails_over_at_the_survivor_with_one_write() {
    let mut t = Trio::start();
    let serial0 = t.bind.serial();
    let lost = Instant::now();
    t.east.kill();
    t.primary.stop();
    wait_for(
        Duration::from_secs(40),
        || t.served() == [STANDBY],
        || t.logs(),
    );
    let took = lost.elapsed();
    // West comes first for its own region (rank 0 × grace): detection
    // (fall × interval, east going stale after max_age) and one write.
    eprintln!("region lost to standby served: {took:?}");
    assert!(took < GRACE * 2, "took {took:?}:\n{}", t.logs());
    wait_settled(&t, &t.west, "standby");
    assert_eq!(flips(&t.west), (1, 0), "one write:\n{}", t.logs());
    let ttl_changes = ttl_changes(&t.west);
    let moved = t.bind.serial() - serial0;
    assert_eq!(moved as usize, 1 + ttl_changes, "{}", t.logs());
    // The dead controller goes stale once its last observation passes max_age.
    let stale = |t: &Trio| t.west.pool("primary")["quorum"]["stale"] == serde_json::json!(["east"]);
    wait_for(Duration::from_secs(10), || stale(&t), || t.logs());
    let p = t.west.pool("primary");
    let down = p["quorum"]["down"].as_array().map_or(0, Vec::len);
    assert_eq!(down, 2, "west and the witness: {p:#}");
    assert_eq!(t.west.report().map(|_| ()), Ok(()), "{}", t.logs());
    assert!(
        t.hooks().iter().any(|h| h.0 == "flip" && h.1 == "west"),
        "{}",
        t.logs()
    );
}

#[test]
fn without_the_witness_too_nothing_flips_but_an_operator_can() {
    let mut t = Trio::start();
    let serial0 = t.bind.serial();
    t.west_to_witness.cut();
    t.east.kill();
    t.primary.stop();
    let short = |t: &Trio| t.west.pool("primary")["quorum"]["fresh"] == 1;
    wait_for(Duration::from_secs(20), || short(&t), || t.logs());
    // Well past detection, max_age and the writer's grace.
    std::thread::sleep(GRACE * 2);
    assert_eq!(t.served(), [PRIMARY], "{}", t.logs());
    // Nothing flipped. While the lost vantages' last observations were
    // still fresh, west alone saw the primary down: suspect, so the TTL
    // may have been lowered (once); nothing else was written.
    assert_eq!(flips(&t.west).0, 0, "{}", t.logs());
    let moved = t.bind.serial() - serial0;
    assert_eq!(moved as usize, ttl_changes(&t.west), "{}", t.logs());
    let p = t.west.pool("primary");
    assert_eq!(p["health"], "unknown", "{p:#}");
    assert_eq!(t.west.status()["short_of_quorum"], true, "{}", t.logs());
    let held = t.west.history().iter().any(|e| {
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("too few fresh vantages for a quorum of 2"))
    });
    assert!(held, "the journal says short of quorum:\n{}", t.logs());
    // The operator vouches for the standby the quorum cannot judge.
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "standby",
        "--force",
        "--config",
        t.west.config_str(),
    ]);
    assert!(out.status.success(), "{}\n{}", out.text(), t.logs());
    wait_for(
        Duration::from_secs(20),
        || t.served() == [STANDBY],
        || t.logs(),
    );
    assert_eq!(flips(&t.west), (1, 0), "{}", t.logs());
    assert!(t.dir.path().exists());
}
