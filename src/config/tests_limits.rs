//! Tests of the limits `check` enforces: no value can panic or pass unworkable.

use std::path::Path;
use std::time::Duration;

use super::tests_validation::{BASE, expect, with};
use super::{load, load_checked, parse, summary};

const HEALTH: &str = "health = { interval = \"5s\", rise = 5, fall = 3 }";

fn health(inner: &str) -> String {
    with(HEALTH, &format!("health = {{ {inner} }}"))
}

#[test]
fn huge_durations_are_refused_not_panicked_on() {
    for huge in ["106751991167300d", "18446744073709551615s", "366d"] {
        let text = health(&format!("interval = \"{huge}\""));
        expect(
            &text,
            "health = ",
            0,
            "services[checkout].health.interval",
            &["too long", "365d"],
        );
        let text = with("rto = \"5m\"", &format!("rto = \"{huge}\""));
        expect(&text, "rto = ", 0, "services[checkout].rto", &["too long"]);
    }
}

#[test]
fn the_summary_of_the_longest_durations_does_not_overflow() {
    let text = health("interval = \"365d\", rise = 5, fall = 3");
    let cfg = parse(Path::new("c.toml"), &text).expect("365d is allowed");
    let text = summary(&cfg);
    assert!(
        text.contains("every 8760h") && text.contains("max age 26280h"),
        "{text}"
    );
}

#[test]
fn interval_has_a_floor_and_the_timeout_must_fit_in_it() {
    let text = health("interval = \"1ms\"");
    let field = "services[checkout].health.interval";
    expect(&text, "health = ", 0, field, &["1ms", "100ms"]);
    // The default probe timeout (2s) does not fit in 1s.
    let text = health("interval = \"1s\"");
    expect(&text, "health = ", 0, field, &["timeout 2s", "below"]);
    // A written timeout is pointed at, equal is refused too.
    let text = with(
        "probe = { type = \"http\", path = \"/healthz\" }",
        "probe = { type = \"http\", path = \"/healthz\", timeout = \"5s\" }",
    );
    let field = "services[checkout].probe.timeout";
    expect(
        &text,
        "probe = ",
        0,
        field,
        &["5s", "below health.interval 5s"],
    );
}

#[test]
fn max_age_must_cover_two_intervals_and_a_timeout() {
    let field = "services[checkout].health.max_age";
    let text = health("interval = \"5s\", max_age = \"1s\"");
    expect(&text, "health = ", 0, field, &["1s", "interval 5s"]);
    // Observations are aged by their probes: one interval is not enough.
    let text = health("interval = \"5s\", max_age = \"5s\"");
    expect(&text, "health = ", 0, field, &["allowed: at least"]);
    let ok = |h: &str| parse(Path::new("c.toml"), &health(h)).is_ok();
    // 2 × 5s + the default probe timeout (2s).
    let floor = Duration::from_secs(12);
    let at = |d: Duration| format!("interval = \"5s\", max_age = \"{}ms\"", d.as_millis());
    assert!(ok(&at(floor)), "{floor:?}");
    assert!(!ok(&at(floor - Duration::from_millis(1))));
}

#[test]
fn ttls_stay_within_dns_limits() {
    for big in ["4294967295s", "2147483648s", "99999999999999999999s"] {
        let text = with("normal = \"300s\"", &format!("normal = \"{big}\""));
        let field = "services[checkout].ttl.normal";
        expect(&text, "ttl = ", 0, field, &["too large", "2147483647"]);
    }
    let text = with("normal = \"300s\"", "normal = \"2147483647s\"");
    assert!(parse(Path::new("c.toml"), &text).is_ok());
}

#[test]
fn port_zero_is_refused_everywhere_an_address_is() {
    let text = with("server = \"127.0.0.1:53\"", "server = \"127.0.0.1:0\"");
    expect(
        &text,
        "server = ",
        0,
        "providers.bind.server",
        &["port 0", "1 to 65535"],
    );
    let text = with(
        "id = \"us-east-1\"\n",
        "id = \"us-east-1\"\nmetrics_listen = \"127.0.0.1:0\"\n",
    );
    let field = "controller.metrics_listen";
    expect(&text, "metrics_listen", 0, field, &["port 0"]);
}

/// BASE with a second service on `record`.
fn two_services(record: &str) -> String {
    let second = BASE[BASE.find("[[services]]").expect("a service")..]
        .replace("name = \"checkout\"", "name = \"shop\"")
        .replace(
            "record = \"checkout.example.com.\"",
            &format!("record = \"{record}\""),
        );
    format!("{BASE}\n{second}")
}

#[test]
fn two_services_on_one_record_and_type_are_refused() {
    for record in ["checkout.example.com.", "CheckOut.Example.com"] {
        let text = two_services(record);
        let field = "services[shop].record";
        expect(
            &text,
            "record = ",
            1,
            field,
            &["service checkout", "one service per record"],
        );
    }
    assert!(parse(Path::new("c.toml"), &two_services("shop.example.com.")).is_ok());
    // An AAAA beside the A is fine; a CNAME beside it is not.
    let aaaa = beside("AAAA", "\"2001:db8::10\"", "\"2001:db8::11\"");
    assert!(parse(Path::new("c.toml"), &aaaa).is_ok());
    let cname = beside("CNAME", "\"lb.us.example.net.\"", "\"lb.eu.example.net.\"");
    let field = "services[shop].record";
    expect(
        &cname,
        "record = ",
        1,
        field,
        &["A record of service checkout", "CNAME cannot share"],
    );
}

