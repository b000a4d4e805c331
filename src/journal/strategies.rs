//! Proptest strategies for every journal event and the types in it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use rtoguard_provider_api::{Receipt, RecordSet, RecordType};

use super::*;
use crate::controller::{
    AlertLevel, Change, Command, Drill, EntryKind, Evacuation, Halt, Initiator, Intent, IntentKind,
    Pin, PoolHealth, Reason, RiskWindow,
};

pub(super) fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9:-]{0,8}"
}

/// Free text (notes, reasons). Without `(` and `{`, so that the check for
/// Debug forms in messages cannot be set off by the text itself; notes that
/// hold them are tested on their own (`tests_event`).
pub(super) fn words() -> impl Strategy<Value = String> {
    "[ -'*-z|}~]{0,24}"
}

/// A wall-clock time in whole milliseconds (as the journal keeps times).
pub(super) fn wall() -> impl Strategy<Value = SystemTime> {
    (0u64..4_000_000_000_000).prop_map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
}

pub(super) fn health() -> impl Strategy<Value = PoolHealth> {
    prop_oneof![
        Just(PoolHealth::Unknown),
        Just(PoolHealth::Up),
        Just(PoolHealth::Suspect),
        Just(PoolHealth::Down),
    ]
}

pub(super) fn reason() -> impl Strategy<Value = Reason> {
    prop_oneof![
        Just(Reason::ActiveDown),
        Just(Reason::Manual),
        Just(Reason::Failback),
        Just(Reason::Planned),
        Just(Reason::Reconcile),
    ]
}

pub(super) fn intent() -> impl Strategy<Value = Intent> {
    let kind = prop_oneof![
        (proptest::option::of(name()), name()).prop_map(|(from, to)| IntentKind::Flip { from, to }),
        any::<u32>().prop_map(|ttl| IntentKind::SetTtl { ttl }),
        (name(), name(), any::<u8>()).prop_map(|(from, to, weight)| IntentKind::Weigh {
            from,
            to,
            weight
        }),
    ];
    let by = prop_oneof![Just(Initiator::Automation), Just(Initiator::Operator)];
    (kind, reason(), by, wall()).prop_map(|(kind, reason, by, requested_at)| Intent {
        kind,
        reason,
        by,
        requested_at,
    })
}

pub(super) fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (name(), any::<bool>(), any::<bool>()).prop_map(|(to, planned, force)| Command::Failover {
            to,
            planned,
            force
        }),
        any::<bool>().prop_map(|planned| Command::Failback { planned }),
        (name(), words(), proptest::option::of(wall()))
            .prop_map(|(by, reason, until)| Command::Pin { by, reason, until }),
        name().prop_map(|by| Command::Unpin { by }),
        (name(), name(), any::<bool>(), any::<u64>()).prop_map(|(id, to, f, d)| Command::Drill {
            id,
            to,
            simulate_fault: f,
            dwell_secs: d,
        }),
        (
            (name(), name(), name()),
            words(),
            proptest::option::of(wall()),
            any::<bool>()
        )
            .prop_map(|((id, region, by), reason, until, planned)| {
                Command::Evacuate {
                    id,
                    region,
                    by,
                    reason,
                    until,
                    planned,
                }
            }),
        (name(), name()).prop_map(|(by, region)| Command::EndEvacuation { by, region }),
        (name(), words(), wall()).prop_map(|(by, reason, until)| Command::Risk {
            by,
            reason,
            until
        }),
        name().prop_map(|by| Command::RiskEnd { by }),
    ]
}

