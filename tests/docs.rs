//! The setup guides in docs/ stay true: BIND accepts their configuration, the
//! IAM policy grants exactly what the route53 provider calls, links resolve.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::OutputText;
use hickory_proto::rr::RecordType;
use rtoguard_testkit::bind::Bind;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The bodies of the fenced blocks of `markdown` whose info string is `lang`.
fn blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start().strip_prefix("```")) {
            (None, Some(info)) if info.trim() == lang => current = Some(String::new()),
            (Some(body), Some(_)) => {
                out.push(std::mem::take(body));
                current = None;
            }
            (Some(body), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

fn named_checkconf() -> PathBuf {
    ["/usr/bin/named-checkconf", "/usr/sbin/named-checkconf"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("named-checkconf (BIND 9) is installed for the tests")
}

/// `named-checkconf` on `conf`: (passed, its output).
fn checkconf(conf: &Path) -> (bool, String) {
    let out = Command::new(named_checkconf())
        .arg(conf)
        .output()
        .expect("run named-checkconf");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_rfc2136_guide_s_bind_configuration_passes_named_checkconf() {
    let doc = read("docs/setup-rfc2136.md");
    let conf = blocks(&doc, "conf");
    assert_eq!(conf.len(), 2, "the key, then the zone: {conf:?}");
    let (key, zone) = (&conf[0], &conf[1]);
    assert!(key.contains("key \"rtoguard.\""), "{key}");
    // Least privilege: one exact name and type, no wildcard rules.
    assert!(
        zone.contains("grant rtoguard. name checkout.example.com. A;"),
        "{zone}"
    );
    for wide in ["zonesub", "subdomain", "wildcard", "ANY", "allow-update"] {
        assert!(!zone.contains(wide), "{wide} in the policy:\n{zone}");
    }
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("rtoguard.key");
    std::fs::write(&key_file, key).unwrap();
    let named = dir.path().join("named.conf");
    let included = zone.replace("/etc/bind/rtoguard.key", key_file.to_str().unwrap());
    assert_ne!(&included, zone, "the zone block includes the key file");
    std::fs::write(&named, &included).unwrap();
    let (ok, out) = checkconf(&named);
    assert!(ok, "named-checkconf refused the guide's config:\n{out}");
    // And the check can fail: a record type BIND does not know.
    let bad = included.replace("example.com. A;", "example.com. NOSUCHTYPE;");
    std::fs::write(&named, bad).unwrap();
    let (ok, out) = checkconf(&named);
    assert!(
        !ok && out.contains("NOSUCHTYPE"),
        "named-checkconf passed:\n{out}"
    );
}

/// The guide's `grant` line for checkout, on the test zone.
fn guide_grant() -> String {
    let doc = read("docs/setup-rfc2136.md");
    let zone = blocks(&doc, "conf").pop().expect("the zone block");
    let grant = zone
        .lines()
        .find(|l| l.contains("grant "))
        .expect("a grant rule")
        .trim()
        .replace("example.com.", "example.test.");
    assert_eq!(grant, "grant rtoguard. name checkout.example.test. A;");
    grant
}

#[test]
fn the_rfc2136_guide_s_policy_lets_rtoguard_flip_its_record_and_nothing_else() {
    let bind = Bind::builder("example.test.")
        .records(&["checkout 2 IN A 127.0.0.2", "other 2 IN A 127.0.0.2"])
        .update_policy(&guide_grant())
        .start();
    let dir = tempfile::tempdir().unwrap();
    let secret = bind.secret_file();
    let text = common::config_text(&bind, &secret, dir.path(), 9, 2, 1, "1s", "");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, &text).unwrap();
    let flip = |config: &Path| {
        let args = [
            "failover", "checkout", "--to", "standby", "--yes", "--force",
        ];
        common::run(&[&args[..], &["--config", config.to_str().unwrap()]].concat())
    };
    let out = flip(&config);
    assert!(out.status.success(), "{}", out.text());
    let a = bind.query("checkout.example.test.", RecordType::A);
    assert_eq!(a.values, ["127.0.0.3"], "{}", out.text());
    // The same key on another name of the zone: BIND refuses it.
    let other = dir.path().join("other.toml");
    let text = text.replace("checkout.example.test.", "other.example.test.");
    std::fs::write(&other, text).unwrap();
    let out = flip(&other);
    assert_eq!(out.status.code(), Some(1), "{}", out.text());
    let a = bind.query("other.example.test.", RecordType::A);
    assert_eq!(a.values, ["127.0.0.2"], "{}", out.text());
    assert!(
        bind.log().contains("rejected by secure update (REFUSED)"),
        "{}",
        bind.log()
    );
}

/// Route 53 operations the provider calls: `.client` then `.operation(`.
fn route53_operations() -> BTreeSet<String> {
    let dir = root().join("providers/route53/src");
    let mut ops = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices(".client") {
            let rest = text[at + ".client".len()..].trim_start();
            let Some(call) = rest.strip_prefix('.') else {
                continue;
            };
            let name: String = call
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if call[name.len()..].starts_with("()") && !name.is_empty() {
                ops.insert(pascal(&name));
            }
        }
    }
    ops
}

/// `list_resource_record_sets` → `ListResourceRecordSets`.
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn the_route53_policy_grants_exactly_the_operations_the_provider_calls() {
    let calls = route53_operations();
    assert!(
        calls.contains("ChangeResourceRecordSets") && calls.len() >= 3,
        "the scan found the provider's calls: {calls:?}"
    );
    let doc = read("docs/setup-route53.md");
    let json = blocks(&doc, "json");
    assert_eq!(json.len(), 1, "one policy in the guide");
    let policy: serde_json::Value = serde_json::from_str(&json[0]).expect("the policy is JSON");
    let mut actions = BTreeSet::new();
    let statements = policy["Statement"].as_array().expect("Statement list");
    for s in statements {
        assert_eq!(s["Effect"], "Allow", "{s}");
        let ops: Vec<&str> = s["Action"]
            .as_array()
            .expect("Action list")
            .iter()
            .map(|a| a.as_str().expect("an action name"))
            .map(|a| a.strip_prefix("route53:").expect("route53: actions only"))
            .collect();
        // Only the zone lookup cannot be scoped to the zone or a change.
        if s["Resource"] == "*" {
            assert_eq!(ops, ["ListHostedZonesByName"], "unscoped: {s}");
        }
        if ops.contains(&"ChangeResourceRecordSets") {
            let names = &s["Condition"]["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsNormalizedRecordNames"];
            assert!(
                names.is_array(),
                "changes limited to the service records: {s}"
            );
        }
        actions.extend(ops.into_iter().map(str::to_string));
    }
    assert_eq!(actions, calls, "policy actions vs the provider's calls");
}

#[test]
fn readme_links_every_guide_and_the_changelog() {
    let readme = read("README.md");
    for doc in [
        "docs/setup-rfc2136.md",
        "docs/setup-route53.md",
        "docs/setup-cloudflare.md",
        "docs/setup-powerdns.md",
        "docs/setup-embedded.md",
        "docs/setup-webhook.md",
        "docs/setup-azure.md",
        "docs/setup-gcloud.md",
        "docs/secrets.md",
        "CHANGELOG.md",
    ] {
        assert!(root().join(doc).is_file(), "{doc} missing");
        assert!(
            readme.contains(&format!("({doc})")),
            "README does not link {doc}"
        );
    }
}

/// The README's capabilities table is the code's table, row for row: a
/// provider added to `providers/api/src/table.rs` fails here until the
/// README has its line (printed below to paste).
#[test]
fn the_readme_s_capabilities_table_is_the_code_s() {
    let readme = read("README.md");
    let table = rtoguard_provider_api::table::markdown();
    assert!(
        readme.contains(&table),
        "README.md's capabilities table differs from the code's; it should read:\n{table}"
    );
    // Every provider type of the table has its line in the provider table too.
    for row in rtoguard_provider_api::table::ROWS {
        let line = format!("\n| `{}` | ", row.kind);
        assert_eq!(
            readme.matches(&line).count(),
            2,
            "{}: one line in the provider table, one in the capabilities table",
            row.kind
        );
    }
}