/// BASE and a service `shop` of `rtype` on the same name, with its two pools' endpoints.
fn beside(rtype: &str, a: &str, b: &str) -> String {
    format!(
        "{BASE}\n[[services]]\nname = \"shop\"\nprovider = \"bind\"\nzone = \"example.com.\"\nrecord = \"checkout.example.com.\"\ntype = \"{rtype}\"\nrto = \"5m\"\nprobe = {{ type = \"tcp\", port = 80 }}\n\n[[services.pools]]\nname = \"p\"\nregion = \"r\"\nendpoints = [{a}]\n\n[[services.pools]]\nname = \"q\"\nregion = \"r\"\nendpoints = [{b}]\n"
    )
}

const CLOUDFLARE: &str = "[providers.cf]\ntype = \"cloudflare\"\napi_token_env = \"CF_TOKEN\"\n";

fn on_cloudflare(ttl: &str, provider_extra: &str) -> String {
    with(
        "[providers.bind]",
        &format!("{CLOUDFLARE}{provider_extra}\n[providers.bind]"),
    )
    .replacen("provider = \"bind\"", "provider = \"cf\"", 1)
    .replacen("ttl = { normal = \"300s\", lowered = \"30s\" }", ttl, 1)
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "needs every provider built in"
)]
fn ttls_respect_the_provider_floor() {
    let text = on_cloudflare("ttl = { normal = \"300s\", lowered = \"30s\" }", "");
    let field = "services[checkout].ttl.lowered";
    expect(
        &text,
        "ttl = ",
        0,
        field,
        &["30s", "floor of provider cf (60s, cloudflare)", "min_ttl"],
    );
    // Enterprise zones: min_ttl lowers the floor.
    let text = on_cloudflare(
        "ttl = { normal = \"300s\", lowered = \"30s\" }",
        "min_ttl = \"30s\"\n",
    );
    let cfg = parse(Path::new("c.toml"), &text).expect("min_ttl 30s allows 30s");
    assert_eq!(cfg.services[0].ttl.lowered, 30);
    // A default below the floor is raised to it, not refused.
    let cfg = parse(Path::new("c.toml"), &on_cloudflare("", "")).expect("defaults");
    assert_eq!(
        (cfg.services[0].ttl.normal, cfg.services[0].ttl.lowered),
        (300, 60)
    );
}

#[test]
fn checked_loads_refuse_missing_secret_files_with_their_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.toml");
    std::fs::write(&path, BASE).expect("write");
    assert!(load(&path).is_ok(), "plain load does not open secrets");
    let err = load_checked(&path).expect_err("no such secret files");
    let text = err.to_string();
    let line = super::tests_validation::line_of(BASE, "tsig_secret_file", 0);
    let want =
        format!(":{line}: providers.bind.tsig_secret_file: cannot read /etc/rtoguard/tsig.secret");
    assert!(text.contains(&want), "{text}");
    assert!(text.contains("peers[eu-west-1].token_file"), "{text}");
    let secret = dir.path().join("tsig.secret");
    let token = dir.path().join("peer-token");
    std::fs::write(&secret, "c2VjcmV0").expect("write");
    std::fs::write(&token, "t").expect("write");
    let text = BASE
        .replace("/etc/rtoguard/tsig.secret", &secret.display().to_string())
        .replace("/etc/rtoguard/peer-token", &token.display().to_string());
    std::fs::write(&path, text).expect("write");
    assert!(load_checked(&path).is_ok());
}

#[test]
fn the_config_file_is_capped_and_must_be_a_regular_file() {
    let err = load(Path::new("/dev/zero")).expect_err("a device");
    assert_eq!(err.issues.len(), 1);
    assert!(err.to_string().contains("not a regular file"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let err = load(&fifo).expect_err("a FIFO");
    assert!(err.to_string().contains("not a regular file"), "{err}");
    let big = dir.path().join("big.toml");
    let mut text = BASE.to_string();
    text.push_str(&"#".repeat(1024 * 1024));
    std::fs::write(&big, text).expect("write");
    let err = load(&big).expect_err("over 1 MiB");
    assert_eq!(err.issues[0].line, None);
    assert!(
        err.to_string().contains("larger than 1048576 bytes"),
        "{err}"
    );
}

#[test]
fn counts_have_a_ceiling() {
    let text = health("interval = \"5s\", rise = 4294967295, fall = 1001");
    let field = "services[checkout].health.rise";
    expect(
        &text,
        "health = ",
        0,
        field,
        &["4294967295 is too many", "1 to 1000"],
    );
    expect(
        &text,
        "health = ",
        0,
        "services[checkout].health.fall",
        &["1001"],
    );
    assert!(parse(Path::new("c.toml"), &health("rise = 1000, fall = 1000")).is_ok());
}

#[test]
fn checked_loads_refuse_an_unreadable_peer_tls_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (secret, token, cert) = (
        dir.path().join("tsig.secret"),
        dir.path().join("peer-token"),
        dir.path().join("peer.crt"),
    );
    for f in [&secret, &token, &cert] {
        std::fs::write(f, "x").expect("write");
    }
    let tls = format!(
        "id = \"us-east-1\"\npeer_tls_cert_file = \"{}\"\npeer_tls_key_file = \"{}\"\n",
        cert.display(),
        dir.path().join("peer.key").display()
    );
    let text = BASE
        .replacen("id = \"us-east-1\"\n", &tls, 1)
        .replace("/etc/rtoguard/tsig.secret", &secret.display().to_string())
        .replace("/etc/rtoguard/peer-token", &token.display().to_string());
    let path = dir.path().join("c.toml");
    std::fs::write(&path, &text).expect("write");
    let err = load_checked(&path).expect_err("no key file");
    let line = super::tests_validation::line_of(&text, "peer_tls_key_file", 0);
    let want = format!("c.toml:{line}: controller.peer_tls_key_file: cannot read");
    assert!(err.to_string().contains(&want), "{err}");
    assert_eq!(err.issues.len(), 1, "{err}");
}
