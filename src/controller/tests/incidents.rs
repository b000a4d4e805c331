//! Unit tests for incidents and the writer delay in the core.

use std::time::Duration;

use super::*;

fn opened(out: &[Action]) -> Vec<Incident> {
    out.iter()
        .filter_map(|a| match a {
            Action::IncidentOpened { incident, .. } => Some(incident.clone()),
            _ => None,
        })
        .collect()
}

fn closed(out: &[Action]) -> Vec<String> {
    out.iter()
        .filter_map(|a| match a {
            Action::IncidentClosed { incident, .. } => Some(incident.id.clone()),
            _ => None,
        })
        .collect()
}

fn rto_missed(out: &[Action]) -> usize {
    out.iter()
        .filter(|a| matches!(a, Action::RtoMissed { .. }))
        .count()
}

fn named(rto_secs: u64) -> Policy {
    let mut p = Policy::with_defaults(pools());
    p.local = Local::new("checkout", Duration::from_secs(rto_secs));
    p
}

#[test]
fn an_outage_opens_one_incident_and_closes_after_the_flip_and_its_watch() {
    let mut h = Harness::new(named(300));
    let out = h.health(10, "primary", PoolHealth::Suspect);
    let first = opened(&out);
    assert_eq!(first.len(), 1, "{out:?}");
    assert_eq!(first[0].kind, IncidentKind::Outage);
    assert_eq!(first[0].id, "checkout-1800000010000");
    assert!(
        matches!(out[0], Action::IncidentOpened { .. }),
        "opened first: {out:?}"
    );
    h.ev(11, Event::TtlApplied { ttl: 30 });
    // Down in the same episode: the same incident.
    let out = h.health(20, "primary", PoolHealth::Down);
    assert!(opened(&out).is_empty());
    assert_eq!(flips(&out).len(), 1);
    let out = h.ev(21, flipped("standby"));
    assert!(closed(&out).is_empty(), "closed before the watch ended");
    assert_eq!(
        h.c.incident().map(|i| i.id.clone()),
        Some(first[0].id.clone())
    );
    let out = h.ev(25, Event::WatchEnded);
    assert_eq!(closed(&out), vec![first[0].id.clone()]);
    assert!(h.c.incident().is_none());
}

#[test]
fn an_incident_stays_open_while_anything_is_under_way() {
    let mut h = Harness::new(named(300));
    h.health(10, "primary", PoolHealth::Suspect);
    // The TTL call is outstanding: Up does not close it.
    let out = h.health(11, "primary", PoolHealth::Up);
    assert!(closed(&out).is_empty(), "closed with a call outstanding");
    let out = h.ev(12, Event::TtlApplied { ttl: 30 });
    assert_eq!(closed(&out).len(), 1, "{out:?}");
    // A suspect blip after it is a new episode.
    assert_eq!(
        opened(&h.health(40, "primary", PoolHealth::Suspect)).len(),
        1
    );
}

#[test]
fn an_operator_move_opens_an_incident_a_refused_one_does_not() {
    let mut h = Harness::new(named(300));
    let out = h.cmd(5, Command::Failback { planned: false });
    assert!(refusal(&out).is_some());
    assert!(
        opened(&out).is_empty(),
        "a refused command opened an incident"
    );
    let go = Command::Failover {
        to: "standby".into(),
        planned: true,
        force: false,
    };
    let out = h.cmd(10, go);
    let inc = opened(&out);
    assert_eq!(inc.len(), 1);
    assert_eq!(inc[0].kind, IncidentKind::Operator);
    assert!(matches!(out[0], Action::IncidentOpened { .. }), "{out:?}");
    h.ev(11, Event::TtlApplied { ttl: 30 });
    // Draining: still open.
    assert!(closed(&h.ev(100, Event::Tick)).is_empty());
    assert!(h.c.incident().is_some());
}

#[test]
fn rto_missed_is_said_once_at_its_deadline() {
    let mut h = Harness::new(named(60));
    h.health(10, "primary", PoolHealth::Down);
    h.health(10, "standby", PoolHealth::Down);
    h.health(10, "dr", PoolHealth::Down);
    assert!(h.c.next_deadline().is_some_and(|d| d <= h.at(71)));
    assert_eq!(
        rto_missed(&h.ev(70, Event::Tick)),
        0,
        "said at the RTO itself"
    );
    let d = h.c.next_deadline().unwrap_or(h.at(0));
    assert_eq!(rto_missed(&h.ev_at(d, Event::Tick)), 1);
    assert_eq!(rto_missed(&h.ev(200, Event::Tick)), 0, "said twice");
    assert!(h.c.incident().is_some_and(|i| i.rto_missed));
}

