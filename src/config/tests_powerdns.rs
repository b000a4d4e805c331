//! Tests of the `type = "powerdns"` provider table: defaults, and each mistake named by line and field.

use std::net::SocketAddr;
use std::path::Path;

use super::tests_validation::{BASE, issues, line_of};
use super::{ProviderKind, parse};

/// BASE plus a PowerDNS provider `pdns` with these extra lines.
fn with_pdns(lines: &str) -> String {
    format!("{BASE}\n[providers.pdns]\ntype = \"powerdns\"\n{lines}")
}

/// The issues naming `providers.pdns`, as "line: field: message".
fn pdns_issues(text: &str) -> Vec<String> {
    issues(text)
        .into_iter()
        .filter(|i| i.field.starts_with("providers.pdns"))
        .map(|i| format!("{}: {}: {}", i.line.unwrap_or(0), i.field, i.message))
        .collect()
}

#[test]
#[cfg_attr(not(feature = "powerdns"), ignore = "needs the powerdns feature")]
fn a_minimal_table_takes_the_defaults() {
    let text = with_pdns(
        "api_url = \"http://127.0.0.1:8081/api/v1\"\napi_key_file = \"/etc/rtoguard/pdns-key\"\n",
    );
    let cfg = parse(Path::new("config.toml"), &text).expect("valid");
    let Some(ProviderKind::PowerDns(c)) = cfg.providers.get("pdns").map(|p| &p.kind) else {
        panic!("no powerdns provider");
    };
    assert_eq!(c.server_id, "localhost");
    assert_eq!(c.api_url, "http://127.0.0.1:8081/api/v1");
    assert_eq!(c.api_key.describe(), "file /etc/rtoguard/pdns-key");
    assert_eq!((c.dns_server, c.requests_per_second), (None, 10));
    let full = with_pdns(
        "api_url = \"https://ns1.example.net/api/v1\"\nserver_id = \"ns1\"\napi_key_env = \"PDNS_KEY\"\ndns_server = \"127.0.0.1:5300\"\nrequests_per_second = 3\n",
    );
    let cfg = parse(Path::new("config.toml"), &full).expect("valid");
    let Some(ProviderKind::PowerDns(c)) = cfg.providers.get("pdns").map(|p| &p.kind) else {
        panic!("no powerdns provider");
    };
    assert_eq!(c.server_id, "ns1");
    assert_eq!(
        c.dns_server,
        Some("127.0.0.1:5300".parse::<SocketAddr>().unwrap())
    );
    assert_eq!(c.requests_per_second, 3);
}

#[test]
#[cfg_attr(not(feature = "powerdns"), ignore = "needs the powerdns feature")]
fn each_mistake_names_its_line_and_field() {
    let text = with_pdns(
        "api_url = \"127.0.0.1:8081\"\nserver_id = \"a/b\"\napi_key_file = \"/k\"\ndns_server = \"ns1.example.net\"\n",
    );
    let got = pdns_issues(&text);
    let at = |needle: &str| line_of(&text, needle, 0);
    for (line, field) in [
        (at("api_url = \"127"), "providers.pdns.api_url"),
        (at("server_id = \"a/b\""), "providers.pdns.server_id"),
        (at("dns_server = \"ns1"), "providers.pdns.dns_server"),
    ] {
        assert!(
            got.iter()
                .any(|g| g.starts_with(&format!("{line}: {field}: "))),
            "{field} at line {line} in {got:?}"
        );
    }
    // The API root without its path, a common slip.
    let text = with_pdns("api_url = \"http://127.0.0.1:8081\"\napi_key_env = \"K\"\n");
    let line = line_of(&text, "api_url = \"http://127.0.0.1:8081\"", 0);
    let want = format!(
        "{line}: providers.pdns.api_url: \"http://127.0.0.1:8081\" does not end in /api/v1, where \
         PowerDNS serves its API: write e.g. \"http://127.0.0.1:8081/api/v1\""
    );
    assert_eq!(pdns_issues(&text), vec![want]);
    // No key at all, and an unknown key: each named.
    let text = with_pdns("api_url = \"http://127.0.0.1:8081/api/v1\"\napi_token_file = \"/k\"\n");
    let got = pdns_issues(&text).join("\n");
    assert!(got.contains("api_token_file"), "{got}");
    let text = with_pdns("api_url = \"http://127.0.0.1:8081/api/v1\"\n");
    let got = pdns_issues(&text).join("\n");
    assert!(got.contains("api_key"), "{got}");
}
