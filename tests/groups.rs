//! Record groups end to end: a dual-stack service with a second name
//! (A + AAAA + CNAME) against BIND 9, moved by the daemon as one thing.
//!
//! IPv6 on loopback has one address (`::1`), so the primary's AAAA is
//! `::1` (its own listener, stopped with the primary's IPv4 one) and the
//! standby's is the IPv4-mapped `::ffff:127.0.0.3`: an IPv6 probe to it
//! reaches the standby's IPv4 listener.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::process::Command;
use std::time::Duration;

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, embedded_edge, run, shared_port};
use hickory_proto::rr::RecordType;
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::dns::{query, soa_serial};
use rtoguard_testkit::net::{free_port, lo};
use rtoguard_testkit::region::Region;

const NAME: &str = "checkout.example.test.";
const WWW: &str = "www.example.test.";
const FAST: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 3, flip_window = \"1h\" }";

/// A port free on 127.0.0.2, 127.0.0.3 and ::1.
fn port_for_all() -> u16 {
    loop {
        let p = shared_port();
        if std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, p)).is_ok() {
            return p;
        }
    }
}

/// The group service on `provider`: A + AAAA of checkout and the CNAME of
/// www, a primary and a standby pool giving a value for each.
fn service(provider: &str, port: u16) -> String {
    format!(
        r#"[[services]]
name = "checkout"
provider = "{provider}"
zone = "example.test."
records = [{{ name = "{NAME}", type = "A" }}, {{ name = "{NAME}", type = "AAAA" }}, {{ name = "{WWW}", type = "CNAME" }}]
rto = "5m"
ttl = {{ normal = "4s", lowered = "1s", restore_after = "1s" }}
probe = {{ type = "http", port = {port}, path = "/healthz", timeout = "150ms" }}
{FAST}

[[services.pools]]
name = "primary"
region = "region-a"
endpoints_v4 = ["127.0.0.2"]
endpoints_v6 = ["::1"]
cname = "primary.lb.example.test."

[[services.pools]]
name = "standby"
region = "region-b"
endpoints_v4 = ["127.0.0.3"]
endpoints_v6 = ["::ffff:127.0.0.3"]
cname = "standby.lb.example.test."
"#
    )
}

fn controller(state: &std::path::Path) -> String {
    format!(
        "[controller]\nid = \"test\"\nstate_dir = \"{state}\"\ncontrol_socket = \"{state}/control.sock\"\n",
        state = state.display()
    )
}

fn config(bind: &Bind, state: &std::path::Path, port: u16) -> String {
    format!(
        r#"{controller}
[providers.bind]
type = "rfc2136"
server = "{server}"
tsig_key_name = "{key}"
tsig_algorithm = "{alg}"
tsig_secret_file = "{secret}"

{service}"#,
        controller = controller(state),
        server = bind.addr,
        key = bind.key.name,
        alg = bind.key.algorithm,
        secret = bind.secret_file().display(),
        service = service("bind", port),
    )
}

/// The regions (the primary on 127.0.0.2 and `::1`, returned apart; the
/// standby on 127.0.0.3) and the config `text` writes.
fn testbed(
    bind: Bind,
    text: impl FnOnce(&Bind, &std::path::Path, u16) -> String,
) -> (Testbed, Region) {
    let port = port_for_all();
    let primary = Region::start_at(SocketAddr::new(lo(2), port), "primary");
    let primary_v6 = Region::start_at(
        SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        "primary",
    );
    let standby = Region::start_at(SocketAddr::new(lo(3), port), "standby");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, text(&bind, dir.path(), port)).expect("write config");
    let tb = Testbed {
        bind,
        primary,
        standby,
        dir,
        config,
        port,
    };
    (tb, primary_v6)
}

/// BIND's journal, one transaction per block (each opens by deleting the
/// old SOA), as `named-journalprint` prints it.
fn transactions(bind: &Bind) -> Vec<String> {
    let out = Command::new("named-journalprint")
        .arg(bind.journal_file())
        .output()
        .expect("run named-journalprint");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut blocks: Vec<String> = Vec::new();
    for line in text.lines() {
        // Fields are tab-separated: one space each, to match on.
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.starts_with("del") && line.contains(" SOA ") {
            blocks.push(String::new());
        }
        if let Some(b) = blocks.last_mut() {
            b.push_str(&line);
            b.push('\n');
        }
    }
    blocks
}

fn served(bind: &Bind) -> (Vec<String>, Vec<String>, Vec<String>) {
    (
        bind.query(NAME, RecordType::A).values,
        bind.query(NAME, RecordType::AAAA).values,
        bind.query(WWW, RecordType::CNAME).values,
    )
}

