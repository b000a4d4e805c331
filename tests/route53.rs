//! The daemon's automatic failover against the Route 53 API (moto's server
//! on loopback), with weighted records: the flip moves the weight.

mod common;

use std::time::Duration;

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use rtoguard_provider_api::{Change, Provider, RecordSet, RecordType};
use rtoguard_route53::sdk::SdkRoute53;
use rtoguard_route53::{Route53Provider, Route53Settings};
use rtoguard_testkit::moto::Moto;

const ZONE: &str = "example.test.";
const NAME: &str = "checkout.example.test.";

fn settings(moto: &Moto) -> Route53Settings {
    let mut s = Route53Settings::new("moto");
    s.region = Some("us-east-1".into());
    s.endpoint_url = Some(moto.url());
    s.credentials = Some(("testing".into(), "testing".into()));
    s.requests_per_second = 50;
    s
}

fn weights(rt: &tokio::runtime::Runtime, p: &Route53Provider) -> Vec<(String, u32)> {
    let mut sets = rt
        .block_on(p.read(ZONE, NAME, RecordType::A))
        .expect("read");
    sets.sort_by(|a, b| a.set_id.cmp(&b.set_id));
    sets.into_iter()
        .map(|s| (s.set_id.unwrap_or_default(), s.weight.unwrap_or_default()))
        .collect()
}

/// A hosted zone for `ZONE` on moto holding `initial`, and a provider on it.
fn zone_with(
    rt: &tokio::runtime::Runtime,
    s: &Route53Settings,
    initial: Vec<RecordSet>,
) -> Route53Provider {
    let p = rt.block_on(async {
        let sdk = SdkRoute53::new(s).await;
        sdk.client()
            .create_hosted_zone()
            .name(ZONE)
            .caller_reference("rtoguard-e2e")
            .send()
            .await
            .expect("create zone");
        Route53Provider::new(s.clone()).await.expect("provider")
    });
    rt.block_on(p.apply(
        ZONE,
        &Change::new(NAME, RecordType::A, vec![], initial).unwrap(),
    ))
    .expect("create records");
    p
}

/// The testbed's config with its provider turned into Route 53 at `url`.
fn on_route53(tb: &Testbed, url: &str) -> String {
    let text = std::fs::read_to_string(&tb.config).unwrap();
    let start = text.find("[providers.bind]").unwrap();
    let end = text.find("[[services]]").unwrap();
    let r53 = format!(
        "[providers.bind]\ntype = \"route53\"\nregion = \"us-east-1\"\nendpoint_url = \"{url}\"\nrequests_per_second = 20\n\n"
    );
    format!("{}{}{}", &text[..start], r53, &text[end..])
}

/// Write `config`, start the daemon, and wait until it serves the primary.
fn serving_primary(tb: &Testbed, config: &str, env: &[(&str, &str)]) -> Daemon {
    std::fs::write(&tb.config, config).unwrap();
    let d = Daemon::start(tb, env);
    wait_for(Duration::from_secs(15), || all_up(tb), || d.log_text());
    let status = run(&["status", "--config", tb.config_str()]).text();
    assert!(
        status.contains("active pool: primary"),
        "{status}\n{}",
        d.log_text()
    );
    d
}

/// Static keys in the environment, and nothing else of AWS's to find.
fn aws_env(key_id: &'static str, secret: &'static str) -> [(&'static str, &'static str); 5] {
    [
        ("AWS_ACCESS_KEY_ID", key_id),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ]
}

