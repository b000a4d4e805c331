//! Tests of the peer API settings: token, TLS files and a peer's CA.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::tests_validation::{BASE, expect, issues, with};
use super::{PeerTls, SecretSource, parse};

const CONTROLLER: &str = "id = \"us-east-1\"\n";

fn controller_with(lines: &str) -> String {
    with(CONTROLLER, &format!("{CONTROLLER}{lines}"))
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "needs every provider built in"
)]
fn example_has_peer_token_tls_and_ca() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml.example");
    let cfg = super::load(&path).expect("the example validates");
    let c = &cfg.controller;
    assert_eq!(
        c.peer_token,
        Some(SecretSource::File(PathBuf::from(
            "/etc/rtoguard/peer-token"
        )))
    );
    assert_eq!(
        c.peer_tls,
        Some(PeerTls {
            cert_file: PathBuf::from("/etc/rtoguard/peer.crt"),
            key_file: PathBuf::from("/etc/rtoguard/peer.key"),
        })
    );
    assert_eq!(
        cfg.peers[0].ca_file,
        Some(PathBuf::from("/etc/rtoguard/peer-ca.pem"))
    );
    assert_eq!(cfg.peers[0].max_clock_skew, Duration::from_secs(2));
}

#[test]
fn max_clock_skew_defaults_to_2s_and_is_checked() {
    let cfg = parse(Path::new("config.toml"), BASE).expect("BASE is valid");
    assert_eq!(cfg.peers[0].max_clock_skew, Duration::from_secs(2));
    let text = with(
        "url = \"https://eu.example.net:9420\"\n",
        "url = \"https://eu.example.net:9420\"\nmax_clock_skew = \"500ms\"\n",
    );
    let cfg = parse(Path::new("config.toml"), &text).expect("a skew bound");
    assert_eq!(cfg.peers[0].max_clock_skew, Duration::from_millis(500));
    let text = with(
        "url = \"https://eu.example.net:9420\"\n",
        "url = \"https://eu.example.net:9420\"\nmax_clock_skew = \"0s\"\n",
    );
    expect(
        &text,
        "max_clock_skew",
        0,
        "peers[eu-west-1].max_clock_skew",
        &["above zero"],
    );
}

#[test]
fn peer_settings_default_to_off() {
    let cfg = parse(Path::new("config.toml"), BASE).expect("BASE is valid");
    assert_eq!(cfg.controller.peer_token, None);
    assert_eq!(cfg.controller.peer_tls, None);
    assert_eq!(cfg.peers[0].ca_file, None);
}

#[test]
fn peer_listen_needs_a_token() {
    let text = controller_with("peer_listen = \"127.0.0.1:9420\"\n");
    expect(
        &text,
        "peer_listen",
        0,
        "controller.peer_token",
        &["peer_token_file", "peer_token_env"],
    );
}

#[test]
fn peer_token_from_env_with_listen() {
    let text =
        controller_with("peer_listen = \"127.0.0.1:9420\"\npeer_token_env = \"RTOGUARD_PEER\"\n");
    let cfg = parse(Path::new("config.toml"), &text).expect("valid");
    assert_eq!(
        cfg.controller.peer_token,
        Some(SecretSource::Env("RTOGUARD_PEER".into()))
    );
}

#[test]
fn peer_token_is_never_inline() {
    let text = controller_with("peer_listen = \"127.0.0.1:9420\"\npeer_token = \"s3cret\"\n");
    expect(
        &text,
        "peer_token = ",
        0,
        "controller.peer_token",
        &["peer_token_file"],
    );
    assert!(
        issues(&text)
            .iter()
            .all(|i| !i.to_string().contains("s3cret"))
    );
}

#[test]
fn peer_tls_needs_both_files() {
    let text = controller_with("peer_tls_cert_file = \"/etc/rtoguard/peer.crt\"\n");
    expect(
        &text,
        "peer_tls_cert_file",
        0,
        "controller.peer_tls_key_file",
        &["both", "neither"],
    );
    let text = controller_with("peer_tls_key_file = \"/etc/rtoguard/peer.key\"\n");
    expect(
        &text,
        "peer_tls_key_file",
        0,
        "controller.peer_tls_cert_file",
        &["both", "neither"],
    );
}

#[test]
fn peer_ca_file_is_read() {
    let text = with(
        "token_file = \"/etc/rtoguard/peer-token\"\n",
        "token_file = \"/etc/rtoguard/peer-token\"\nca_file = \"/etc/rtoguard/ca.pem\"\n",
    );
    let cfg = parse(Path::new("config.toml"), &text).expect("valid");
    assert_eq!(
        cfg.peers[0].ca_file,
        Some(PathBuf::from("/etc/rtoguard/ca.pem"))
    );
}

#[test]
fn probe_source_is_an_ip_address() {
    let cfg = parse(
        Path::new("config.toml"),
        &controller_with("probe_source = \"127.0.0.11\"\n"),
    )
    .expect("valid");
    assert_eq!(cfg.controller.probe_source, Some([127, 0, 0, 11].into()));
    let base = parse(Path::new("config.toml"), BASE).expect("BASE is valid");
    assert_eq!(base.controller.probe_source, None);
    let text = controller_with("probe_source = \"127.0.0.11:80\"\n");
    expect(
        &text,
        "probe_source",
        0,
        "controller.probe_source",
        &["not an IP address"],
    );
}
