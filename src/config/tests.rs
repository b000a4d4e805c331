//! Tests of the example config, the summary, secrets and small parsers.

use std::path::Path;
use std::time::Duration;

use rtoguard_provider_api::RecordType;

use super::values::{is_hostname, parse_duration};
use super::*;

fn example() -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml.example");
    match load(&path) {
        Ok(cfg) => cfg,
        Err(e) => panic!("config.toml.example must validate:\n{e}"),
    }
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "needs every provider built in"
)]
fn example_validates_with_every_provider_kind() {
    let cfg = example();
    assert_eq!(cfg.controller.id, "us-east-1");
    assert_eq!(cfg.vantages(), 3, "two controllers and the witness");
    let kinds: Vec<&str> = cfg.providers.values().map(|p| p.kind.type_name()).collect();
    for kind in ["rfc2136", "route53", "cloudflare"] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    let checkout = cfg.service("checkout").expect("checkout");
    assert_eq!(checkout.rtype, RecordType::A);
    assert_eq!(
        checkout.ttl,
        Ttl {
            normal: 300,
            lowered: 30,
            restore_after: Duration::from_secs(300)
        }
    );
    assert_eq!(checkout.pool("primary").map(|p| p.endpoints.len()), Some(2));
    assert_eq!(checkout.pools[1].name, "standby");
    assert_eq!(checkout.quorum(cfg.vantages()), 2);
    let ProbeKind::Http {
        expect_status,
        header,
        ..
    } = &checkout.probe.kind
    else {
        panic!("checkout probes over http");
    };
    assert_eq!(expect_status, &vec![(200, 200), (204, 204)]);
    assert_eq!(header, &Some(("x-ready".to_string(), "yes".to_string())));
    let api = cfg.service("api").expect("api");
    assert_eq!(
        api.pools[0].endpoints,
        vec!["lb.us-east-1.example.net.".to_string()]
    );
    assert_eq!(api.failback.mode, FailbackMode::Auto);
}

/// The sample of DESIGN.md ("Config, the intended shape"), as written there.
const DESIGN_SAMPLE: &str = r#"
[controller]
id = "us-east-1"                       # this instance's vantage name
state_dir = "/var/lib/rtoguard"
control_socket = "/run/rtoguard/control.sock"
# metrics_listen = "127.0.0.1:9419"
# peer_listen = "0.0.0.0:9420"

[[peers]]                              # the other regions' controllers
id = "eu-west-1"
url = "https://rtoguard.eu-west-1.example.net:9420"
token_file = "/etc/rtoguard/peer-token"

[[peers]]                              # a witness agent in a third place (issue: region loss)
id = "witness"
url = "https://rtoguard-witness.example.net:9420"
token_file = "/etc/rtoguard/peer-token"

[providers.corp-bind]
type = "rfc2136"
server = "192.0.2.53:53"
tsig_key_name = "rtoguard."
tsig_algorithm = "hmac-sha256"
tsig_secret_file = "/etc/rtoguard/tsig.secret"

[providers.aws]
type = "route53"                       # credentials: the standard AWS chain

[[services]]
name = "checkout"
provider = "corp-bind"
zone = "example.com."
record = "checkout.example.com."
type = "A"
rto = "5m"
ttl = { normal = "300s", lowered = "30s" }
failback = { mode = "manual", stable_for = "5m" }
probe = { type = "http", path = "/healthz", port = 443, tls = true, expect_status = [200], timeout = "2s" }
health = { interval = "5s", rise = 5, fall = 3, quorum = 2 }

[[services.pools]]
name = "primary"
region = "us-east-1"
endpoints = ["192.0.2.10", "192.0.2.11"]
marker = { header = "x-region", value = "us-east-1" }   # how a client recognises this pool

[[services.pools]]
name = "standby"
region = "eu-west-1"
endpoints = ["198.51.100.10"]
marker = { header = "x-region", value = "eu-west-1" }

