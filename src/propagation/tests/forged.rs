//! A hostile server on loopback: forged "converged" answers never converge a path; the truth behind TC does, over TCP.

use std::net::Ipv4Addr;
use std::time::Duration;

use rtoguard_testkit::forger::{Forger, Forgery, Script};
use rtoguard_testkit::net::lo;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{server, spec};
use crate::propagation::{EndReason, PathState, watch};

const NEW: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

fn forger(forgeries: Vec<Forgery>, truth: Option<Ipv4Addr>) -> Forger {
    Forger::start(
        lo(1),
        Script {
            forgeries,
            claim: NEW,
            truth,
        },
    )
}

#[tokio::test]
async fn forged_answers_do_not_converge_anything() {
    let auth = forger(Forgery::HOSTILE.to_vec(), None);
    let resolver = forger(Forgery::HOSTILE.to_vec(), None);
    let mut s = spec("www.example.test.", "127.0.0.3", Instant::now());
    s.deadline = Duration::from_secs(3);
    s.authoritatives = vec![server("forger-auth", auth.addr)];
    s.resolvers = vec![server("forger-resolver", resolver.addr)];
    let out = watch(s, CancellationToken::new(), None).await;
    assert!(auth.queries() > 0 && resolver.queries() > 0, "never asked");
    assert_ne!(out.end, EndReason::Converged, "{out:#?}");
    assert_ne!(
        out.authoritatives[0].state,
        PathState::Converged,
        "{out:#?}"
    );
    assert!(out.authoritatives[0].converged_ms.is_none(), "{out:#?}");
    assert_ne!(out.resolvers[0].state, PathState::Converged, "{out:#?}");
    assert!(out.resolvers[0].switched_ms.is_none(), "{out:#?}");
    // Counted, and visible at /metrics (the count is process-wide).
    let page = crate::metrics::Metrics::new().render();
    let ignored = page
        .lines()
        .find_map(|l| l.strip_prefix("rtoguard_dns_replies_ignored_total "))
        .and_then(|v| v.trim().parse::<u64>().ok());
    assert!(ignored.is_some_and(|n| n > 0), "{page}");
}

#[tokio::test]
async fn the_truth_behind_a_truncated_answer_converges_over_tcp() {
    let mut hostile = Forgery::HOSTILE.to_vec();
    hostile.push(Forgery::Truncated);
    for forgeries in [vec![Forgery::Truncated], hostile] {
        let auth = forger(forgeries.clone(), Some(NEW));
        let resolver = forger(forgeries.clone(), Some(NEW));
        let mut s = spec("www.example.test.", "127.0.0.3", Instant::now());
        s.deadline = Duration::from_secs(5);
        s.authoritatives = vec![server("forger-auth", auth.addr)];
        s.resolvers = vec![server("forger-resolver", resolver.addr)];
        let out = watch(s, CancellationToken::new(), None).await;
        assert_eq!(out.end, EndReason::Converged, "{forgeries:?}: {out:#?}");
        assert_eq!(out.authoritatives[0].state, PathState::Converged);
        assert_eq!(out.resolvers[0].state, PathState::Converged);
    }
}
