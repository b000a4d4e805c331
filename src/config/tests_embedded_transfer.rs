//! Tests of a zone's `transfer` table on the embedded provider: a good one,
//! and each mistake named by line and field.

use std::path::Path;

use super::tests_validation::{BASE, expect};
use super::{ProviderKind, SecretSource, TsigAlgorithm, parse};

/// BASE with its service on an embedded provider `edge` serving
/// example.com., the zone followed by `transfer`.
fn with_transfer(transfer: &str) -> String {
    let base = BASE.replace("provider = \"bind\"", "provider = \"edge\"");
    format!(
        "{base}\n[providers.edge]\ntype = \"embedded\"\nlisten = [\"127.0.0.1:53\"]\n\n[[providers.edge.zones]]\nname = \"example.com.\"\nname_servers = [{{ name = \"ns1\", addresses = [\"192.0.2.53\"] }}]\n\n[providers.edge.zones.transfer]\n{transfer}"
    )
}

const GOOD: &str = r#"listen = "127.0.0.1:5300"
keys = [
  { name = "xfr", algorithm = "hmac-sha512", secret_file = "/etc/rtoguard/xfr.secret" },
  { name = "other.", secret_env = "RTOGUARD_XFR_OTHER" },
]
allow = ["192.0.2.10", "2001:db8::10"]
notify = ["192.0.2.10:53"]
keep = 16
"#;

#[test]
#[cfg_attr(not(feature = "embedded"), ignore = "needs the embedded feature")]
fn a_transfer_table_is_read_with_its_keys_and_defaults() {
    let cfg = parse(Path::new("config.toml"), &with_transfer(GOOD)).expect("valid");
    let Some(ProviderKind::Embedded(c)) = cfg.providers.get("edge").map(|p| &p.kind) else {
        panic!("no embedded provider");
    };
    let t = c.zones[0].transfer.as_ref().expect("a transfer table");
    assert_eq!(t.listen, "127.0.0.1:5300".parse().unwrap());
    assert_eq!(
        t.keys,
        [
            (
                "xfr.".to_string(),
                TsigAlgorithm::HmacSha512,
                SecretSource::File("/etc/rtoguard/xfr.secret".into())
            ),
            (
                "other.".to_string(),
                TsigAlgorithm::HmacSha256,
                SecretSource::Env("RTOGUARD_XFR_OTHER".into())
            ),
        ]
    );
    assert_eq!(t.allow.len(), 2);
    assert_eq!(t.notify, ["192.0.2.10:53".parse().unwrap()]);
    assert_eq!(t.keep, 16);
    let summary = super::summary(&cfg);
    assert!(
        summary.contains("transfers of example.com. on 127.0.0.1:5300 (2 key(s), NOTIFY to 1)"),
        "{summary}"
    );

    let minimal = "listen = \"127.0.0.1:5300\"\nkeys = [{ name = \"xfr.\", secret_file = \"/etc/rtoguard/xfr.secret\" }]\n";
    let cfg = parse(Path::new("config.toml"), &with_transfer(minimal)).expect("valid");
    let Some(ProviderKind::Embedded(c)) = cfg.providers.get("edge").map(|p| &p.kind) else {
        panic!("no embedded provider");
    };
    let t = c.zones[0].transfer.as_ref().expect("a transfer table");
    assert!(t.allow.is_empty() && t.notify.is_empty());
    assert_eq!(t.keep, super::DEFAULT_TRANSFER_KEEP);

    // Without the table, no transfers.
    let none = with_transfer("").replace("[providers.edge.zones.transfer]\n", "");
    let cfg = parse(Path::new("config.toml"), &none).expect("valid");
    let Some(ProviderKind::Embedded(c)) = cfg.providers.get("edge").map(|p| &p.kind) else {
        panic!("no embedded provider");
    };
    assert_eq!(c.zones[0].transfer, None);
}

#[test]
#[cfg_attr(not(feature = "embedded"), ignore = "needs the embedded feature")]
fn each_transfer_mistake_names_its_line_and_field() {
    let f = "providers.edge.zones[0].transfer";
    let no_listen = with_transfer("keys = [{ name = \"xfr.\", secret_file = \"/s\" }]\n");
    expect(
        &no_listen,
        "[providers.edge.zones.transfer]",
        0,
        &format!("{f}.listen"),
        &["no transfer address"],
    );
    let same = with_transfer(&GOOD.replace("127.0.0.1:5300", "127.0.0.1:53"));
    expect(
        &same,
        "listen = \"127.0.0.1:53\"",
        0,
        &format!("{f}.listen"),
        &["also a query address"],
    );
    let no_port = with_transfer(&GOOD.replace("127.0.0.1:5300", "127.0.0.1"));
    expect(
        &no_port,
        "listen = \"127.0.0.1\"",
        0,
        &format!("{f}.listen"),
        &["not an address with a port"],
    );
    let no_keys = with_transfer("listen = \"127.0.0.1:5300\"\n");
    expect(
        &no_keys,
        "[providers.edge.zones.transfer]",
        0,
        &format!("{f}.keys"),
        &["lists no key"],
    );
    let algorithm = with_transfer(&GOOD.replace("hmac-sha512", "hmac-md5"));
    expect(
        &algorithm,
        "hmac-md5",
        0,
        &format!("{f}.keys[0].algorithm"),
        &["unknown TSIG algorithm", "hmac-sha256"],
    );
    let key_name = with_transfer(&GOOD.replace("name = \"xfr\"", "name = \"x y\""));
    expect(
        &key_name,
        "x y",
        0,
        &format!("{f}.keys[0].name"),
        &["not a key name"],
    );
    let inline = with_transfer(&GOOD.replace(
        "secret_file = \"/etc/rtoguard/xfr.secret\"",
        "secret = \"c2VjcmV0LXZhbHVl\"",
    ));
    expect(
        &inline,
        "c2VjcmV0LXZhbHVl",
        0,
        &format!("{f}.keys[0].secret"),
        &["not written in the config", "secret_file or secret_env"],
    );
    let issues = super::tests_validation::issues(&inline);
    assert!(
        issues
            .iter()
            .all(|i| !i.to_string().contains("c2VjcmV0LXZhbHVl")),
        "the secret is never repeated"
    );
    let no_secret = with_transfer(&GOOD.replace(", secret_env = \"RTOGUARD_XFR_OTHER\"", ""));
    expect(
        &no_secret,
        "name = \"other.\"",
        0,
        &format!("{f}.keys[1].secret"),
        &["no secret given"],
    );
    let allow = with_transfer(&GOOD.replace("192.0.2.10\", \"2001", "secondary\", \"2001"));
    expect(
        &allow,
        "\"secondary\"",
        0,
        &format!("{f}.allow"),
        &["not an IP address"],
    );
    let notify = with_transfer(&GOOD.replace("192.0.2.10:53", "192.0.2.10"));
    expect(
        &notify,
        "notify = [",
        0,
        &format!("{f}.notify"),
        &["not an address with a port"],
    );
    let keep = with_transfer(&GOOD.replace("keep = 16", "keep = 0"));
    expect(&keep, "keep = 0", 0, &format!("{f}.keep"), &["1 or more"]);
    let unknown = with_transfer(&format!("{GOOD}primaries = []\n"));
    expect(
        &unknown,
        "primaries",
        0,
        // Serde's own errors name the zone by its name.
        "providers.edge.zones[example.com.].transfer.primaries",
        &["unknown field"],
    );
}
