//! The daemon on the embedded provider: rtoguard serves the zone itself. The
//! primary region goes down, the daemon lowers the TTL and flips by swapping
//! what it serves; a client behind unbound reaches the standby once the
//! lowered TTL of the answer it held runs out.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, embedded_edge, run};
use hickory_proto::rr::RecordType;
use rtoguard_testkit::dns::query;
use rtoguard_testkit::net::{free_port, lo};
use rtoguard_testkit::unbound::Unbound;

/// The daemon's config: the testbed's regions, served by the embedded
/// server on `dns` (normal TTL 2 s, lowered 1 s; the flip comes 3 s
/// after the first failure, once every cache holds the lowered TTL).
fn config(tb: &Testbed, dns: SocketAddr) -> String {
    format!(
        r#"[controller]
id = "test"
state_dir = "{state}"
control_socket = "{state}/control.sock"

{edge}
[[services]]
name = "checkout"
provider = "edge"
zone = "example.test."
record = "checkout.example.test."
type = "A"
rto = "5m"
ttl = {{ normal = "2s", lowered = "1s", restore_after = "1s" }}
probe = {{ type = "http", port = {port}, path = "/healthz", timeout = "150ms" }}
health = {{ interval = "200ms", rise = 2, fall = 15 }}
damping = {{ hold_down = "1s", max_flips = 3, flip_window = "1h" }}

[[services.pools]]
name = "primary"
region = "region-a"
endpoints = ["127.0.0.2"]

[[services.pools]]
name = "standby"
region = "region-b"
endpoints = ["127.0.0.3"]
"#,
        state = tb.dir.path().display(),
        edge = embedded_edge(
            dns,
            r#"records = [{ name = "www", type = "CNAME", ttl = "1m", values = ["checkout"] }]"#
        ),
        port = tb.port,
    )
}

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

/// One answer for checkout through `server`: values and TTL.
fn ask(server: SocketAddr, recurse: bool) -> Option<(Vec<String>, u32)> {
    query(server, "checkout.example.test.", RecordType::A, recurse)
        .ok()
        .map(|a| (a.values, a.ttl))
}