#[test]
fn a_restart_with_a_restored_incident_continues_it() {
    let mut h = Harness::new(named(60));
    let mut all = changes(&h.health(10, "primary", PoolHealth::Down));
    all.extend(changes(&h.health(10, "standby", PoolHealth::Down)));
    all.extend(changes(&h.health(10, "dr", PoolHealth::Down)));
    all.extend(changes(&h.ev(80, Event::Tick)));
    let id = h.c.incident().map(|i| i.id.clone());
    assert!(id.is_some());
    // A fresh controller from the journaled changes, as after a kill -9.
    let mut r = Harness::bare(h.c.policy().clone());
    r.t0 = h.t0;
    let restored = Durable::replay(all);
    assert_eq!(restored.incident.as_ref().map(|i| i.id.clone()), id);
    let out = r.ev(
        100,
        Event::Started {
            active: Some("primary".into()),
            ttl: 300,
            intent: None,
            wall: wall(100),
            restored: Box::new(restored),
        },
    );
    assert!(opened(&out).is_empty());
    assert_eq!(r.c.incident().map(|i| i.id.clone()), id);
    assert_eq!(
        r.c.incident_start(),
        Some(r.at(10)),
        "start from the journal"
    );
    let mut out = r.health(101, "primary", PoolHealth::Down);
    out.extend(r.health(101, "standby", PoolHealth::Up));
    assert!(opened(&out).is_empty(), "a second incident: {out:?}");
    assert_eq!(
        rto_missed(&out),
        0,
        "RTO missed said again after the restart"
    );
    assert_eq!(flips(&out).len(), 1);
    r.ev(102, flipped("standby"));
    assert_eq!(
        closed(&r.ev(103, Event::WatchEnded)),
        vec![id.unwrap_or_default()]
    );
}

#[test]
fn a_drill_opens_its_incident_and_is_refused_during_another() {
    let mut h = Harness::new(named(300));
    h.health(10, "primary", PoolHealth::Suspect);
    let drill = Command::Drill {
        id: "drill-checkout-1".into(),
        to: "standby".into(),
        simulate_fault: false,
        dwell_secs: 60,
    };
    assert!(refusal(&h.cmd(11, drill.clone())).is_some());
    h.ev(12, Event::TtlApplied { ttl: 30 });
    h.health(13, "primary", PoolHealth::Up);
    assert!(h.c.incident().is_none());
    let out = h.cmd(20, drill);
    let inc = opened(&out);
    assert_eq!(inc.len(), 1, "{out:?}");
    assert_eq!(
        (inc[0].id.as_str(), inc[0].kind),
        ("drill-checkout-1", IncidentKind::Drill)
    );
}

fn delayed(grace: u64) -> Policy {
    let mut p = named(600);
    for (i, pool) in pools().into_iter().enumerate() {
        let d = Duration::from_secs(grace * (i as u64 + 1));
        p.local.writer_delay.insert(pool, d);
    }
    p
}

fn not_before(out: &[Action]) -> Vec<Option<Instant>> {
    out.iter()
        .filter_map(|a| match a {
            Action::Flip { not_before, .. } | Action::SetTtl { not_before, .. } => {
                Some(*not_before)
            }
            _ => None,
        })
        .collect()
}

fn writes(out: &[Action]) -> usize {
    not_before(out).len()
}

#[test]
fn the_writer_delay_is_counted_once_per_incident_across_a_ttl_write_and_a_flip() {
    // standby's region writes second here: a 10 s wait for a write that serves it.
    let mut h = Harness::new(delayed(5));
    let out = h.health(10, "primary", PoolHealth::Suspect);
    assert_eq!(writes(&out), 0, "the TTL write waits in the core: {out:?}");
    assert_eq!(h.c.status().phase, "writer_wait");
    assert_eq!(h.c.next_deadline(), Some(h.at(20)));
    let out = h.ev(20, Event::Tick);
    assert_eq!(not_before(&out), vec![None], "decided again, sent: {out:?}");
    h.ev(21, Event::TtlApplied { ttl: 30 });
    let out = h.health(26, "primary", PoolHealth::Down);
    // Waited from 10 already: the flip is due at once, not at 36.
    assert_eq!(not_before(&out), vec![None], "{out:?}");
}

#[test]
fn the_flip_waits_only_what_is_left_of_the_delay() {
    let mut h = Harness::new(delayed(5));
    h.health(10, "primary", PoolHealth::Suspect);
    let out = h.health(14, "primary", PoolHealth::Down);
    assert_eq!(writes(&out), 0, "still waiting: {out:?}");
    let out = h.ev(20, Event::Tick);
    assert_eq!(flips(&out)[0].1, "standby", "{out:?}");
    assert_eq!(not_before(&out), vec![None]);
}

