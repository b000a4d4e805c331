//! `rtoguard doctor` against real peers on loopback: BIND (right key, wrong
//! key, stopped), unbound in front of it, moto without the zone, the
//! Cloudflare fake refusing the token, a secret file that is not there.
//! Each failure is one FAIL line naming the cause, and exit 1.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use common::{OutputText, Testbed, run};
use rtoguard_testkit::cloudflare::Fake;
use rtoguard_testkit::moto::Moto;
use rtoguard_testkit::unbound::Unbound;

/// A testbed whose config names a 0600 copy of the TSIG secret (`secret`
/// replaces the real one when given) and BIND as the authoritative server.
fn testbed(secret: Option<&str>) -> Testbed {
    let tb = Testbed::start(60, 5, "30s");
    let real = std::fs::read_to_string(tb.secret_path()).expect("read secret");
    let copy = tb.dir.path().join("tsig.secret");
    std::fs::write(&copy, secret.unwrap_or(&real)).expect("write secret");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let mut text = std::fs::read_to_string(&tb.config).expect("read config");
    text = text.replace(
        &tb.secret_path().display().to_string(),
        &copy.display().to_string(),
    );
    text.push_str(&format!(
        "\n[services.propagation]\nauthoritatives = [ {{ name = \"bind\", address = \"{}\" }} ]\n",
        tb.bind.addr
    ));
    std::fs::write(&tb.config, text).expect("write config");
    tb
}

/// Add `unbound` as the service's resolver (the propagation table is last).
fn add_resolver(tb: &Testbed, unbound: &Unbound) {
    let mut text = std::fs::read_to_string(&tb.config).expect("read config");
    text.push_str(&format!(
        "resolvers = [ {{ name = \"unbound\", address = \"{}\" }} ]\n",
        unbound.addr
    ));
    std::fs::write(&tb.config, text).expect("write config");
}

fn doctor(config: &str) -> Output {
    run(&["doctor", "--config", config])
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The one line of `check` kind that failed, or a panic with the output.
fn failed_line(o: &Output, check: &str) -> String {
    let out = stdout(o);
    out.lines()
        .find(|l| l.starts_with("FAIL") && l.split_whitespace().nth(1) == Some(check))
        .unwrap_or_else(|| panic!("no FAIL {check} line in:\n{}", o.text()))
        .to_string()
}

/// Ports, temporary directories and the TSIG error's details masked, so
/// the snapshot holds only what a person reads.
fn masked(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive(' ') {
        out.push_str(&mask_word(word));
    }
    out
}

fn mask_word(word: &str) -> String {
    let mut w = word.to_string();
    while let Some(i) = w.find("/tmp/") {
        let rest = &w[i + 5..];
        let end = rest.find('/').map_or(rest.len(), |e| e);
        w = format!("{}[tmp]{}", &w[..i], &rest[end..]);
    }
    if let Some(i) = w.find("127.0.0.") {
        let after = &w[i + 8..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        let rest = &after[digits..];
        if let Some(port) = rest.strip_prefix(':') {
            let n = port.chars().take_while(char::is_ascii_digit).count();
            w = format!("{}:[port]{}", &w[..i + 8 + digits], &port[n..]);
        }
    }
    w
}

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

#[test]
fn route53_without_the_hosted_zone_fails_the_provider_line() {
    let moto = Moto::start();
    let tb = Testbed::start(60, 5, "30s");
    with_provider(
        &tb,
        &format!(
            "type = \"route53\"\nregion = \"us-east-1\"\nendpoint_url = \"{}\"",
            moto.url()
        ),
    );
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_rtoguard"))
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
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let line = failed_line(&o, "provider");
    assert!(
        line.contains("no hosted zone named example.test."),
        "{line}"
    );
}

#[test]
fn a_cloudflare_token_refused_fails_the_provider_line() {
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

fn token_file(tb: &Testbed, name: &str, value: &str) -> std::path::PathBuf {
    let path = tb.dir.path().join(name);
    std::fs::write(&path, value).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
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
