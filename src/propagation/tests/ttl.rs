//! A cached record lets go on time: BIND serves the change at once, unbound only when its copy's TTL runs out.

use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::unbound::Unbound;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{ZONE, align_late_in_second, flip, prime, server, spec};
use crate::propagation::{EndReason, PathState, WatchOutcome, watch};

const NAME: &str = "www.example.test.";

/// Cache the old answer in unbound, flip it at BIND, and watch both.
/// Returns the outcome and the change's offset from the start in ms.
async fn cached_then_flipped(ttl: u32, tell_change: bool) -> (WatchOutcome, u64) {
    let bind = Bind::start(ZONE, &[&format!("www {ttl} IN A 127.0.0.2")]);
    let unbound = Unbound::start(ZONE, bind.addr);
    align_late_in_second().await;
    let start = Instant::now();
    let (values, cached_ttl) = prime(unbound.addr, NAME).await;
    assert_eq!(values, ["127.0.0.2"]);
    assert_eq!(cached_ttl, ttl, "unbound fetched a fresh copy");
    let changed = flip(&bind, NAME, ttl, "127.0.0.3").await;
    assert_eq!(bind.serial(), 2, "the update bumped the serial");

    let mut s = spec(NAME, "127.0.0.3", start);
    s.authoritatives = vec![server("bind", bind.addr)];
    s.resolvers = vec![server("unbound", unbound.addr)];
    if tell_change {
        s.changed_at = Some(changed);
        s.old_ttl = Some(ttl);
    }
    let out = watch(s, CancellationToken::new(), None).await;
    let changed_ms = u64::try_from((changed - start).as_millis()).expect("small");
    (out, changed_ms)
}

/// What both TTLs must show; returns the resolver's switch offset.
fn assert_cache_expiry(out: &WatchOutcome, ttl: u32) -> u64 {
    assert_eq!(out.end, EndReason::Converged, "{out:#?}");
    assert!(out.outstanding.is_empty());
    let auth = &out.authoritatives[0];
    let res = &out.resolvers[0];
    assert_eq!(auth.state, PathState::Converged);
    assert_eq!(auth.serial, Some(2));
    assert_eq!(res.state, PathState::Converged);
    assert_eq!(res.last_values, ["127.0.0.3"]);
    let auth_ms = auth.converged_ms.expect("BIND converged");
    let switched = res.switched_ms.expect("unbound switched");
    // BIND serves the change before unbound's copy could have expired;
    // unbound keeps the old answer until (almost exactly) its TTL ran out.
    let ttl_ms = u64::from(ttl) * 1_000;
    assert!(auth_ms < ttl_ms - 1_000, "BIND at {auth_ms} ms");
    assert!(
        switched >= ttl_ms - 1_000,
        "unbound switched at {switched} ms"
    );
    let first = res.first_old_ttl.expect("an old answer was seen");
    assert!(first <= ttl && first + 2 >= ttl, "first old TTL {first}");
    let predicted = res.predicted_ms.expect("a prediction");
    assert!(
        switched.abs_diff(predicted) <= 1_000,
        "switched {switched} ms, predicted {predicted} ms"
    );
    assert!(!res.kept_past_prediction);
    let json = serde_json::to_value(out).expect("outcome serialises");
    assert_eq!(json["resolvers"][0]["switched_ms"], switched);
    assert!(
        json["started_at"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z'))
    );
    switched
}

#[tokio::test]
async fn ttl_30_cache_lets_go_when_the_change_and_old_ttl_predict() {
    let (out, changed_ms) = cached_then_flipped(30, true).await;
    let switched = assert_cache_expiry(&out, 30);
    let res = &out.resolvers[0];
    assert_eq!(res.prediction_basis, Some("change_and_ttl"));
    assert_eq!(res.predicted_ms, Some(changed_ms + 30_000));
    assert!(switched <= 31_000, "switched at {switched} ms");
}

#[tokio::test]
async fn ttl_5_cache_lets_go_correspondingly_sooner() {
    let (out, _) = cached_then_flipped(5, false).await;
    let switched = assert_cache_expiry(&out, 5);
    let res = &out.resolvers[0];
    assert_eq!(res.prediction_basis, Some("resolver_ttl"));
    assert_eq!(res.predicted_ms, res.cache_expiry_ms.map(|e| e + 1_000));
    assert!(switched <= 6_000, "switched at {switched} ms");
}

/// The journal claims the old answer had TTL 1; unbound keeps its 5-second
/// copy, as its first old answer said it would: the prediction is its own
/// report, and it is not late.
#[tokio::test]
async fn a_resolver_keeping_the_ttl_it_reported_is_not_flagged() {
    let bind = Bind::start(ZONE, &["www 5 IN A 127.0.0.2"]);
    let unbound = Unbound::start(ZONE, bind.addr);
    align_late_in_second().await;
    let start = Instant::now();
    prime(unbound.addr, NAME).await;
    let changed = flip(&bind, NAME, 5, "127.0.0.3").await;
    let mut s = spec(NAME, "127.0.0.3", start);
    s.authoritatives = vec![server("bind", bind.addr)];
    s.resolvers = vec![server("unbound", unbound.addr)];
    s.changed_at = Some(changed);
    s.old_ttl = Some(1);
    let out = watch(s, CancellationToken::new(), None).await;
    assert_eq!(out.end, EndReason::Converged, "{out:#?}");
    let res = &out.resolvers[0];
    assert_eq!(res.prediction_basis, Some("resolver_ttl"), "{res:#?}");
    assert!(!res.kept_past_prediction, "{res:#?}");
    let switched = res.switched_ms.expect("unbound switched");
    assert!(
        switched >= 3_000,
        "unbound kept its copy: switched at {switched} ms"
    );
}

/// unbound fetched the answer with TTL 10 before the TTL was lowered to 2;
/// the flip then says "old TTL 2". unbound rightly keeps its copy for the
/// TTL it reported on its first old answer: not late.
#[tokio::test]
async fn a_copy_fetched_before_the_lowering_is_held_rightly() {
    let bind = Bind::start(ZONE, &["www 10 IN A 127.0.0.2"]);
    let unbound = Unbound::start(ZONE, bind.addr);
    align_late_in_second().await;
    let start = Instant::now();
    assert_eq!(prime(unbound.addr, NAME).await.1, 10);
    flip(&bind, NAME, 2, "127.0.0.2").await;
    let changed = flip(&bind, NAME, 2, "127.0.0.3").await;
    let mut s = spec(NAME, "127.0.0.3", start);
    s.authoritatives = vec![server("bind", bind.addr)];
    s.resolvers = vec![server("unbound", unbound.addr)];
    s.changed_at = Some(changed);
    s.old_ttl = Some(2);
    let out = watch(s, CancellationToken::new(), None).await;
    assert_eq!(out.end, EndReason::Converged, "{out:#?}");
    let res = &out.resolvers[0];
    let first = res.first_old_ttl.expect("an old answer was seen");
    assert!(first > 2, "unbound reported its TTL-10 copy: {first}");
    assert!(!res.kept_past_prediction, "{res:#?}");
    assert_eq!(res.prediction_basis, Some("resolver_ttl"));
    let changed_ms = u64::try_from((changed - start).as_millis()).expect("small");
    let predicted = res.predicted_ms.expect("a prediction");
    assert!(
        predicted >= changed_ms + 2_000,
        "never before change + old TTL"
    );
}