#[test]
fn a_dual_stack_group_flips_every_record_in_one_update() {
    let bind = Bind::start(
        "example.test.",
        &[
            "checkout 4 IN A 127.0.0.2",
            "checkout 4 IN AAAA ::1",
            "www 4 IN CNAME primary.lb.example.test.",
        ],
    );
    let (mut tb, mut primary_v6) = testbed(bind, config);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    let before = transactions(&tb.bind).len();
    tb.primary.stop();
    primary_v6.stop();
    let flipped = (
        vec!["127.0.0.3".to_string()],
        vec!["::ffff:127.0.0.3".to_string()],
        vec!["standby.lb.example.test.".to_string()],
    );
    wait_for(
        Duration::from_secs(20),
        || served(&tb.bind) == flipped,
        || format!("{:?}\n{}", served(&tb.bind), d.log_text()),
    );
    let history = || run(&["history", "--config", tb.config_str()]).text();
    // Every change since the fault (TTL lowered, flip, TTL restored) is
    // one transaction holding every record of the group: never one
    // record moved without the others.
    let after = transactions(&tb.bind);
    for t in &after[before..] {
        for (name, rtype) in [(NAME, "A"), (NAME, "AAAA"), (WWW, "CNAME")] {
            let adds = t.lines().any(|l| {
                l.starts_with(&format!("add {name} ")) && l.contains(&format!(" IN {rtype} "))
            });
            assert!(adds, "an update without {name} {rtype}:\n{t}");
        }
    }
    let flip: Vec<&String> = after[before..]
        .iter()
        .filter(|t| t.contains("add checkout.example.test.") && t.contains("127.0.0.3"))
        .collect();
    assert_eq!(flip.len(), 1, "the flip is one update: {after:#?}");
    for want in [
        "add checkout.example.test.",
        "IN AAAA ::ffff:127.0.0.3",
        "IN CNAME standby.lb.example.test.",
    ] {
        assert!(
            flip[0].contains(want),
            "the flip lacks {want}:\n{}",
            flip[0]
        );
    }
    // Propagation was watched and reported for every record: a row per
    // record and path in the journaled watch result.
    wait_for(
        Duration::from_secs(15),
        || history().contains("watch-result"),
        history,
    );
    let h = run(&["history", "--json", "--config", tb.config_str()]).text();
    for want in [
        "zone-primary checkout.example.test. A\"",
        "zone-primary checkout.example.test. AAAA\"",
        "zone-primary www.example.test. CNAME\"",
    ] {
        let escaped = want.replace('"', "\\\"");
        assert!(
            h.contains(want) || h.contains(&escaped),
            "the watch result lacks {want}:\n{h}"
        );
    }
    assert!(h.contains("propagation all converged"), "{h}");
    // `status` names every record of the group.
    let status = run(&["status", "--config", tb.config_str()]).text();
    for want in [
        "checkout.example.test. A",
        "checkout.example.test. AAAA",
        "www.example.test. CNAME",
    ] {
        assert!(status.contains(want), "status lacks {want}:\n{status}");
    }
    d.stop();
}

/// The group on the embedded provider: rtoguard serves A, AAAA and CNAME
/// from the first pool, and on the primary's fault swaps all three at once
/// (each swap's log line holds every record's new value; a new serial).
#[test]
fn on_the_embedded_provider_every_record_of_a_group_moves_in_one_swap() {
    let dns = SocketAddr::new(lo(1), free_port(lo(1)));
    let embedded = |_: &Bind, dir: &std::path::Path, port: u16| {
        let edge = embedded_edge(dns, "");
        format!("{}\n{edge}\n{}", controller(dir), service("edge", port))
    };
    // The testbed's BIND is not asked: the daemon serves the zone.
    let (mut tb, mut primary_v6) = testbed(Bind::start("example.test.", &[]), embedded);
    let d = Daemon::start(&tb, &[]);
    let answers = || {
        let ask =
            |name, rtype| query(dns, name, rtype, false).map_or_else(|_| Vec::new(), |a| a.values);
        (
            ask(NAME, RecordType::A),
            ask(NAME, RecordType::AAAA),
            ask(WWW, RecordType::CNAME),
        )
    };
    let why = || format!("{:?}\n{}", answers(), d.log_text());
    wait_for(Duration::from_secs(15), || all_up(&tb), why);
    let one = |v: &str| vec![v.to_string()];
    assert_eq!(
        answers(),
        (
            one("127.0.0.2"),
            one("::1"),
            one("primary.lb.example.test.")
        ),
        "every record served from the first pool"
    );
    let before = soa_serial(dns, "example.test.").expect("serial");
    tb.primary.stop();
    primary_v6.stop();
    let flipped = (
        one("127.0.0.3"),
        one("::ffff:127.0.0.3"),
        one("standby.lb.example.test."),
    );
    wait_for(Duration::from_secs(20), || answers() == flipped, why);
    assert!(soa_serial(dns, "example.test.").expect("serial") > before);
    let log = d.stop();
    // Every swap onto the standby (the flip, then the TTL's restore) holds
    // every record of the group: never one record moved without the others.
    let swaps: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Embedded zone swapped.") && l.contains("127.0.0.3"))
        .collect();
    assert!(!swaps.is_empty(), "no swap onto the standby:\n{log}");
    for swap in swaps {
        for want in [
            "A [127.0.0.3]",
            "[::ffff:127.0.0.3]",
            "[standby.lb.example.test.]",
        ] {
            assert!(swap.contains(want), "a swap without {want}: {swap}");
        }
    }
}

