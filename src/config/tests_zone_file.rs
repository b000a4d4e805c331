//! Tests of an embedded zone's `zone_file`: its records are served beside
//! the config's, a bad line is named by file and line, and a record at a
//! service's name is refused.

use std::path::Path;

use super::tests_validation::{BASE, expect};
use super::{ProviderKind, parse};

/// BASE on an embedded provider whose zone reads `file`.
fn with_zone_file(file: &Path) -> String {
    let base = BASE.replace("provider = \"bind\"", "provider = \"edge\"");
    format!(
        "{base}\n[providers.edge]\ntype = \"embedded\"\n\n[[providers.edge.zones]]\nname = \"example.com.\"\nname_servers = [{{ name = \"ns1\", addresses = [\"192.0.2.53\"] }}]\nzone_file = \"{}\"\n",
        file.display()
    )
}

fn zone_file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("example.zone");
    std::fs::write(&path, text).expect("write the zone file");
    (dir, path)
}

#[test]
#[cfg_attr(not(feature = "embedded"), ignore = "needs the embedded feature")]
fn a_zone_file_s_records_are_served_beside_the_config_s() {
    let (_dir, path) = zone_file(
        "; other records of the zone\n$TTL 300\nwww IN CNAME checkout\nmail IN MX 10 mx.example.net.\n@ IN TXT \"v=spf1 -all\"\n",
    );
    let cfg = parse(Path::new("config.toml"), &with_zone_file(&path)).expect("valid");
    let Some(ProviderKind::Embedded(c)) = cfg.providers.get("edge").map(|p| &p.kind) else {
        panic!("no embedded provider");
    };
    assert_eq!(c.zones[0].zone_file.as_deref(), Some(path.as_path()));
    let zone = rtoguard_embedded::zone::Zone::build(&super::zone_settings(&c.zones[0]), 1)
        .expect("the zone builds");
    let mx = hickory_proto::rr::Name::from_ascii("mail.example.com.").expect("name");
    let served = zone.set(&mx, hickory_proto::rr::RecordType::MX);
    assert_eq!(served.len(), 1, "the MX from the file is served");
    assert_eq!(served[0].ttl, 300);
}

#[test]
#[cfg_attr(not(feature = "embedded"), ignore = "needs the embedded feature")]
fn a_bad_line_is_named_by_the_file_and_its_line() {
    let (_dir, path) = zone_file("$TTL 300\nwww IN CNAME checkout\napi IN A not-an-address\n");
    let text = with_zone_file(&path);
    let file = path.display().to_string();
    expect(
        &text,
        "zone_file = ",
        0,
        "providers.edge.zones[0].zone_file",
        &[&file, "line 3"],
    );
    // The SOA and the apex NS come from the config.
    let (_dir, path) = zone_file("$TTL 300\n@ IN NS ns9.example.net.\n");
    let text = with_zone_file(&path);
    expect(
        &text,
        "zone_file = ",
        0,
        "providers.edge.zones[0].zone_file",
        &["line 2", "name_servers"],
    );
    let missing = Path::new("/nonexistent/example.zone");
    expect(
        &with_zone_file(missing),
        "zone_file = ",
        0,
        "providers.edge.zones[0].zone_file",
        &["cannot read the zone file /nonexistent/example.zone"],
    );
}

#[test]
#[cfg_attr(not(feature = "embedded"), ignore = "needs the embedded feature")]
fn a_record_at_a_service_s_name_is_refused() {
    let (_dir, path) = zone_file("$TTL 300\nwww IN CNAME checkout\ncheckout IN A 192.0.2.9\n");
    let text = with_zone_file(&path);
    let file = path.display().to_string();
    expect(
        &text,
        "record = \"checkout.example.com.\"",
        0,
        "services[checkout].record",
        &[&file, "line 3", "checkout.example.com.", "service checkout"],
    );
}
