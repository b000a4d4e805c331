//! The outcome's prediction and overstay arithmetic, on a hand-filled board.

use std::time::Duration;

use tokio::time::Instant;

use super::server;
use crate::propagation::outcome::{Frame, build};
use crate::propagation::track::{Board, Clock};
use crate::propagation::{EndReason, PathState, WatchOutcome};

const S: Duration = Duration::from_secs(1);

/// One resolver that answered old data (expiring at +10 s) and maybe switched.
fn outcome(
    switched: Option<Duration>,
    change: Option<(Duration, u32)>,
    end: Duration,
) -> WatchOutcome {
    let start = Instant::now();
    let mut board = Board::new(
        Vec::new(),
        &[server("r", "127.0.0.1:53".parse().expect("addr"))],
        false,
    );
    let r = &mut board.resolvers[0];
    r.health.answered();
    r.first_old = Some((start + 2 * S, 8));
    r.last_old_ttl = Some(1);
    r.last_old_at = Some(start + 9 * S);
    r.expiry = Some(start + 10 * S);
    if let Some(d) = switched {
        r.health.answered();
        r.switched = Some(start + d);
    }
    let frame = Frame {
        name: "www.example.test.",
        rtype: "A".into(),
        expected: vec!["127.0.0.3".into()],
        clock: Clock::new(start),
        changed_at: change.map(|(d, _)| start + d),
        old_ttl: change.map(|(_, ttl)| ttl),
        end: if switched.is_some() {
            EndReason::Converged
        } else {
            EndReason::Deadline
        },
        ended: start + end,
    };
    build(&frame, &board)
}

#[tokio::test]
async fn resolver_ttl_prediction_allows_the_rounding_second() {
    let out = outcome(Some(Duration::from_millis(11_200)), None, 12 * S);
    let r = &out.resolvers[0];
    assert_eq!(r.state, PathState::Converged);
    assert_eq!(r.prediction_basis, Some("resolver_ttl"));
    assert_eq!(r.cache_expiry_ms, Some(10_000));
    assert_eq!(r.predicted_ms, Some(11_000));
    assert_eq!(r.overstay_ms, Some(200));
    assert!(!r.kept_past_prediction);
    assert_eq!((r.first_old_ttl, r.last_old_ttl), (Some(8), Some(1)));
}

#[tokio::test]
async fn change_and_ttl_prediction_flags_a_late_switch() {
    let out = outcome(
        Some(Duration::from_millis(33_500)),
        Some((2 * S, 30)),
        34 * S,
    );
    let r = &out.resolvers[0];
    assert_eq!(r.prediction_basis, Some("change_and_ttl"));
    assert_eq!(r.predicted_ms, Some(32_000));
    assert_eq!(r.overstay_ms, Some(1_500));
    assert!(r.kept_past_prediction);
    assert_eq!(out.changed_ms, Some(2_000));
}

#[tokio::test]
async fn a_resolver_still_old_at_the_end_is_flagged_and_outstanding() {
    let out = outcome(None, Some((2 * S, 30)), 40 * S);
    let r = &out.resolvers[0];
    assert_eq!(r.state, PathState::Old);
    assert_eq!(r.switched_ms, None);
    assert_eq!(r.overstay_ms, Some(8_000));
    assert!(r.kept_past_prediction);
    assert_eq!(out.outstanding, ["resolver r"]);
    let json = serde_json::to_value(&out).expect("serialises");
    assert_eq!(json["end"], "deadline");
    assert_eq!(json["ended_ms"], 40_000);
    assert_eq!(json["resolvers"][0]["state"], "old");
    assert_eq!(json["resolvers"][0]["prediction_basis"], "change_and_ttl");
    assert!(
        json["ended_at"]
            .as_str()
            .is_some_and(|t| t.contains('T') && t.ends_with('Z'))
    );
}

#[tokio::test]
async fn a_copy_the_resolver_reports_longer_lived_sets_the_prediction() {
    // The TTL in force at the change was 1 s; the first old answer (at
    // +2 s) said 8 s were left: a copy fetched before the lowering.
    let out = outcome(
        Some(Duration::from_millis(10_500)),
        Some((2 * S, 1)),
        12 * S,
    );
    let r = &out.resolvers[0];
    assert_eq!(r.prediction_basis, Some("resolver_ttl"));
    assert_eq!(r.predicted_ms, Some(11_000));
    assert!(!r.kept_past_prediction, "{r:?}");
    // Past what the resolver itself reported, it is late.
    let out = outcome(
        Some(Duration::from_millis(13_500)),
        Some((2 * S, 1)),
        14 * S,
    );
    let r = &out.resolvers[0];
    assert_eq!(r.overstay_ms, Some(2_500));
    assert!(r.kept_past_prediction);
}