/// The group on Route 53 (moto's server): the flip is one
/// `ChangeResourceRecordSets` request holding every record of the group,
/// as are the TTL's lowering and restore; afterwards every record reads
/// back on the standby (ListResourceRecordSets).
#[test]
fn on_route53_every_record_of_a_group_moves_in_one_change_batch() {
    use rtoguard_provider_api::{Change, ChangeSet, Provider, RecordSet, RecordType as Type};
    use rtoguard_route53::sdk::SdkRoute53;
    use rtoguard_route53::{Route53Provider, Route53Settings};
    use rtoguard_testkit::moto::Moto;

    const ZONE: &str = "example.test.";
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut s = Route53Settings::new("moto");
    s.region = Some("us-east-1".into());
    s.endpoint_url = Some(moto.url());
    s.credentials = Some(("testing".into(), "testing".into()));
    let group = [
        (NAME, Type::A, "127.0.0.2", "127.0.0.3"),
        (NAME, Type::AAAA, "::1", "::ffff:127.0.0.3"),
        (
            WWW,
            Type::CNAME,
            "primary.lb.example.test.",
            "standby.lb.example.test.",
        ),
    ];
    let p = rt.block_on(async {
        let sdk = SdkRoute53::new(&s).await;
        let zone = sdk.client().create_hosted_zone().name(ZONE);
        zone.caller_reference("rtoguard-groups")
            .send()
            .await
            .expect("create the zone");
        let p = Route53Provider::new(s.clone()).await.expect("provider");
        let creates = group.iter().map(|(name, rtype, primary, _)| {
            let set = RecordSet::new(name, *rtype, 4, [*primary]);
            Change::new(name, *rtype, vec![], vec![set]).expect("a change")
        });
        let creates = ChangeSet::new(creates.collect()).expect("a group");
        p.apply_all(ZONE, &creates)
            .await
            .expect("create the records");
        p
    });
    let url = moto.url();
    let route53 = |_: &Bind, dir: &std::path::Path, port: u16| {
        format!(
            "{}\n[providers.aws]\ntype = \"route53\"\nregion = \"us-east-1\"\n\
             endpoint_url = \"{url}\"\nrequests_per_second = 20\n\n{}",
            controller(dir),
            service("aws", port)
        )
    };
    // The testbed's BIND is not asked: the records live on moto.
    let (mut tb, mut primary_v6) = testbed(Bind::start(ZONE, &[]), route53);
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ];
    let d = Daemon::start(&tb, &env);
    let read = || {
        group
            .iter()
            .map(|(name, rtype, _, _)| {
                let sets = rt.block_on(p.read(ZONE, name, *rtype)).unwrap_or_default();
                sets.into_iter().flat_map(|s| s.values).collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    let why = || format!("{:?}\n{}", read(), d.log_text());
    wait_for(Duration::from_secs(15), || all_up(&tb), why);
    moto.record();
    tb.primary.stop();
    primary_v6.stop();
    let flipped: Vec<Vec<String>> = group.iter().map(|m| vec![m.3.to_string()]).collect();
    wait_for(Duration::from_secs(20), || read() == flipped, why);
    let batches = moto.change_batches();
    // Every batch since the fault (TTL lowered, flip, TTL restored) holds
    // every record of the group.
    for b in &batches {
        for (name, rtype, _, _) in &group {
            let member = format!("<Name>{name}</Name><Type>{rtype}</Type>");
            assert!(b.contains(&member), "a batch without {name} {rtype}:\n{b}");
        }
    }
    let flips: Vec<&String> = batches
        .iter()
        .filter(|b| b.contains("127.0.0.2") && b.contains("127.0.0.3"))
        .collect();
    assert_eq!(flips.len(), 1, "the flip is one change batch: {batches:#?}");
    for (_, _, _, standby) in &group {
        assert!(
            flips[0].contains(standby),
            "the flip lacks {standby}:\n{}",
            flips[0]
        );
    }
    d.stop();
}