[services.propagation]
resolvers = [ { name = "local", address = "127.0.0.53:53" } ]
client_url = "https://checkout.example.com/healthz"
"#;

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "needs every provider built in"
)]
fn design_sample_validates() {
    let cfg = parse(Path::new("design.toml"), DESIGN_SAMPLE).unwrap_or_else(|e| panic!("{e}"));
    let s = cfg.service("checkout").expect("checkout");
    assert_eq!(
        s.propagation.resolvers[0].address.to_string(),
        "127.0.0.53:53"
    );
    assert_eq!(
        s.pool("standby").map(|p| p.endpoints.clone()),
        Some(vec!["198.51.100.10".to_string()])
    );
    assert_eq!(cfg.controller.metrics_listen, None);
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "needs every provider built in"
)]
fn defaults_apply_where_the_example_leaves_options_out() {
    let cfg = example();
    let s = cfg.service("resolver").expect("resolver");
    assert_eq!(s.ttl.normal, 300);
    assert_eq!(
        s.failback,
        Failback {
            mode: FailbackMode::Manual,
            stable_for: Duration::from_secs(300),
            steps: Vec::new(),
            step_hold: Duration::from_secs(120),
        }
    );
    assert_eq!(s.health.interval, Duration::from_secs(5));
    assert_eq!(
        (s.health.rise, s.health.fall, s.health.min_healthy),
        (5, 3, 1)
    );
    assert_eq!((s.health.quorum, s.health.max_age), (None, None));
    assert_eq!(s.quorum(1), 1);
    assert_eq!(s.quorum(3), 2);
    assert_eq!(
        s.damping,
        Damping {
            hold_down: Duration::from_secs(120),
            max_flips: 3,
            flip_window: Duration::from_secs(3600)
        }
    );
    assert_eq!(s.probe.timeout, Duration::from_secs(2));
    assert_eq!(s.propagation.queries_per_second, 5);
    assert!(s.propagation.authoritatives.is_empty());
    let ns = &cfg
        .service("checkout")
        .expect("checkout")
        .propagation
        .authoritatives[0];
    assert_eq!(ns.address.port(), 53);
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "needs every provider built in"
)]
fn summary_names_every_service_and_pool_and_no_secret() {
    let cfg = example();
    let text = summary(&cfg);
    for s in &cfg.services {
        assert!(text.contains(&s.name), "{} missing:\n{text}", s.name);
        for p in &s.pools {
            assert!(
                text.contains(&format!("pool {} ({})", p.name, p.region)),
                "{text}"
            );
            for e in &p.endpoints {
                assert!(text.contains(e.as_str()), "{e} missing:\n{text}");
            }
        }
    }
    assert!(text.contains("file /etc/rtoguard/tsig.secret"), "{text}");
    assert!(text.contains("env CLOUDFLARE_API_TOKEN"), "{text}");
    assert!(text.contains("ttl 300s normal, 30s lowered"), "{text}");
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "needs every provider built in"
)]
fn summary_never_shows_a_secret_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret_path = dir.path().join("tsig.secret");
    std::fs::write(&secret_path, "dG9wLXNlY3JldA==\n").expect("write");
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml.example"))
            .expect("example")
            .replace(
                "/etc/rtoguard/tsig.secret",
                &secret_path.display().to_string(),
            );
    let cfg = parse(Path::new("x.toml"), &text).expect("valid");
    let ProviderKind::Rfc2136(bind) = &cfg.providers["corp-bind"].kind else {
        panic!("corp-bind is rfc2136");
    };
    let secret = bind.tsig_secret.read().expect("readable");
    assert_eq!(secret.expose(), "dG9wLXNlY3JldA==");
    assert!(!summary(&cfg).contains("dG9wLXNlY3JldA"));
    assert!(!format!("{cfg:?}").contains("dG9wLXNlY3JldA"));
}

#[test]
fn secrets_redact_and_read_errors_name_only_the_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("token");
    std::fs::write(&path, "hunter2-very-secret\r\n").expect("write");
    let secret = SecretSource::File(path.clone()).read().expect("read");
    assert_eq!(secret.expose(), "hunter2-very-secret");
    assert_eq!(format!("{secret:?} {secret}"), "REDACTED REDACTED");
    let missing = SecretSource::File(dir.path().join("absent"));
    let err = missing.read().expect_err("absent file");
    assert!(err.contains("absent"), "{err}");
    let env = SecretSource::Env("RTOGUARD_TEST_UNSET_VARIABLE".into());
    assert_eq!(env.describe(), "env RTOGUARD_TEST_UNSET_VARIABLE");
    assert!(env.read().is_err());
    std::fs::write(&path, "\n").expect("write");
    assert!(
        SecretSource::File(path).read().is_err(),
        "an empty secret is an error"
    );
}

#[test]
fn durations_are_strict() {
    assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
    assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
    assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
    assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
    assert_eq!(parse_duration("2d"), Some(Duration::from_secs(172_800)));
    for bad in ["", "5", "5 minutes", "m", "5x", "-5s", "1.5s", " 5s"] {
        assert_eq!(parse_duration(bad), None, "{bad:?}");
    }
}

#[test]
fn host_names() {
    assert!(is_hostname("lb.eu-west-1.example.net."));
    assert!(is_hostname("_acme.example.com"));
    for bad in ["", ".", "a..b", "-a.example", "a b", "a.example.-"] {
        assert!(!is_hostname(bad), "{bad:?}");
    }
}

#[test]
fn unreadable_file_is_one_issue_without_a_line() {
    let err = load(Path::new("/nonexistent/rtoguard.toml")).expect_err("no file");
    assert_eq!(err.issues.len(), 1);
    assert_eq!(err.issues[0].line, None);
    assert!(
        err.to_string()
            .starts_with("/nonexistent/rtoguard.toml: (file): cannot read"),
        "{err}"
    );
}

/// A bare `[` (found by the property test below) and an empty key (found by
/// `cargo fuzz`) once gave issues with an empty field name.
#[test]
fn an_unfinished_header_or_an_empty_key_names_a_field() {
    for text in [
        "[",
        "[\n",
        "a = 1\n[",
        "\"\"=\"ZZ\"",
        "[controller]\n\"\" = 1\n",
    ] {
        let e = parse(Path::new("t.toml"), text).unwrap_err();
        assert!(
            e.issues.iter().all(|i| !i.field.is_empty()),
            "{text:?}: {e}"
        );
    }
}

proptest::proptest! {
    /// Parsing never panics, whatever the text; errors always name a field.
    #[test]
    fn parse_never_panics(text in "\\PC{0,300}") {
        if let Err(e) = parse(Path::new("fuzz.toml"), &text) {
            proptest::prop_assert!(e.issues.iter().all(|i| !i.field.is_empty()));
            proptest::prop_assert!(!e.issues.is_empty());
        }
    }
}
