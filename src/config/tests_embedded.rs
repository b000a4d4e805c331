//! Tests of the `type = "embedded"` provider table: defaults, and each mistake named by line and field.

use std::path::Path;

use super::tests_validation::{BASE, expect, line_of};
use super::{ProviderKind, parse};

/// BASE with its service on an embedded provider `edge` with these lines.
fn with_edge(lines: &str) -> String {
    let base = BASE.replace("provider = \"bind\"", "provider = \"edge\"");
    format!("{base}\n[providers.edge]\ntype = \"embedded\"\n{lines}")
}

const ZONE: &str = r#"
[[providers.edge.zones]]
name = "example.com."
name_servers = [{ name = "ns1", addresses = ["192.0.2.53"] }]
"#;

#[test]
#[cfg_attr(not(feature = "embedded"), ignore = "needs the embedded feature")]
fn a_minimal_table_takes_the_defaults() {
    let cfg = parse(Path::new("config.toml"), &with_edge(ZONE)).expect("valid");
    let Some(ProviderKind::Embedded(c)) = cfg.providers.get("edge").map(|p| &p.kind) else {
        panic!("no embedded provider");
    };
    let listen: Vec<String> = c.listen.iter().map(ToString::to_string).collect();
    assert_eq!(listen, ["0.0.0.0:53", "[::]:53"]);
    assert_eq!(c.rate_limit, 100);
    let z = &c.zones[0];
    assert_eq!(
        (z.name.as_str(), z.hostmaster.as_str()),
        ("example.com.", "hostmaster.example.com.")
    );
    assert_eq!((z.ttl, z.negative_ttl), (3600, 60));
    let full = with_edge(&format!(
        "listen = [\"127.0.0.1:5353\"]\nrate_limit = 0\n{ZONE}ttl = \"5m\"\nnegative_ttl = \"30s\"\nhostmaster = \"dns.example.net.\"\nrecords = [{{ name = \"www\", type = \"CNAME\", ttl = \"1m\", values = [\"checkout\"] }}]\n"
    ));
    let cfg = parse(Path::new("config.toml"), &full).expect("valid");
    let Some(ProviderKind::Embedded(c)) = cfg.providers.get("edge").map(|p| &p.kind) else {
        panic!("no embedded provider");
    };
    assert_eq!(c.listen, ["127.0.0.1:5353".parse().unwrap()]);
    assert_eq!(c.rate_limit, 0);
    assert_eq!((c.zones[0].ttl, c.zones[0].negative_ttl), (300, 30));
    assert_eq!(c.zones[0].records.len(), 1);
}

#[test]
#[cfg_attr(not(feature = "embedded"), ignore = "needs the embedded feature")]
fn each_mistake_names_its_line_and_field() {
    let text = with_edge(&format!("listen = [\"127.0.0.1\"]\n{ZONE}"));
    expect(
        &text,
        "listen = [",
        0,
        "providers.edge.listen",
        &["not an address with a port"],
    );
    let text = with_edge(&format!(
        "{ZONE}records = [\n  {{ name = \"www\", type = \"A\", values = [\"not-an-ip\"] }},\n]\n"
    ));
    expect(
        &text,
        "not-an-ip",
        0,
        "providers.edge.zones[0].records[0]",
        &["www.example.com."],
    );
    let text = with_edge(&format!(
        "{ZONE}records = [\n  {{ name = \"www\", type = \"BOGUS\", values = [\"x\"] }},\n]\n"
    ));
    expect(
        &text,
        "BOGUS",
        0,
        "providers.edge.zones[0].records[0]",
        &["not a record type"],
    );
    // An in-zone name server without glue.
    let text = with_edge(
        "[[providers.edge.zones]]\nname = \"example.com.\"\nname_servers = [{ name = \"ns1\" }]\n",
    );
    expect(
        &text,
        "name_servers = [",
        0,
        "providers.edge.zones[0].name_servers[0]",
        &["glue"],
    );
    // A CNAME beside the A record the service writes.
    let text = with_edge(&format!(
        "{ZONE}records = [\n  {{ name = \"alias\", type = \"CNAME\", values = [\"www\"] }},\n  {{ name = \"alias\", type = \"TXT\", values = [\"\\\"x\\\"\"] }},\n]\n"
    ));
    expect(
        &text,
        "name = \"example.com.\"",
        0,
        "providers.edge.zones[0]",
        &["CNAME cannot sit beside"],
    );
    // No zone, an unknown key, a zone other than the service's.
    let text = with_edge("");
    expect(
        &text,
        "[providers.edge]",
        0,
        "providers.edge.zones",
        &["serves no zone"],
    );
    let text = with_edge(&format!("listen_on = []\n{ZONE}"));
    expect(
        &text,
        "listen_on",
        0,
        "providers.edge.listen_on",
        &["unknown field"],
    );
    let text = with_edge(&ZONE.replace("example.com.", "gslb.example.com."));
    let line = line_of(&text, "zone = \"example.com.\"", 0);
    assert!(line > 0);
    expect(
        &text,
        "zone = \"example.com.\"",
        0,
        "services[checkout].zone",
        &[
            "edge does not serve the zone example.com.",
            "gslb.example.com.",
        ],
    );
}