#[test]
fn primary_down_the_embedded_server_answers_the_standby_and_a_client_behind_unbound_follows() {
    let mut tb = Testbed::start(300, 30, "1h");
    let dns = SocketAddr::new(lo(1), free_port(lo(1)));
    std::fs::write(&tb.config, config(&tb, dns)).expect("write config");
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    // Served from the first pool from the start, with the normal TTL.
    assert_eq!(ask(dns, false), Some((vec!["127.0.0.2".into()], 2)));
    let www = query(dns, "www.example.test.", RecordType::CNAME, false).expect("www");
    assert_eq!(
        www.values,
        ["checkout.example.test."],
        "static records served"
    );
    let unbound = Unbound::start("example.test.", dns);
    let client = unbound.addr;
    assert_eq!(
        ask(client, true).map(|a| a.0),
        Some(vec!["127.0.0.2".to_string()])
    );
    let before = rtoguard_testkit::dns::soa_serial(dns, "example.test.").expect("serial");

    tb.primary.stop();
    // The client polls through unbound; the authoritative answer is watched too.
    let mut seen: Vec<(Instant, Vec<String>, u32)> = Vec::new();
    let mut served_standby = None;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let now = Instant::now();
        if served_standby.is_none() && ask(dns, false).is_some_and(|a| a.0 == ["127.0.0.3"]) {
            served_standby = Some(now);
        }
        if let Some((values, ttl)) = ask(client, true) {
            let done = values == ["127.0.0.3"];
            seen.push((now, values, ttl));
            if done {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let why = || format!("client saw {seen:?}\n{}\n{}", history(&tb), d.log_text());
    let served_at = served_standby.unwrap_or_else(|| panic!("never served the standby: {}", why()));
    let (reached_at, _, _) = seen
        .last()
        .filter(|s| s.1 == ["127.0.0.3"])
        .cloned()
        .unwrap_or_else(|| panic!("the client never reached the standby: {}", why()));
    // What the client held when the flip was served: the primary, cached
    // with the lowered TTL, so no cache kept it longer than that.
    let held = seen
        .iter()
        .rev()
        .find(|s| s.0 <= served_at && s.1 == ["127.0.0.2"])
        .unwrap_or_else(|| panic!("no answer held before the flip: {}", why()));
    assert!(
        held.2 <= 1,
        "the answer held at the flip carried TTL {} (lowered is 1): {}",
        held.2,
        why()
    );
    // After the flip no cache handed out a fresh primary answer: only the
    // held one running out, then the standby.
    let fresh = seen
        .iter()
        .find(|s| s.0 > served_at && s.1 == ["127.0.0.2"] && s.2 > held.2);
    assert!(
        fresh.is_none(),
        "a fresh primary answer after the flip: {fresh:?}: {}",
        why()
    );
    println!(
        "embedded server answered the standby; the client behind unbound followed {} ms later (held TTL {} s)",
        reached_at.saturating_duration_since(served_at).as_millis(),
        held.2
    );
    assert!(
        rtoguard_testkit::dns::soa_serial(dns, "example.test.").expect("serial") > before,
        "each swap raised the serial"
    );

    wait_for(
        Duration::from_secs(15),
        || history(&tb).contains("watch-result"),
        || format!("{}\n{}", history(&tb), d.log_text()),
    );
    let h = history(&tb);
    for want in [
        "set the TTL to 1",
        "flip from pool primary to pool standby",
        "provider-result",
        "propagation all converged",
    ] {
        assert!(h.contains(want), "history lacks {want}:\n{h}");
    }
    let log = d.stop();
    assert!(log.contains("Embedded zone swapped."), "{log}");
    // Stopped, the state file keeps what was served last.
    let kept =
        std::fs::read_to_string(tb.dir.path().join("embedded-edge.json")).expect("state file");
    assert!(kept.contains("127.0.0.3"), "{kept}");
}

/// TTL at query time: a suspect pool lowers the TTL the embedded server
/// answers with, and the pool's recovery restores it; neither is a new
/// zone version (the serial stays), while the core journals both decisions.
#[test]
fn a_suspect_pool_lowers_the_served_ttl_and_recovery_restores_it_at_the_same_serial() {
    let tb = Testbed::start(300, 30, "1h");
    let dns = SocketAddr::new(lo(1), free_port(lo(1)));
    // Never down within the test: the pool is only suspect.
    let text = config(&tb, dns).replace("fall = 15", "fall = 100");
    std::fs::write(&tb.config, text).expect("write config");
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    let primary = || Some((vec!["127.0.0.2".to_string()], 2));
    assert_eq!(ask(dns, false), primary(), "the normal TTL");
    let serial = || rtoguard_testkit::dns::soa_serial(dns, "example.test.").expect("serial");
    let before = serial();
    let why = || format!("{}\n{}", history(&tb), d.log_text());

    tb.primary.set_status(503);
    wait_for(
        Duration::from_secs(15),
        || ask(dns, false) == Some((vec!["127.0.0.2".to_string()], 1)),
        why,
    );
    assert_eq!(serial(), before, "lowering the TTL is no new zone version");

    tb.primary.set_status(200);
    wait_for(
        Duration::from_secs(15),
        || ask(dns, false) == primary(),
        why,
    );
    assert_eq!(serial(), before, "restoring the TTL is no new zone version");
    let h = history(&tb);
    for want in ["set the TTL to 1", "set the TTL to 2"] {
        assert!(h.contains(want), "history lacks {want}:\n{h}");
    }
    d.stop();
}

/// rtoguard as a hidden primary under `rtoguard run`: BIND 9 is a keyed
/// secondary of the daemon's embedded server; the primary region dies and
/// BIND serves the standby, having received the flip by NOTIFY and IXFR.
#[test]
fn under_the_daemon_a_bind_secondary_follows_the_flip_by_notify_and_ixfr() {
    use rtoguard_testkit::bind::{Bind, TsigKey};

    let mut tb = Testbed::start(300, 30, "1h");
    let dns = SocketAddr::new(lo(1), free_port(lo(1)));
    let xfr = SocketAddr::new(lo(1), free_port(lo(1)));
    let secondary_port = free_port(lo(1));
    let key = TsigKey {
        name: "xfr.".into(),
        algorithm: "hmac-sha256".into(),
        secret: rtoguard_testkit::random_secret(),
    };
    let secret = tb.dir.path().join("xfr.secret");
    std::fs::write(&secret, format!("{}\n", key.secret)).expect("write the key");
    let transfer = format!(
        "\n[providers.edge.zones.transfer]\nlisten = \"{xfr}\"\n\
         keys = [{{ name = \"xfr.\", algorithm = \"hmac-sha256\", secret_file = \"{}\" }}]\n\
         notify = [\"{}\"]\n",
        secret.display(),
        SocketAddr::new(lo(1), secondary_port),
    );
    let text = config(&tb, dns).replacen("\n[[services]]", &format!("{transfer}\n[[services]]"), 1);
    std::fs::write(&tb.config, text).expect("write config");
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    let secondary = Bind::builder("example.test.")
        .key(key)
        .signed_transfers()
        .debug(3)
        .port(secondary_port)
        .secondary_of(xfr)
        .start();
    let on = |b: &Bind| b.query("checkout.example.test.", RecordType::A).values;
    assert_eq!(on(&secondary), ["127.0.0.2"], "loaded by AXFR");

    tb.primary.stop();
    wait_for(
        Duration::from_secs(30),
        || on(&secondary) == ["127.0.0.3"],
        || format!("{}\n{}\n{}", history(&tb), d.log_text(), secondary.log()),
    );
    let served = rtoguard_testkit::dns::soa_serial(dns, "example.test.").expect("serial");
    wait_for(
        Duration::from_secs(10),
        || secondary.serial() == served,
        || format!("BIND at {} for {served}", secondary.serial()),
    );
    let log = secondary.log();
    for line in ["notify from", "got incremental response"] {
        assert!(log.contains(line), "BIND's log lacks {line:?}:\n{log}");
    }
    let h = history(&tb);
    assert!(h.contains("flip from pool primary to pool standby"), "{h}");
    d.stop();
}

/// Every region answers the same: three controllers (and the agent), each
/// serving the zone from its own embedded server. The primary's region
/// dies; c13 (the standby's region) flips its own copy and c11 and c12
/// adopt the flip into theirs. Each server is asked in turn, as clients of
/// three regions would ask, until all three answer the standby.
#[test]
fn three_controllers_serve_the_same_pool_after_a_flip() {
    use std::collections::BTreeMap;
    use std::net::IpAddr;
    use std::sync::{Arc, Mutex};

    use common::cluster::{Cluster, Options, first_and_all};

    let servers: Arc<Mutex<BTreeMap<String, SocketAddr>>> = Arc::default();
    let seen = servers.clone();
    let provider = move |id: &str, ip: IpAddr| {
        let dns = SocketAddr::new(ip, free_port(ip));
        seen.lock().unwrap().insert(id.to_owned(), dns);
        format!(
            "[providers.edge]\ntype = \"embedded\"\nlisten = [\"{dns}\"]\nrate_limit = 0\n\n\
             [[providers.edge.zones]]\nname = \"example.test.\"\n\
             name_servers = [{{ name = \"ns1\", addresses = [\"{ip}\"] }}]\n"
        )
    };
    let mut c = Cluster::start(Options {
        provider: Some(Box::new(provider)),
        ..Options::default()
    });
    let ids = ["c11", "c12", "c13"];
    let servers = servers.lock().unwrap().clone();
    let answer = |id: &str| ask(servers[id], false).map(|(v, _)| v.join(","));
    for id in ids {
        assert_eq!(
            answer(id).as_deref(),
            Some("127.0.0.2"),
            "{id} starts on primary\n{}",
            c.logs()
        );
    }
    c.primary.stop();
    let (first, all) = first_and_all(&ids, Duration::from_secs(30), |id| {
        answer(id).as_deref() == Some("127.0.0.3")
    });
    let (Some(first), Some(all)) = (first, all) else {
        panic!("not every server answers standby\n{}", c.logs());
    };
    // A figure, not a bound (the pull interval here is 200 ms).
    eprintln!(
        "first server on standby to all three: {} ms",
        all.duration_since(first).as_millis()
    );
    let decided = |id: &str, decision: &str| {
        c.node(id)
            .history()
            .into_iter()
            .filter(|e| e["detail"]["decision"] == decision)
            .count()
    };
    assert_eq!(decided("c13", "flipped"), 1, "{}", c.logs());
    for id in ["c11", "c12"] {
        assert_eq!(decided(id, "flipped"), 0, "{id} flipped\n{}", c.logs());
        assert_eq!(decided(id, "adopted"), 1, "{id} adopted\n{}", c.logs());
    }
    // And it stays so: nobody writes again.
    std::thread::sleep(Duration::from_secs(1));
    for id in ids {
        assert_eq!(answer(id).as_deref(), Some("127.0.0.3"), "{id}");
    }
}