#[test]
fn the_daemon_fails_over_weighted_records_on_route53() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = settings(&moto);
    let initial = vec![
        RecordSet::new(NAME, RecordType::A, 4, ["127.0.0.2"]).with_weight("primary", 100),
        RecordSet::new(NAME, RecordType::A, 4, ["127.0.0.3"]).with_weight("standby", 0),
    ];
    let p = zone_with(&rt, &s, initial);

    let mut tb = Testbed::start_with(
        4,
        1,
        "1s",
        "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 3, flip_window = \"1h\" }",
    );
    let text = on_route53(&tb, &moto.url());
    let d = serving_primary(&tb, &text, &aws_env("testing", "testing"));
    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || weights(&rt, &p) == [("primary".to_string(), 0), ("standby".to_string(), 100)],
        || d.log_text(),
    );
    // Values and set ids are kept: only the weight moved.
    let sets = rt.block_on(p.read(ZONE, NAME, RecordType::A)).unwrap();
    assert!(
        sets.iter()
            .any(|s| s.set_id.as_deref() == Some("standby") && s.values == ["127.0.0.3"]),
        "{sets:?}"
    );
    d.stop();
}

/// A service on Route 53 (moto at `url`) with a gradual failback, as the config says it.
fn gradual_service(url: &str) -> rtoguard::config::Service {
    let text = format!(
        r#"[controller]
id = "test"
[providers.aws]
type = "route53"
region = "us-east-1"
endpoint_url = "{url}"
[[services]]
name = "checkout"
provider = "aws"
zone = "{ZONE}"
record = "{NAME}"
type = "A"
rto = "5m"
ttl = {{ normal = "4s", lowered = "1s" }}
failback = {{ mode = "manual", steps = [10, 50, 100], step_hold = "1s" }}
probe = {{ type = "tcp", port = 80 }}
[[services.pools]]
name = "primary"
region = "a"
endpoints = ["127.0.0.2"]
[[services.pools]]
name = "standby"
region = "b"
endpoints = ["127.0.0.3"]
"#
    );
    let cfg = rtoguard::config::parse(std::path::Path::new("config.toml"), &text)
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(cfg.services[0].failback.steps, [10, 50, 100]);
    cfg.services[0].clone()
}

/// The move engine writes each step of a gradual failback as one weighted
/// compare-and-set change, refuses a step when a rival moved the weights,
/// and rolls back by the same write.
#[test]
fn the_engine_writes_gradual_failback_steps_as_weighted_compare_and_set_changes() {
    use rtoguard::engine::{Prepared, Quiet, apply, weights_change};
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = settings(&moto);
    let initial = vec![
        RecordSet::new(NAME, RecordType::A, 5, ["127.0.0.2"]).with_weight("primary", 0),
        RecordSet::new(NAME, RecordType::A, 5, ["127.0.0.3"]).with_weight("standby", 100),
    ];
    let p = zone_with(&rt, &s, initial);
    let svc = gradual_service(&moto.url());
    let dyn_p: std::sync::Arc<dyn Provider> = std::sync::Arc::new(
        rt.block_on(Route53Provider::new(s.clone()))
            .expect("provider"),
    );
    // moto refuses a CREATE identical to one it applied before ("already
    // exists"), whatever was deleted since: each round writes its own TTL.
    let step = |on_primary: u8, expect: [u8; 2], ttl: u32| {
        rt.block_on(async {
            let shares = [("primary", on_primary), ("standby", 100 - on_primary)];
            match weights_change(&svc, &dyn_p, shares, Some(expect), ttl).await? {
                Prepared::Change(c) => apply(&svc, &dyn_p, &c, Duration::from_secs(5), &Quiet)
                    .await
                    .map(|_| ()),
                Prepared::Served => Ok(()),
            }
        })
    };
    let w = |a: u32, b: u32| vec![("primary".to_string(), a), ("standby".to_string(), b)];
    let mut prev = [0, 100];
    for on_primary in [10, 50] {
        step(on_primary, prev, 4).expect("step");
        assert_eq!(
            weights(&rt, &p),
            w(on_primary.into(), (100 - on_primary).into())
        );
        prev = [on_primary, 100 - on_primary];
    }
    // A rival moves the weights: the next step expects 50/50 and is refused.
    step(100, [10, 90], 4).expect_err("a conflict");
    assert_eq!(weights(&rt, &p), w(50, 50), "nothing written on a conflict");
    // The rollback: all weight back on the standby, values and set ids kept.
    step(0, prev, 4).expect("rollback");
    assert_eq!(weights(&rt, &p), w(0, 100));
    step(10, [0, 100], 3).expect("again");
    step(50, [10, 90], 3).expect("again");
    step(100, [50, 50], 3).expect("last step");
    assert_eq!(weights(&rt, &p), w(100, 0));
    let sets = rt.block_on(p.read(ZONE, NAME, RecordType::A)).unwrap();
    assert!(
        sets.iter()
            .any(|s| s.set_id.as_deref() == Some("primary") && s.values == ["127.0.0.2"]),
        "{sets:?}"
    );
}