pub(super) fn change() -> impl Strategy<Value = Change> {
    let pin = (name(), words(), wall(), proptest::option::of(wall())).prop_map(
        |(by, reason, since, until)| Pin {
            by,
            reason,
            since,
            until,
        },
    );
    let drill = (name(), name(), proptest::option::of(name()), wall()).prop_map(
        |(id, home, simulated_down, dwell_until)| Drill {
            id,
            home,
            simulated_down,
            dwell_until,
        },
    );
    let evacuation = (
        (name(), name(), name()),
        words(),
        wall(),
        proptest::option::of(wall()),
    )
        .prop_map(|((id, region, by), reason, since, until)| Evacuation {
            id,
            region,
            by,
            reason,
            since,
            until,
        });
    let halt = prop_oneof![
        Just(Halt::FlipCap),
        Just(Halt::ProviderRejected),
        Just(Halt::Conflicts)
    ];
    prop_oneof![
        pin.prop_map(|pin| Change::Pinned { pin }),
        name().prop_map(|by| Change::Unpinned { by }),
        Just(Change::PinExpired),
        halt.prop_map(|why| Change::Halted { why }),
        Just(Change::Resumed),
        (wall(), any::<bool>())
            .prop_map(|(at, automatic)| Change::FlippedForDamping { at, automatic }),
        drill.prop_map(|drill| Change::DrillStarted { drill }),
        Just(Change::DrillFaultLifted),
        (any::<bool>(), words())
            .prop_map(|(aborted, reason)| Change::DrillEnded { aborted, reason }),
        evacuation.prop_map(|evacuation| Change::EvacuationStarted { evacuation }),
        (proptest::option::of(name()), name())
            .prop_map(|(by, region)| Change::EvacuationEnded { by, region }),
        (
            name(),
            words(),
            wall(),
            wall(),
            proptest::option::of(wall())
        )
            .prop_map(
                |(by, reason, since, until, lowered_at)| Change::RiskOpened {
                    window: RiskWindow {
                        until,
                        // A shared window is named by its source, as `by` names it.
                        shared_with: lowered_at.map(|_| by.clone()),
                        by,
                        reason,
                        since,
                        lowered_at
                    },
                }
            ),
        wall().prop_map(|at| Change::RiskLowered { at }),
        proptest::option::of(name()).prop_map(|by| Change::RiskEnded { by }),
        (name(), name(), any::<u8>()).prop_map(|(from, to, weight)| Change::GradualHeld {
            held: crate::controller::durable::GradualHeld { from, to, weight },
        }),
        Just(Change::GradualEnded),
    ]
}

pub(super) fn entry_kind() -> impl Strategy<Value = EntryKind> {
    use EntryKind::*;
    proptest::sample::select(vec![
        Started,
        Decision,
        TtlChanged,
        Flipped,
        Draining,
        Aborted,
        Refused,
        Conflict,
        DoneByOtherWriter,
        View,
        ChangedOutside,
        ProviderError,
        Reconciled,
        Abandoned,
        NoHealthyPool,
        Halted,
        Pinned,
        Unpinned,
        PinExpired,
        DrillStarted,
        DrillEnded,
        Damping,
        Resumed,
        Queued,
        Restored,
        WriterWait,
        Adopted,
        Evacuating,
        EvacuationEnded,
        RiskOpened,
        RiskEnded,
        GradualStep,
        GradualHold,
        GradualRollback,
        GradualRolledBack,
        GradualCompleted,
        GradualStopped,
    ])
}

pub(super) fn window() -> impl Strategy<Value = FaultWindow> {
    let ms = || proptest::option::of(0i64..4_000_000_000_000);
    (ms(), ms()).prop_map(|(last_ok_ms, first_failed_ms)| FaultWindow {
        last_ok_ms,
        first_failed_ms,
    })
}

pub(super) fn tally() -> impl Strategy<Value = Tally> {
    let names = || proptest::collection::vec(name(), 0..3);
    (names(), names(), names(), names(), 0usize..9, 0usize..9).prop_map(
        |(down, up, suspect, stale, fresh, quorum)| Tally {
            down,
            up,
            suspect,
            stale,
            fresh,
            quorum,
        },
    )
}

pub(super) fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Done),
        Just(Outcome::Failed),
        Just(Outcome::DoneByOther),
        Just(Outcome::Interrupted),
    ]
}

pub(super) fn call() -> impl Strategy<Value = ProviderCall> {
    prop_oneof![
        (proptest::option::of(name()), name())
            .prop_map(|(from, to)| ProviderCall::Flip { from, to }),
        any::<u32>().prop_map(|ttl| ProviderCall::SetTtl { ttl }),
        Just(ProviderCall::Read),
        (name(), name(), any::<u8>()).prop_map(|(from, to, weight)| ProviderCall::Weigh {
            from,
            to,
            weight
        }),
    ]
}

pub(super) fn sets() -> impl Strategy<Value = Option<Vec<RecordSet>>> {
    let set = (
        name(),
        any::<u32>(),
        proptest::collection::vec("[0-9.]{1,15}", 0..3),
    )
        .prop_map(|(name, ttl, values)| RecordSet {
            name,
            rtype: RecordType::A,
            ttl,
            values,
            set_id: None,
            weight: None,
            alias: None,
        });
    proptest::option::of(proptest::collection::vec(set, 0..2))
}

pub(super) fn diff() -> impl Strategy<Value = Diff> {
    (sets(), sets(), proptest::option::of(words())).prop_map(|(expected, desired, error)| Diff {
        expected,
        desired,
        error,
    })
}

