//! `rtoguard doctor` against real peers on loopback: BIND (right key, wrong
//! key, stopped), unbound in front of it, moto without the zone, the
//! Cloudflare fake refusing the token, a secret file that is not there, a
//! server that never answers. Each failure is one FAIL line naming the
//! cause, and exit 1. Peers: `doctor_peers.rs`.

mod common;
#[path = "doctor/support.rs"]
mod support;

use std::os::unix::fs::PermissionsExt;

use common::{OutputText, Testbed, run};
use rtoguard_testkit::cloudflare::Fake;
use rtoguard_testkit::moto::Moto;
use rtoguard_testkit::unbound::Unbound;
use support::*;

#[test]
fn a_healthy_setup_passes_every_check() {
    let tb = testbed(None);
    let unbound = Unbound::start("example.test.", tb.bind.addr);
    add_resolver(&tb, &unbound);
    let o = doctor(tb.config_str());
    assert_eq!(o.status.code(), Some(0), "{}", o.text());
    let out = stdout(&o);
    for check in [
        "secret",
        "provider",
        "pool",
        "resolver",
        "authority",
        "writer",
        "quorum",
        "rto",
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with("ok") && l.split_whitespace().nth(1) == Some(check)),
            "no ok {check} line:\n{out}"
        );
    }
    assert!(!out.contains("FAIL"), "{out}");
    insta::assert_snapshot!("doctor_healthy", masked(&out));
}

#[test]
fn a_wrong_tsig_secret_fails_the_provider_line_although_reads_work() {
    let wrong = rtoguard_testkit::random_secret();
    let tb = testbed(Some(&wrong));
    let o = doctor(tb.config_str());
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let line = failed_line(&o, "provider");
    assert!(line.contains("credentials were refused"), "{line}");
    assert!(line.contains("TSIG"), "{line}");
    assert!(!o.text().contains(&wrong), "the secret was printed");
    // Only the provider fails: BIND still answers unsigned queries.
    let failed = stdout(&o).lines().filter(|l| l.starts_with("FAIL")).count();
    assert_eq!(failed, 1, "{}", o.text());
    insta::assert_snapshot!("doctor_wrong_tsig", masked(&stdout(&o)));
}

#[test]
fn a_stopped_bind_fails_the_provider_and_the_authority() {
    let mut tb = testbed(None);
    tb.bind.stop();
    let o = doctor(tb.config_str());
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let line = failed_line(&o, "provider");
    assert!(
        line.contains("not reachable") || line.contains("no answer within"),
        "{line}"
    );
    failed_line(&o, "authority");
}

#[test]
fn a_missing_secret_file_fails_the_secret_and_the_provider() {
    let tb = testbed(None);
    let gone = tb.dir.path().join("tsig.secret");
    std::fs::remove_file(&gone).unwrap();
    let o = doctor(tb.config_str());
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let line = failed_line(&o, "secret");
    assert!(line.contains("providers.bind.tsig_secret"), "{line}");
    assert!(line.contains(&gone.display().to_string()), "{line}");
    assert!(failed_line(&o, "provider").contains("cannot be set up"));
}

/// The testbed's config with `[providers.bind]` replaced by `provider`.
fn with_provider(tb: &Testbed, provider: &str) {
    let text = std::fs::read_to_string(&tb.config).unwrap();
    let start = text.find("[providers.bind]").unwrap();
    let end = text.find("[[services]]").unwrap();
    let text = format!(
        "{}[providers.bind]\n{provider}\n\n{}",
        &text[..start],
        &text[end..]
    );
    std::fs::write(&tb.config, text).unwrap();
}

/// `doctor` with moto's test credentials (and no other AWS configuration).
fn doctor_aws(tb: &Testbed) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args(["doctor", "--config", tb.config_str()])
        .env("RUST_LOG", "warn")
        .envs([
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ])
        .output()
        .unwrap()
}