/// Found by the partition campaign: a write held for the writer delay went
/// out after the pool had come back. Held in the core and decided again
/// when the wait ends, it does not: nothing is written.
#[test]
fn a_held_flip_is_not_sent_when_the_pool_came_back_during_the_wait() {
    let mut h = Harness::new(delayed(5));
    h.health(10, "primary", PoolHealth::Down);
    assert_eq!(h.c.status().phase, "writer_wait");
    h.health(13, "primary", PoolHealth::Up);
    let out = h.ev(20, Event::Tick);
    assert!(
        flips(&out).is_empty(),
        "flipped away from a pool that is up: {out:?}"
    );
    assert_eq!(h.c.status().active.as_deref(), Some("primary"));
}

#[test]
fn an_operator_move_during_the_writer_wait_writes_at_once() {
    let mut h = Harness::new(delayed(5));
    h.health(10, "primary", PoolHealth::Down);
    let go = Command::Failover {
        to: "standby".into(),
        planned: false,
        force: false,
    };
    let out = h.cmd(12, go);
    assert_eq!(not_before(&out), vec![None], "{out:?}");
}

#[test]
fn operator_moves_write_at_once_and_a_new_incident_waits_afresh() {
    let mut h = Harness::new(delayed(5));
    let go = Command::Failover {
        to: "standby".into(),
        planned: false,
        force: false,
    };
    assert_eq!(not_before(&h.cmd(5, go)), vec![None]);
    h.ev(6, flipped("standby"));
    h.ev(7, Event::WatchEnded);
    assert!(h.c.incident().is_none());
    // A new outage of standby: the flip to primary (5 s for this controller).
    // Past the hold-down of the operator's flip.
    let out = h.health(200, "standby", PoolHealth::Down);
    assert_eq!(writes(&out), 0, "{out:?}");
    assert_eq!(h.c.next_deadline(), Some(h.at(205)));
    let out = h.ev(205, Event::Tick);
    assert_eq!(not_before(&out), vec![None], "{out:?}");
}

#[test]
fn a_controller_that_waited_its_turn_rereads_at_close_and_learns_another_writers_flip() {
    // Primary fails and comes back while this controller waits its turn
    // (its TTL write held 5 s): another writer flipped meanwhile.
    let mut h = Harness::new(delayed(5));
    h.health(10, "primary", PoolHealth::Suspect);
    h.health(11, "primary", PoolHealth::Down);
    h.health(12, "primary", PoolHealth::Up);
    let out = h.ev(20, Event::Tick);
    assert_eq!(writes(&out), 0, "nothing to write once it is up: {out:?}");
    assert_eq!(closed(&out).len(), 1, "{out:?}");
    assert!(
        out.iter().any(|a| matches!(a, Action::Reread)),
        "it re-reads at close: {out:?}"
    );
    let state = Event::ProviderState {
        active: Some("standby".into()),
        ttl: 30,
    };
    let out = h.ev(21, state);
    assert_eq!(h.c.status().active.as_deref(), Some("standby"));
    assert!(journaled(&out, EntryKind::ChangedOutside), "{out:?}");
    assert!(
        !journaled(&out, EntryKind::Conflict),
        "no conflict: {out:?}"
    );
    assert_eq!(h.c.status().phase, "idle");
}

#[test]
fn a_first_writer_held_up_by_its_own_slow_write_rereads_at_close() {
    // The first writer for standby (no wait), its TTL write slow (found by
    // the campaign: a slow provider link): the pool fails and comes back
    // while that write is out, and the next writer flips meanwhile.
    let mut p = named(600);
    p.local
        .writer_delay
        .insert("primary".into(), Duration::from_secs(10));
    p.local
        .writer_delay
        .insert("standby".into(), Duration::ZERO);
    let mut h = Harness::new(p);
    let out = h.health(10, "primary", PoolHealth::Suspect);
    assert_eq!(not_before(&out), vec![None], "it writes first: {out:?}");
    h.health(11, "primary", PoolHealth::Down);
    h.health(16, "primary", PoolHealth::Up);
    let out = h.ev(47, Event::TtlApplied { ttl: 30 });
    assert_eq!(closed(&out).len(), 1, "{out:?}");
    assert!(out.iter().any(|a| matches!(a, Action::Reread)), "{out:?}");
    let state = Event::ProviderState {
        active: Some("standby".into()),
        ttl: 30,
    };
    h.ev(48, state);
    assert_eq!(h.c.status().active.as_deref(), Some("standby"));
}