pub(super) fn opened() -> impl Strategy<Value = Opened> {
    prop_oneof![
        health().prop_map(|health| Opened::Health { health }),
        (name(), name(), any::<bool>()).prop_map(|(actor, to, simulate_fault)| Opened::Drill {
            actor,
            to,
            simulate_fault,
        }),
        (name(), name()).prop_map(|(actor, to)| Opened::Manual { actor, to }),
        (
            prop_oneof![
                Just(crate::controller::IncidentKind::Outage),
                Just(crate::controller::IncidentKind::Operator),
                Just(crate::controller::IncidentKind::Drill)
            ],
            name(),
            words()
        )
            .prop_map(|(kind, actor, note)| Opened::Controller { kind, actor, note }),
    ]
}

pub(super) fn behind() -> impl Strategy<Value = Behind> {
    prop_oneof![
        tally().prop_map(|tally| Behind::Quorum { tally }),
        name().prop_map(|vantage| Behind::Local { vantage }),
    ]
}

pub(super) fn ms() -> impl Strategy<Value = Option<i64>> {
    proptest::option::of(0i64..5_000_000_000_000)
}

/// Any event, every variant.
pub(super) fn event() -> impl Strategy<Value = Event> {
    let level = prop_oneof![
        Just(AlertLevel::Info),
        Just(AlertLevel::Warning),
        Just(AlertLevel::Critical)
    ];
    let receipt =
        proptest::option::of((name(), name()).prop_map(|(id, status)| Receipt { id, status }));
    let names = || proptest::collection::vec(name(), 0..3);
    prop_oneof![
        (
            proptest::option::of(name()),
            opened(),
            proptest::option::of(window())
        )
            .prop_map(|(pool, cause, window)| Event::IncidentStart {
                pool,
                cause,
                window,
                change: None
            }),
        name().prop_map(|pool| Event::IncidentEnd { pool, change: None }),
        (0u64..100_000, 0u64..100_000).prop_map(|(elapsed_s, rto_s)| Event::RtoMissed {
            elapsed_s,
            rto_s,
            change: None
        }),
        (
            name(),
            health(),
            health(),
            proptest::option::of(words()),
            proptest::option::of(names()),
            proptest::option::of(tally())
        )
            .prop_map(
                |(pool, health, was, detail, vantages, tally)| Event::Observation {
                    pool,
                    health,
                    was,
                    detail,
                    vantages,
                    tally
                }
            ),
        (name(), command()).prop_map(|(actor, command)| Event::Command { actor, command }),
        (intent(), proptest::option::of(behind())).prop_map(|(intent, behind)| Event::Intent {
            intent,
            behind,
            records: Vec::new(),
        }),
        (any::<i64>(), outcome(), words()).prop_map(|(intent, outcome, note)| {
            Event::IntentClosed {
                intent,
                outcome,
                note,
            }
        }),
        (
            call(),
            name(),
            outcome(),
            diff(),
            (ms(), ms(), ms()),
            receipt
        )
            .prop_map(
                |(call, actor, outcome, diff, (accepted_ms, in_sync_ms, seen_ms), receipt)| {
                    Event::ProviderResult {
                        call,
                        actor,
                        outcome,
                        diff,
                        accepted_ms,
                        in_sync_ms,
                        seen_ms,
                        receipt,
                    }
                }
            ),
        (name(), any::<u32>(), names()).prop_map(|(to, old_ttl, expected)| Event::WatchStart {
            to,
            old_ttl,
            expected
        }),
        (words(), names(), any::<u32>()).prop_map(|(end, outstanding, n)| Event::WatchResult {
            end,
            outstanding,
            watch: serde_json::json!({ "ended_ms": n }),
        }),
        (level, words()).prop_map(|(level, message)| Event::Alert { level, message }),
        words().prop_map(|message| Event::Refused { message }),
        (
            entry_kind(),
            proptest::option::of(name()),
            proptest::option::of(reason()),
            words(),
            proptest::option::of(change())
        )
            .prop_map(|(decision, pool, reason, note, change)| Event::Decision {
                decision,
                pool,
                reason,
                note,
                change
            }),
        intent().prop_map(|intent| Event::Orphaned { intent }),
        (intent(), any::<u64>(), any::<u64>()).prop_map(|(intent, age_s, max_age_s)| {
            Event::Abandoned {
                intent,
                age_s,
                max_age_s,
            }
        }),
        (name(), words()).prop_map(|(vantage, reason)| Event::VantageImpaired { vantage, reason }),
        name().prop_map(|vantage| Event::VantageRecovered { vantage }),
    ]
}
