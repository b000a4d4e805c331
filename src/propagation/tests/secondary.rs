//! Two authoritatives, a BIND primary and a secondary fed by NOTIFY/IXFR: each one's convergence is timed apart.

use std::net::SocketAddr;
use std::time::Duration;

use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::net;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{ZONE, flip, server, signal, spec};
use crate::propagation::{EndReason, PathState, Progress, watch};

/// Resumes a paused process even when the test fails half-way.
struct Resume(u32);

impl Drop for Resume {
    fn drop(&mut self) {
        signal(self.0, "CONT");
    }
}

#[tokio::test]
async fn primary_and_paused_secondary_converge_separately() {
    // BIND listens only on addresses an interface has: 127.0.0.1, another port.
    let sec_ip = net::lo(1);
    let sec_addr = SocketAddr::new(sec_ip, net::free_port(sec_ip));
    let primary = Bind::builder(ZONE)
        .records(&["www 300 IN A 127.0.0.2"])
        .notify(sec_addr)
        .start();
    let secondary = Bind::builder(ZONE)
        .ip(sec_ip)
        .port(sec_addr.port())
        .secondary_of(primary.addr)
        .start();
    assert_eq!(secondary.serial(), primary.serial(), "zone transferred");

    // Pause the secondary so it takes NOTIFY and IXFR only later.
    let pid = secondary.pid().expect("secondary runs");
    signal(pid, "STOP");
    let resume = Resume(pid);
    let start = Instant::now();
    flip(&primary, "www.example.test.", 300, "127.0.0.3").await;

    let mut s = spec("www.example.test.", "127.0.0.3", start);
    s.authoritatives = vec![
        server("primary", primary.addr),
        server("secondary", secondary.addr),
    ];
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let watching = tokio::spawn(watch(s, CancellationToken::new(), Some(tx)));
    // The primary converges while the secondary is paused.
    let first = rx.recv().await.expect("a progress event");
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(resume);
    let out = watching.await.expect("watch task");

    assert!(
        matches!(&first, Progress::Authoritative { server, .. } if server == "primary"),
        "{first:?}"
    );
    assert_eq!(
        out.end,
        EndReason::Converged,
        "{out:#?}\n{}",
        secondary.log()
    );
    let [p, sec] = &out.authoritatives[..] else {
        panic!("two authoritatives: {out:#?}");
    };
    assert_eq!(p.state, PathState::Converged);
    assert_eq!(sec.state, PathState::Converged);
    assert_eq!(p.serial, Some(2));
    assert_eq!(sec.serial, Some(2), "the secondary took the new serial");
    let (p_ms, s_ms) = (
        p.converged_ms.expect("primary"),
        sec.converged_ms.expect("secondary"),
    );
    assert!(
        s_ms >= p_ms + 1_500,
        "primary {p_ms} ms, secondary {s_ms} ms"
    );
    assert!(
        sec.queries.timeouts >= 1,
        "queries to the paused secondary timed out"
    );
    assert_eq!(
        sec.queries
            .last_error
            .as_deref()
            .map(|e| e.starts_with("no reply")),
        Some(true)
    );
}
