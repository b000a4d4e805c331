//! Unit tests for one voice: who speaks for an incident, and a view naming the writer.

use super::*;

/// Controller `id` among peers; c13 comes first in the writer order for
/// `standby` (its region) and for everything else.
fn policy(id: &str) -> Policy {
    let mut p = Policy::with_defaults(pools());
    p.local.id = id.into();
    for pool in pools() {
        p.local.first_writer.insert(pool, "c13".into());
    }
    p.local.first_writer_otherwise = Some("c13".into());
    p.local.name_wait = Duration::from_secs(5);
    p
}

fn opened(out: &[Action]) -> Option<Voice> {
    out.iter().find_map(|a| match a {
        Action::IncidentOpened { voice, .. } => Some(voice.clone()),
        _ => None,
    })
}

fn closed(out: &[Action]) -> Option<Voice> {
    out.iter().find_map(|a| match a {
        Action::IncidentClosed { voice, .. } => Some(voice.clone()),
        _ => None,
    })
}

/// A lost compare-and-set at `secs`, and the re-read finding standby served.
fn lose_the_race(h: &mut Harness, secs: u64) -> Vec<Action> {
    let failed = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: false,
        conflict: true,
    };
    assert!(h.ev(secs, failed).contains(&Action::Reread));
    let state = Event::ProviderState {
        active: Some("standby".into()),
        ttl: 30,
    };
    h.ev(secs + 1, state)
}

fn c13_wrote(secs: u64) -> Event {
    Event::PeerWrite(PeerWrite {
        by: "c13".into(),
        pool: "standby".into(),
        at: wall(secs),
        incident: Some("checkout-c13".into()),
    })
}

#[test]
fn a_lone_controller_speaks_and_its_own_flip_makes_it_the_writer() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let out = h.health(10, "primary", PoolHealth::Down);
    assert_eq!(opened(&out), Some(Voice::Own(Because::FirstByRank)));
    h.ev(11, flipped("standby"));
    assert_eq!(h.c.voice(), Some(&Voice::Own(Because::Wrote)));
    let out = h.ev(12, Event::WatchEnded);
    assert_eq!(closed(&out), Some(Voice::Own(Because::Wrote)));
}

#[test]
fn with_no_write_the_first_by_rank_speaks_and_the_others_hold_a_view() {
    let mut h = Harness::new(policy("c11"));
    let out = h.health(10, "primary", PoolHealth::Suspect);
    let view = Voice::View {
        speaker: Some("c13".into()),
        incident: None,
        because: Because::FirstByRank,
    };
    assert_eq!(opened(&out), Some(view.clone()));
    h.ev(11, Event::TtlApplied { ttl: 30 });
    let out = h.health(20, "primary", PoolHealth::Up);
    assert_eq!(closed(&out), Some(view.clone()));
    assert!(view.to_string().contains("c13 speaks for it"), "{view}");

    let mut first = Harness::new(policy("c13"));
    let out = first.health(10, "primary", PoolHealth::Suspect);
    assert_eq!(opened(&out), Some(Voice::Own(Because::FirstByRank)));
}

#[test]
fn the_loser_of_a_race_waits_for_the_winners_name_then_closes_as_its_view() {
    let mut h = Harness::new(policy("c11"));
    h.health(10, "primary", PoolHealth::Down);
    let out = lose_the_race(&mut h, 11);
    let done = details(&out, EntryKind::DoneByOtherWriter);
    assert_eq!(done, ["standby is already active: done by another writer"]);
    assert_eq!(closed(&out), None, "it waits for the writer's name");
    assert_eq!(h.c.next_deadline(), Some(h.at(17)));
    // A write from before the incident is another incident's.
    let old = h.ev(13, c13_wrote(0));
    assert!(details(&old, EntryKind::View).is_empty() && closed(&old).is_none());
    let old = Event::PeerWrite(PeerWrite {
        at: wall(1),
        by: "c12".into(),
        pool: "standby".into(),
        incident: None,
    });
    assert!(h.ev(13, old).is_empty(), "older than what is known");
    let out = h.ev(14, c13_wrote(11));
    let view = details(&out, EntryKind::View);
    assert_eq!(view.len(), 1, "{out:?}");
    assert!(view[0].contains("written by c13 (its incident checkout-c13)"));
    let named = Voice::View {
        speaker: Some("c13".into()),
        incident: Some("checkout-c13".into()),
        because: Because::Wrote,
    };
    assert_eq!(closed(&out), Some(named));
}

