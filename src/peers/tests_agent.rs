//! Tests of agent mode: real TCP probes on loopback, observations served to a puller.

use std::net::SocketAddr;
use std::time::Duration;

use rtoguard_testkit::net::{free_port, lo};
use tokio_util::sync::CancellationToken;

use super::tests_api::{TOKEN, until};
use super::tests_obs::{CONFIG, config};
use super::{EndpointObsState, PeerSet, PeerSpec, config_digest, run_agent};
use crate::config::{Secret, SecretSource};
use crate::controller::PoolHealth;

/// The test config probing `port`, as an agent listening on `listen`.
fn agent_config(port: u16, listen: SocketAddr, token_file: &std::path::Path) -> String {
    let controller = format!(
        "id = \"us-east-1\"\npeer_listen = \"{listen}\"\npeer_token_file = \"{}\"\n",
        token_file.display()
    );
    CONFIG
        .replacen("id = \"us-east-1\"\n", &controller, 1)
        .replace("port = 80", &format!("port = {port}, timeout = \"80ms\""))
        .replace(
            "interval = \"5s\", rise = 2, fall = 2",
            "interval = \"100ms\", rise = 1, fall = 1",
        )
}

fn token(path: &std::path::Path) -> Secret {
    SecretSource::File(path.to_path_buf())
        .read()
        .expect("token")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_probes_and_serves_its_observations() {
    // The primary (127.0.0.2) listens; the standby (127.0.0.3) does not.
    let primary = tokio::net::TcpListener::bind((lo(2), 0)).await.unwrap();
    let port = primary.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((conn, _)) = primary.accept().await {
            drop(conn);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("peer-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let listen = SocketAddr::new(lo(1), free_port(lo(1)));
    let cfg = config(&agent_config(port, listen, &token_file));
    let cancel = CancellationToken::new();
    let agent = {
        let (cfg, cancel) = (cfg.clone(), cancel.clone());
        tokio::spawn(async move { run_agent(&cfg, cancel).await })
    };
    let peer = PeerSpec {
        id: "us-east-1".into(),
        url: format!("http://{listen}"),
        token: token(&token_file),
        ca_file: None,
        max_clock_skew: std::time::Duration::from_secs(2),
    };
    let set = PeerSet::spawn(vec![peer], Duration::from_millis(50), cancel.clone());
    let settled = |v: &super::PeerView| {
        v.obs.as_ref().is_some_and(|o| {
            o.pool("checkout", "primary")
                .is_some_and(|p| p.health == PoolHealth::Up)
                && o.pool("checkout", "standby")
                    .is_some_and(|p| p.health == PoolHealth::Down)
        })
    };
    let view = until(&set, settled).await;
    let obs = view.obs.expect("observations");
    assert_eq!(obs.vantage, "us-east-1");
    assert_eq!(obs.config_digest, config_digest(&cfg));
    let standby = obs.pool("checkout", "standby").unwrap();
    assert_eq!(standby.endpoints[0].endpoint, "127.0.0.3");
    assert_eq!(standby.endpoints[0].state, EndpointObsState::Down);
    assert!(standby.endpoints[0].failing && standby.endpoints[0].last_at_ms.is_some());
    cancel.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(30), agent).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
}

#[tokio::test]
async fn an_agent_needs_peer_listen() {
    let cfg = config(CONFIG);
    let err = run_agent(&cfg, CancellationToken::new())
        .await
        .expect_err("no peer_listen");
    assert!(
        format!("{err:#}").contains("controller.peer_listen"),
        "{err:#}"
    );
}

/// One probe result on the primary's endpoint at `at`.
fn result(ok: bool, at: tokio::time::Instant) -> crate::probe::ProbeResult {
    crate::probe::ProbeResult {
        ok,
        latency: Duration::from_millis(1),
        detail: if ok { "connected" } else { "connect refused" }.into(),
        at,
        lateness: Duration::ZERO,
        local: None,
    }
}

#[test]
fn an_agent_publishes_the_first_failure_at_once_not_at_its_tick() {
    let cfg = config(CONFIG);
    let mut views = super::agent::views(&cfg.services);
    let t0 = tokio::time::Instant::now();
    let mut probe = |ok: bool, n: u64| {
        let at = t0 + Duration::from_millis(100 * n);
        super::agent::observe(
            &mut views,
            "checkout",
            "primary",
            "127.0.0.2",
            &result(ok, at),
        )
    };
    // rise 2, fall 2: the second success makes it up; the first failure
    // (in doubt: peers confirm fast) and the second (down) are votes that
    // moved; a third failure changes nothing a peer acts on.
    let moved: Vec<bool> = [true, true, false, false, false]
        .iter()
        .enumerate()
        .map(|(n, ok)| probe(*ok, n as u64))
        .collect();
    assert_eq!(moved, [false, true, true, true, false]);
}
