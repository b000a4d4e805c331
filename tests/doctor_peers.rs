//! `rtoguard doctor` with a peer: a probe-only agent on loopback that takes
//! our token or refuses it, and whose clock may be off.

mod common;
#[path = "doctor/support.rs"]
mod support;

use common::{OutputText, Testbed};
use support::*;

/// A probe-only agent on 127.0.0.1 serving the peer API with `token`,
/// its wall clock `offset_ms` off; killed on drop.
struct Agent {
    url: String,
    child: std::process::Child,
}

impl Agent {
    fn start(tb: &Testbed, token: &std::path::Path, offset_ms: i64) -> Self {
        let port = rtoguard_testkit::net::free_port(rtoguard_testkit::net::lo(1));
        let state = tb.dir.path().join("agent");
        std::fs::create_dir_all(&state).unwrap();
        let text = std::fs::read_to_string(&tb.config).unwrap();
        let services = &text[text.find("[providers.bind]").unwrap()..];
        let config = state.join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[controller]\nid = \"witness\"\nstate_dir = \"{s}\"\ncontrol_socket = \"{s}/control.sock\"\npeer_listen = \"127.0.0.1:{port}\"\npeer_token_file = \"{t}\"\n\n{services}",
                s = state.display(),
                t = token.display(),
            ),
        )
        .unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_rtoguard"))
            .args(["agent", "--config", config.to_str().unwrap()])
            .env("RUST_LOG", "warn")
            .env("RTOGUARD_TEST_CLOCK_OFFSET", format!("witness:{offset_ms}"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn the agent");
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        assert!(
            rtoguard_testkit::net::wait_tcp(addr, std::time::Duration::from_secs(20)),
            "the agent never listened"
        );
        Self {
            url: format!("http://{addr}"),
            child,
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The testbed's config with the agent as its peer, sending `token`.
fn with_peer(tb: &Testbed, agent: &Agent, token: &std::path::Path) {
    let mut text = std::fs::read_to_string(&tb.config).unwrap();
    text.push_str(&format!(
        "\n[[peers]]\nid = \"witness\"\nurl = \"{}\"\ntoken_file = \"{}\"\n",
        agent.url,
        token.display()
    ));
    std::fs::write(&tb.config, text).unwrap();
}

#[test]
fn peers_answer_our_token_or_say_they_refuse_it_and_clocks_are_bounded() {
    let tb = testbed(None);
    let right = token_file(&tb, "peer-token", "doctor-peer-token-8c1f");
    let wrong = token_file(&tb, "wrong-token", "not-the-peer-token-0000");
    let agent = Agent::start(&tb, &right, 0);
    let text = std::fs::read_to_string(&tb.config).unwrap();

    with_peer(&tb, &agent, &right);
    let o = doctor(tb.config_str());
    let out = stdout(&o);
    let peer = out
        .lines()
        .find(|l| l.contains("witness http://"))
        .unwrap_or_default();
    assert!(peer.starts_with("ok"), "{}", o.text());
    assert!(peer.contains("answers with our token"), "{peer}");
    assert!(peer.contains("probing what we probe"), "{peer}");
    let clock = out
        .lines()
        .find(|l| l.contains("clock"))
        .unwrap_or_default();
    assert!(clock.starts_with("ok"), "{}", o.text());

    std::fs::write(&tb.config, &text).unwrap();
    with_peer(&tb, &agent, &wrong);
    let o = doctor(tb.config_str());
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let line = failed_line(&o, "peer");
    assert!(line.contains("refused our token"), "{line}");
    assert!(
        !o.text().contains("not-the-peer-token"),
        "the token was printed"
    );
}

#[test]
fn a_peer_clock_beyond_the_bound_fails_the_clock_line() {
    let tb = testbed(None);
    let token = token_file(&tb, "peer-token", "doctor-peer-token-8c1f");
    let agent = Agent::start(&tb, &token, 5_000);
    with_peer(&tb, &agent, &token);
    let o = doctor(tb.config_str());
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let line = failed_line(&o, "clock");
    assert!(line.contains("witness: +5s"), "{line}");
}