#[test]
fn a_writer_known_before_the_reread_is_named_at_once() {
    let mut h = Harness::new(policy("c12"));
    h.health(10, "primary", PoolHealth::Down);
    h.ev(11, c13_wrote(11));
    let out = lose_the_race(&mut h, 11);
    let done = details(&out, EntryKind::DoneByOtherWriter);
    assert_eq!(
        done,
        ["standby is already active: done by another writer, c13"]
    );
    assert!(matches!(closed(&out), Some(Voice::View { speaker: Some(s), .. }) if s == "c13"));
}

#[test]
fn a_writer_never_heard_from_is_waited_for_once_then_left_unnamed() {
    let mut h = Harness::new(policy("c11"));
    h.health(10, "primary", PoolHealth::Down);
    lose_the_race(&mut h, 11);
    assert!(closed(&h.ev(16, Event::Tick)).is_none());
    let out = h.ev(17, Event::Tick);
    let voice = closed(&out).expect("closed at the end of the wait");
    assert_eq!(voice.speaker(), None);
    assert!(!voice.speaks());
    assert!(voice.to_string().contains("not heard from"), "{voice}");
}

#[test]
fn an_operators_move_is_told_by_the_controller_asked() {
    let mut h = Harness::new(policy("c11"));
    let out = h.cmd(
        10,
        Command::Failover {
            to: "standby".into(),
            planned: false,
            force: false,
        },
    );
    assert_eq!(opened(&out), Some(Voice::Own(Because::Asked)));
}

#[test]
fn a_past_wait_for_the_writer_schedules_no_more_ticks() {
    let mut h = Harness::new(policy("c11"));
    h.health(10, "primary", PoolHealth::Down);
    lose_the_race(&mut h, 11);
    // The served pool fails too: the incident stays open past the wait.
    h.health(13, "standby", PoolHealth::Down);
    h.health(13, "dr", PoolHealth::Down);
    h.ev(18, Event::Tick);
    assert!(h.c.incident().is_some());
    let next = h.c.next_deadline();
    assert!(next.is_none_or(|d| d > h.at(18)), "{next:?} is in the past");
}

#[test]
fn a_later_writer_tells_people_of_the_incident_the_first_by_rank_never_told() {
    let mut h = Harness::new(policy("c11"));
    h.health(10, "primary", PoolHealth::Down);
    // c13 (first by rank) is gone: c11's delayed flip is applied.
    let out = h.ev(15, flipped("standby"));
    let speaks: Vec<_> = out
        .iter()
        .filter_map(|a| match a {
            Action::Speaks { pool, .. } => Some(pool.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(speaks, [Some("primary".to_string())]);
    assert_eq!(h.c.voice(), Some(&Voice::Own(Because::Wrote)));

    let mut lone = Harness::new(Policy::with_defaults(pools()));
    lone.health(10, "primary", PoolHealth::Down);
    let out = lone.ev(11, flipped("standby"));
    assert!(
        !out.iter().any(|a| matches!(a, Action::Speaks { .. })),
        "told at open already"
    );
}

#[test]
fn a_restart_after_its_own_flip_keeps_the_writer_speaking() {
    let incident = Incident {
        id: "checkout-1".into(),
        kind: IncidentKind::Outage,
        since: wall(0),
        rto_missed: false,
        writer_wait_from: None,
        ttl: None,
        risk: None,
    };
    let restored = |automatic_flips: Vec<std::time::SystemTime>| Durable {
        incident: Some(incident.clone()),
        last_flip: Some(wall(5)),
        automatic_flips,
        ..Durable::default()
    };
    let start = |d: Durable| {
        let mut h = Harness::bare(policy("c11"));
        h.ev(
            10,
            Event::Started {
                active: Some("standby".into()),
                ttl: 30,
                intent: None,
                wall: wall(10),
                restored: Box::new(d),
            },
        );
        h.c.voice().cloned()
    };
    // c11 is not first by rank, but it wrote this incident's flip.
    assert_eq!(
        start(restored(vec![wall(5)])),
        Some(Voice::Own(Because::Wrote))
    );
    // Another's flip (recorded as not automatic): the view by rank.
    let view = start(restored(Vec::new()));
    assert!(view.is_some_and(|v| !v.speaks()));
}