#[test]
fn route53_without_the_hosted_zone_fails_the_provider_line_and_with_it_passes() {
    let moto = Moto::start();
    let tb = Testbed::start(60, 5, "30s");
    with_provider(
        &tb,
        &format!(
            "type = \"route53\"\nregion = \"us-east-1\"\nendpoint_url = \"{}\"",
            moto.url()
        ),
    );
    let o = doctor_aws(&tb);
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let line = failed_line(&o, "provider");
    assert!(
        line.contains("no hosted zone named example.test."),
        "{line}"
    );

    let mut s = rtoguard_route53::Route53Settings::new("moto");
    s.region = Some("us-east-1".into());
    s.endpoint_url = Some(moto.url());
    s.credentials = Some(("testing".into(), "testing".into()));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        rtoguard_route53::sdk::SdkRoute53::new(&s)
            .await
            .client()
            .create_hosted_zone()
            .name("example.test.")
            .caller_reference("rtoguard-doctor")
            .send()
            .await
            .expect("create zone")
    });
    let o = doctor_aws(&tb);
    assert_eq!(o.status.code(), Some(0), "{}", o.text());
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.contains("(route53)"))
        .unwrap_or_default();
    assert!(line.starts_with("ok"), "{out}");
    assert!(line.contains("hosted zone example.test."), "{line}");
    assert!(line.contains("record sets listed"), "{line}");
}

#[test]
fn a_cloudflare_token_refused_fails_the_provider_line_and_the_right_one_passes() {
    let fake = Fake::start("the-token-cloudflare-knows", "example.test");
    let tb = Testbed::start(60, 5, "30s");
    let token = tb.dir.path().join("cf-token");
    std::fs::write(&token, "a-token-cloudflare-does-not-know").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    with_provider(
        &tb,
        &format!(
            "type = \"cloudflare\"\napi_token_file = \"{}\"\napi_url = \"{}\"\nmin_ttl = \"5s\"",
            token.display(),
            fake.api_url()
        ),
    );
    let o = doctor(tb.config_str());
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let line = failed_line(&o, "provider");
    assert!(line.contains("credentials were refused"), "{line}");
    assert!(!o.text().contains("a-token-cloudflare-does-not-know"));
    let asked: Vec<String> = fake.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        asked,
        ["/client/v4/user/tokens/verify"],
        "one request, no retries"
    );

    std::fs::write(&token, "the-token-cloudflare-knows").unwrap();
    let o = doctor(tb.config_str());
    assert_eq!(o.status.code(), Some(0), "{}", o.text());
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.contains("(cloudflare)"))
        .unwrap_or_default();
    assert!(line.starts_with("ok"), "{out}");
    assert!(line.contains("is active; zone example.test"), "{line}");
}

#[test]
fn a_config_error_exits_64() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[controller]\nid = 3\n").unwrap();
    let o = doctor(path.to_str().unwrap());
    assert_eq!(o.status.code(), Some(64), "{}", o.text());
}

#[test]
fn a_usage_error_exits_64_and_json_says_what_failed() {
    let o = run(&["doctor", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(64), "{}", o.text());
    let mut tb = testbed(None);
    tb.bind.stop();
    let o = run(&["doctor", "--json", "--config", tb.config_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(doc["ok"], false);
    let failed: Vec<&str> = doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["verdict"] == "fail")
        .filter_map(|c| c["check"].as_str())
        .collect();
    assert_eq!(failed, ["provider", "authority"], "{doc}");
}

#[test]
fn a_provider_that_never_answers_costs_one_request_and_one_timeout() {
    let tb = testbed(None);
    // A UDP socket that reads nothing: every datagram sent to it waits here.
    let hole = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let text = std::fs::read_to_string(&tb.config).unwrap();
    let text = text.replacen(
        &format!("server = \"{}\"", tb.bind.addr),
        &format!(
            "server = \"{}\"\ntimeout = \"1s\"",
            hole.local_addr().unwrap()
        ),
        1,
    );
    std::fs::write(&tb.config, text).unwrap();
    let o = doctor(tb.config_str());
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let line = failed_line(&o, "provider");
    assert!(
        line.contains("not reachable") || line.contains("no answer"),
        "{line}"
    );
    hole.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4096];
    let mut sent = 0;
    while hole.recv(&mut buf).is_ok() {
        sent += 1;
    }
    assert_eq!(sent, 1, "the doctor retried the update");
}