/// Weighted alias sets on the double: primary (weight 100) aliased to
/// `lbs[0]`, standby (0) to `lbs[1]` (name, hosted zone); with a
/// `HealthCheckId` each when `health_checks`.
fn put_alias_sets(
    double: &rtoguard_testkit::route53::Route53Double,
    lbs: [(&str, &str); 2],
    health_checks: bool,
) {
    use rtoguard_testkit::route53::Rrset;
    for (i, (id, w)) in [("primary", 100), ("standby", 0)].into_iter().enumerate() {
        let set = Rrset::new(NAME, "A")
            .weighted(id, w)
            .field("AliasTarget.DNSName", lbs[i].0)
            .field("AliasTarget.HostedZoneId", lbs[i].1)
            .field("AliasTarget.EvaluateTargetHealth", "false");
        double.put(match health_checks {
            true => set.field("HealthCheckId", &format!("hc-{id}")),
            false => set,
        });
    }
}

/// The daemon fails over between two load balancers behind alias records,
/// against the strict Route 53 double: the weights move, the alias targets
/// and the health check ids stay (the double refuses a DELETE without them).
#[test]
fn the_daemon_fails_over_alias_records_between_load_balancers() {
    use rtoguard_testkit::route53::Route53Double;
    let lbs = [
        ("app-eu-1.eu-west-1.elb.amazonaws.com.", "Z32O12XQLNTSW2"),
        ("app-us-2.us-east-1.elb.amazonaws.com.", "Z35SXDOTRQ7X7K"),
    ];
    let double = Route53Double::start(ZONE);
    double.sync_after(Duration::from_millis(200));
    put_alias_sets(&double, [lbs[0], lbs[1]], true);
    let mut tb = Testbed::start_with(
        4,
        1,
        "1s",
        "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 3, flip_window = \"1h\" }",
    );
    let mut text = on_route53(&tb, &double.url());
    for (ip, (lb, zone)) in ["127.0.0.2", "127.0.0.3"].iter().zip(lbs) {
        let endpoints = format!("endpoints = [\"{ip}\"]");
        text = text.replace(
            &endpoints,
            &format!("{endpoints}\nalias = {{ dns_name = \"{lb}\", hosted_zone_id = \"{zone}\" }}"),
        );
    }
    let d = serving_primary(&tb, &text, &aws_env("AKIDDOUBLE", "double-secret"));
    tb.primary.stop();
    let served = || {
        double
            .sets_at(NAME, "A")
            .iter()
            .map(|s| {
                (
                    s.get("AliasTarget.DNSName").unwrap_or("").to_string(),
                    s.get("Weight").unwrap_or("").to_string(),
                    s.get("HealthCheckId").unwrap_or("").to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let want = vec![
        (
            lbs[0].0.to_string(),
            "0".to_string(),
            "hc-primary".to_string(),
        ),
        (
            lbs[1].0.to_string(),
            "100".to_string(),
            "hc-standby".to_string(),
        ),
    ];
    wait_for(
        Duration::from_secs(20),
        || served() == want,
        || format!("{:?}\n{}", served(), d.log_text()),
    );
    d.stop();
}

/// Point `name` (in BIND's zone) at `ip` alone, TTL 1, with `nsupdate`.
fn repoint(bind: &rtoguard_testkit::bind::Bind, name: &str, ip: &str) {
    use std::io::Write;
    let k = &bind.key;
    let mut child = std::process::Command::new("nsupdate")
        .args(["-y", &format!("{}:{}:{}", k.algorithm, k.name, k.secret)])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run nsupdate");
    let script = format!(
        "server {} {}\nupdate delete {name} A\nupdate add {name} 1 A {ip}\nsend\n",
        bind.addr.ip(),
        bind.addr.port()
    );
    let mut stdin = child.stdin.take().expect("nsupdate's stdin");
    stdin
        .write_all(script.as_bytes())
        .expect("write to nsupdate");
    drop(stdin);
    assert!(child.wait().expect("nsupdate").success(), "nsupdate failed");
}

/// The load balancers of [`by_name`]: name, hosted zone, first address.
const LBS: [(&str, &str, &str); 2] = [
    ("app-eu.lb.test.", "Z32O12XQLNTSW2", "127.0.0.2"),
    ("app-us.lb.test.", "Z35SXDOTRQ7X7K", "127.0.0.3"),
];

/// A daemon on the Route 53 double whose two pools are aliases to
/// [`LBS`] and list no endpoints, the service's resolver being `resolver`
/// (a BIND serving the load balancers' names, TTL 1; the system resolver
/// knows none of them); started and serving the primary.
fn by_name(
    resolver: &rtoguard_testkit::bind::Bind,
) -> (rtoguard_testkit::route53::Route53Double, Testbed, Daemon) {
    let double = rtoguard_testkit::route53::Route53Double::start(ZONE);
    put_alias_sets(&double, [(LBS[0].0, LBS[0].1), (LBS[1].0, LBS[1].1)], false);
    let tb = Testbed::start_with(
        4,
        1,
        "1s",
        "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 3, flip_window = \"1h\" }",
    );
    let mut text = on_route53(&tb, &double.url());
    for (lb, zone, ip) in LBS {
        text = text.replace(
            &format!("endpoints = [\"{ip}\"]"),
            &format!("alias = {{ dns_name = \"{lb}\", hosted_zone_id = \"{zone}\" }}"),
        );
    }
    text.push_str(&format!(
        "\n[services.propagation]\nresolvers = [ {{ name = \"lb\", address = \"{}\" }} ]\n",
        resolver.addr
    ));
    let d = serving_primary(&tb, &text, &aws_env("AKIDDOUBLE", "double-secret"));
    (double, tb, d)
}

/// The weights of the primary's and the standby's alias sets.
fn alias_weights(double: &rtoguard_testkit::route53::Route53Double) -> Vec<String> {
    double
        .sets_at(NAME, "A")
        .iter()
        .map(|s| s.get("Weight").unwrap_or("").to_string())
        .collect()
}

fn lb_resolver() -> rtoguard_testkit::bind::Bind {
    rtoguard_testkit::bind::Bind::start(
        "lb.test.",
        &["app-eu 1 IN A 127.0.0.2", "app-us 1 IN A 127.0.0.3"],
    )
}

/// An alias pool that lists no endpoints is probed at the addresses its
/// target resolves to, asked of the service's resolver. The addresses are
/// asked again as their TTL runs out, so when the primary's load balancer
/// moves to a new address the probes follow and the old address's death
/// flips nothing; the new address's death fails over.
#[test]
fn alias_pools_are_probed_at_the_addresses_their_targets_resolve_to() {
    let resolver = lb_resolver();
    let (double, mut tb, d) = by_name(&resolver);
    let status = run(&["status", "--config", tb.config_str()]).text();
    assert!(status.contains("app-eu.lb.test."), "{status}");
    assert!(tb.primary.requests() > 0 && tb.standby.requests() > 0);
    let weights = || alias_weights(&double);
    let why = || format!("{:?}\n{}\n{}", weights(), d.log_text(), resolver.log());

    // The primary's load balancer moves: the probes follow its new address.
    let mut moved = rtoguard_testkit::region::Region::start_at(
        std::net::SocketAddr::new(rtoguard_testkit::net::lo(4), tb.port),
        "primary",
    );
    repoint(&resolver, LBS[0].0, "127.0.0.4");
    wait_for(Duration::from_secs(10), || moved.requests() > 2, why);
    tb.primary.stop();
    std::thread::sleep(Duration::from_secs(2));
    let flipped = "the old address's death flipped";
    assert_eq!(weights(), ["100", "0"], "{flipped}: {}", why());

    // The new address dies: the pool is down, the weight moves.
    moved.stop();
    wait_for(Duration::from_secs(20), || weights() == ["0", "100"], why);
    d.stop();
}

/// The resolver stops answering: this vantage cannot tell where the load
/// balancers are, so it is impaired (it says so in the journal), and that
/// is no vote down: nothing flips.
#[test]
fn an_alias_target_that_cannot_be_resolved_impairs_the_vantage_and_flips_nothing() {
    let mut resolver = lb_resolver();
    let (double, tb, d) = by_name(&resolver);
    resolver.stop();
    let history = || run(&["history", "--config", tb.config_str()]).text();
    let said = "vantage test impaired: cannot resolve the probe target (app-";
    wait_for(
        Duration::from_secs(10),
        || history().contains(said),
        || format!("{}\n{}", history(), d.log_text()),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(alias_weights(&double), ["100", "0"], "{}", d.log_text());
    let status = run(&["status", "--config", tb.config_str()]).text();
    assert!(status.contains("active pool: primary"), "{status}");
    d.stop();
}

/// The service config's extra keys for the gradual failback tests: fast
/// probes, and a manual failback in three steps each held `hold`.
fn gradual_extra(hold: &str) -> String {
    format!(
        "health = {{ interval = \"200ms\", rise = 2, fall = 2 }}\nfailback = {{ mode = \"manual\", steps = [10, 50, 100], step_hold = \"{hold}\" }}"
    )
}

/// Route 53 (moto) serving the standby with all the weight, a daemon on
/// it with a gradual failback held `hold` per step, every pool up. The
/// records are created with TTL 5s while the config's normal TTL is 4s:
/// no write of the daemon repeats their CREATE (moto refuses an identical
/// one), and nothing restores the TTL within the test (`restore_after` 1h).
fn serving_standby_gradually(
    rt: &tokio::runtime::Runtime,
    moto: &Moto,
    hold: &str,
) -> (Testbed, Daemon, Route53Provider) {
    let initial = vec![
        RecordSet::new(NAME, RecordType::A, 5, ["127.0.0.2"]).with_weight("primary", 0),
        RecordSet::new(NAME, RecordType::A, 5, ["127.0.0.3"]).with_weight("standby", 100),
    ];
    let p = zone_with(rt, &settings(moto), initial);
    let tb = Testbed::start_with(4, 1, "1h", &gradual_extra(hold));
    std::fs::write(&tb.config, on_route53(&tb, &moto.url())).unwrap();
    let d = Daemon::start(&tb, &aws_env("testing", "testing"));
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    let status = run(&["status", "--config", tb.config_str()]).text();
    assert!(status.contains("active pool: standby"), "{status}");
    assert_eq!(
        weights(rt, &p),
        [("primary".into(), 0), ("standby".into(), 100)]
    );
    (tb, d, p)
}

/// Each distinct weighting (primary, standby) the provider serves, in
/// order, polled until `stop` says so on the newest; `on_poll` sees every
/// poll (a step is served a moment before the daemon hears its answer).
fn weights_until(
    rt: &tokio::runtime::Runtime,
    p: &Route53Provider,
    d: &Daemon,
    mut on_poll: impl FnMut(&[(String, u32)]),
    stop: impl Fn(&[(String, u32)]) -> bool,
) -> Vec<(u32, u32)> {
    // Where it starts (asserted by the caller) is no step.
    let mut seen: Vec<(u32, u32)> = vec![(0, 100)];
    // Polled every 50 ms, for 30 s at most.
    for _ in 0..600 {
        let w = weights(rt, p);
        let pair = (w[0].1, w[1].1);
        if seen.last() != Some(&pair) {
            seen.push(pair);
        }
        on_poll(&w);
        if stop(&w) {
            return seen.split_off(1);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("weights seen: {seen:?}\n{}", d.log_text());
}

/// `rtoguard failback checkout --now` through the daemon, in a thread:
/// the command follows the move until it ends.
fn failback_now(tb: &Testbed) -> std::thread::JoinHandle<std::process::Output> {
    let config = tb.config_str().to_string();
    std::thread::spawn(move || {
        run(&[
            "failback", "checkout", "--now", "--yes", "--config", &config,
        ])
    })
}

/// A manual failback with `steps = [10, 50, 100]` through the daemon:
/// the weight moves to the primary step by step, each step held while the
/// primary stays up; `status` says where it stands, `history` and the
/// report name every step.
#[test]
fn the_daemon_fails_back_gradually_through_10_50_100_on_route53() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (tb, d, p) = serving_standby_gradually(&rt, &moto, "2s");
    let dry = run(&[
        "failback",
        "checkout",
        "--now",
        "--dry-run",
        "--config",
        tb.config_str(),
    ])
    .text();
    assert!(
        dry.contains("in steps of 10 %, 50 %, 100 %, each held 2s"),
        "{dry}"
    );
    let command = failback_now(&tb);
    let mut during = String::new();
    let seen = weights_until(
        &rt,
        &p,
        &d,
        |w| {
            // moto serves the step a moment before the daemon has heard
            // its answer ("being written"): ask again while the step holds.
            if w[0].1 == 50 && !during.contains("next step in") {
                during = run(&["status", "--config", tb.config_str()]).text();
            }
        },
        |w| w[0].1 == 100,
    );
    assert_eq!(seen, [(10, 90), (50, 50), (100, 0)], "{}", d.log_text());
    let out = command.join().unwrap();
    assert!(out.status.success(), "{}", out.text());
    assert!(
        during.contains("failing back gradually: step 2 of 3 (50 %), next step in"),
        "{during}"
    );
    wait_for(
        Duration::from_secs(10),
        || {
            run(&["status", "--config", tb.config_str()])
                .text()
                .contains("active pool: primary")
        },
        || d.log_text(),
    );
    let history = run(&["history", "checkout", "--config", tb.config_str()]).text();
    for said in [
        "step 1 of 3: 10% of the weight on primary",
        "step 2 of 3: 50% of the weight on primary",
        "gradual failback complete after 3 steps",
    ] {
        assert!(history.contains(said), "{said}:\n{history}");
    }
    let log = d.stop();
    let id = log
        .split("rtoguard report ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the report's id in the log");
    let report = run(&["report", id, "--config", tb.config_str()]).text();
    // The report's lines wrap: short words only.
    for said in [
        "step 1 of 3 served",
        "step 2 of 3 served",
        "complete after 3",
    ] {
        assert!(report.contains(said), "{said}:\n{report}");
    }
}

/// The primary fails during step 2 of a gradual failback: all the weight
/// goes back to the standby and the failback ends there.
#[test]
fn a_gradual_failback_rolls_back_when_the_primary_fails_mid_way_on_route53() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (mut tb, d, p) = serving_standby_gradually(&rt, &moto, "3s");
    let command = failback_now(&tb);
    let stopped = std::cell::Cell::new(false);
    let seen = weights_until(
        &rt,
        &p,
        &d,
        |w| {
            if w[0].1 == 50 && !stopped.get() {
                tb.primary.stop();
                stopped.set(true);
            }
        },
        |w| stopped.get() && w[0].1 == 0,
    );
    assert_eq!(seen, [(10, 90), (50, 50), (0, 100)], "{}", d.log_text());
    let out = command.join().unwrap();
    assert!(
        !out.status.success() && out.text().contains("did not complete (rolled back"),
        "{}",
        out.text()
    );
    let history = run(&["history", "checkout", "--config", tb.config_str()]).text();
    assert!(
        history.contains("gradual failback rolled back at step 2 of 3"),
        "{history}"
    );
    let status = run(&["status", "--config", tb.config_str()]).text();
    assert!(
        status.contains("active pool: standby") && !status.contains("failing back gradually"),
        "{status}"
    );
    d.stop();
}
