//! Evacuating a region through the daemon, against BIND 9: three services
//! with their first pool in eu-west-1 (one already elsewhere, one whose
//! standby is down, one movable). The movable one moves, the unhealthy one
//! is refused by name, nothing else changes; `--end` lets the failback
//! rules bring them home (auto at once after stable_for, manual on
//! `failback`); one report with a row per service.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::daemon::{Daemon, wait_for};
use common::{OutputText, Testbed, provider_and_service, run};
use hickory_proto::rr::RecordType;
use rtoguard_testkit::bind::Bind;
use serde_json::Value;

const HEALTH: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 5, flip_window = \"1h\" }";

const TTL: &str = "ttl = { normal = \"2s\", lowered = \"1s\", restore_after = \"1h\" }";

/// The shared set-up's provider and `checkout` service (primary in
/// eu-west-1 on 127.0.0.2, standby in us-east-1 on 127.0.0.3), with the
/// failback mode `failback`; `name` and `standby` rename the service and
/// move its standby (the provider table is left out then).
fn service(tb: (&Bind, u16), name: &str, standby: &str, failback: &str) -> String {
    let extra = format!("{HEALTH}\nfailback = {{ mode = \"{failback}\", stable_for = \"1s\" }}");
    let regions = ("eu-west-1", "us-east-1");
    let text = provider_and_service(tb.0, &tb.0.secret_file(), tb.1, TTL, &extra, regions);
    if name == "checkout" {
        return text;
    }
    let svc = text.find("[[services]]").map_or("", |i| &text[i..]);
    svc.replace("checkout", name)
        .replace("[\"127.0.0.3\"]", &format!("[\"{standby}\"]"))
}

/// `checkout` movable (auto failback), `api` already on its standby
/// (manual failback), `web` whose standby (127.0.0.4) answers nothing.
fn testbed() -> Testbed {
    testbed_of(
        &[
            "api 2 IN A 127.0.0.3",
            "checkout 2 IN A 127.0.0.2",
            "web 2 IN A 127.0.0.2",
        ],
        &[
            ("checkout", "", "auto"),
            ("api", "127.0.0.3", "manual"),
            ("web", "127.0.0.4", "manual"),
        ],
    )
}

/// BIND with `records`, the two regions, and `services` (name, standby,
/// failback mode; `checkout` first) in the group `eu-frontends`, one move at a time.
fn testbed_of(records: &[&str], services: &[(&str, &str, &str)]) -> Testbed {
    let mut names: Vec<&str> = services.iter().map(|s| s.0).collect();
    names.sort_unstable();
    let names: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    Testbed::serving(records, |bind, port, state| {
        let blocks: Vec<String> = services
            .iter()
            .map(|(name, standby, failback)| service((bind, port), name, standby, failback))
            .collect();
        format!(
            "[controller]\nid = \"test\"\nstate_dir = \"{state}\"\ncontrol_socket = \"{state}/control.sock\"\n\n{blocks}\n[[groups]]\nname = \"eu-frontends\"\nservices = [{names}]\nmax_parallel = 1\n",
            state = state.display(),
            blocks = blocks.join("\n"),
            names = names.join(", "),
        )
    })
}

fn served(tb: &Testbed, name: &str) -> Vec<String> {
    tb.bind
        .query(&format!("{name}.example.test."), RecordType::A)
        .values
}

/// Every service's status line, by name.
fn statuses(tb: &Testbed) -> Vec<Value> {
    let out = run(&["status", "--json", "--config", tb.config_str()]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn status(tb: &Testbed, name: &str) -> Value {
    statuses(tb)
        .into_iter()
        .find(|s| s["service"] == name)
        .unwrap_or_default()
}

/// Every service started, its health known: primaries up, checkout's standby down.
fn settled(tb: &Testbed) -> bool {
    let health = |s: &str, p: &str| {
        status(tb, s)["controller"]["pools"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["name"] == p)
            .map(|x| x["health"].clone())
    };
    ["api", "checkout"].iter().all(|s| {
        health(s, "primary") == Some("up".into()) && health(s, "standby") == Some("up".into())
    }) && health("web", "standby") == Some("down".into())
        && health("web", "primary") == Some("up".into())
}

fn evacuate(tb: &Testbed, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "evacuate",
        "--region",
        "eu-west-1",
        "--config",
        tb.config_str(),
    ];
    args.extend(extra);
    run(&args)
}

/// The evacuation's id, from the first line of `evacuate`'s answer.
fn started_id(text: &str) -> String {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("evacuation "))
        .and_then(|l| l.strip_suffix(" started"))
        .expect("the first line names the evacuation")
        .to_owned()
}

/// The report of evacuation `id` once stored, with a row per service.
fn report(tb: &Testbed, d: &Daemon, id: &str) -> String {
    wait_for(
        Duration::from_secs(30),
        || {
            run(&["report", "--list", "--config", tb.config_str()])
                .text()
                .contains(id)
        },
        || d.log_text(),
    );
    let report = run(&["report", id, "--config", tb.config_str()]).text();
    for row in ["api ", "checkout ", "web "] {
        assert!(report.contains(row), "{report}");
    }
    report
}

#[test]
fn evacuating_a_region_moves_the_movable_refuses_the_unhealthy_and_end_brings_them_home() {
    let tb = testbed();
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(30), || settled(&tb), || d.log_text());

    // The dry run prints the plan and changes nothing.
    let dry = evacuate(&tb, &["--group", "eu-frontends", "--dry-run"]);
    let text = String::from_utf8_lossy(&dry.stdout).into_owned();
    insta::assert_snapshot!("evacuation_dry_run", text);
    assert_eq!(dry.status.code(), Some(1), "web is refused: {}", dry.text());
    assert_eq!(served(&tb, "checkout"), ["127.0.0.2"]);
    assert!(status(&tb, "checkout")["controller"]["evacuation"].is_null());

    // The real one: checkout moves, web is refused by name, api stays.
    let out = evacuate(
        &tb,
        &[
            "--group",
            "eu-frontends",
            "--for",
            "2h",
            "--reason",
            "bad deploy",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let id = started_id(&text);
    insta::assert_snapshot!("evacuation_started", text.replace(&id, "ID"));
    assert_eq!(out.status.code(), Some(1), "{}", out.text());
    assert!(
        out.text().contains(
            "web       refused: region eu-west-1 is its last healthy region (standby is down)"
        ),
        "{}",
        out.text()
    );
    wait_for(
        Duration::from_secs(20),
        || served(&tb, "checkout") == ["127.0.0.3"],
        || d.log_text(),
    );
    assert_eq!(
        served(&tb, "web"),
        ["127.0.0.2"],
        "the refused one is untouched"
    );
    assert_eq!(served(&tb, "api"), ["127.0.0.3"], "the one elsewhere stays");
    let checkout = status(&tb, "checkout");
    assert_eq!(
        checkout["controller"]["evacuation"]["region"], "eu-west-1",
        "{checkout}"
    );
    assert!(
        checkout["controller"]["evacuation"]["until"].is_string(),
        "{checkout}"
    );
    assert!(status(&tb, "web")["controller"]["evacuation"].is_null());
    let text = run(&["status", "--config", tb.config_str()]).text();
    assert!(
        text.contains("EVACUATING region eu-west-1 (") && text.contains(": bad deploy"),
        "{text}"
    );

    // The report: one, with a row per service.
    let report = report(&tb, &d, &id);
    assert!(
        report.contains("moved after") && report.contains("refused") && report.contains("stayed"),
        "{report}"
    );

    // The journal says it in words, per service.
    let history = run(&["history", "--config", tb.config_str()]).text();
    assert!(history.contains("evacuating region eu-west-1"), "{history}");
    assert!(history.contains("last healthy region"), "{history}");

    // Nothing returns into the region while it is evacuated (checkout fails back automatically otherwise).
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(served(&tb, "checkout"), ["127.0.0.3"]);

    // --end: checkout (auto) comes home after stable_for; api (manual) stays until failback.
    let out = evacuate(&tb, &["--end"]);
    assert!(out.status.success(), "{}", out.text());
    assert!(
        out.text().contains("ended for: api, checkout")
            || out.text().contains("ended for: checkout, api"),
        "{}",
        out.text()
    );
    wait_for(
        Duration::from_secs(30),
        || served(&tb, "checkout") == ["127.0.0.2"],
        || d.log_text(),
    );
    assert_eq!(
        served(&tb, "api"),
        ["127.0.0.3"],
        "manual failback stays manual"
    );
    let out = run(&["failback", "api", "--now", "--config", tb.config_str()]);
    assert!(out.status.success(), "{}", out.text());
    wait_for(
        Duration::from_secs(20),
        || served(&tb, "api") == ["127.0.0.2"],
        || d.log_text(),
    );
    assert!(status(&tb, "checkout")["controller"]["evacuation"].is_null());
    d.stop();
}

/// Three movable services, one move at a time: the daemon is killed (-9)
/// after the first move landed and before the second wave went out. The
/// restarted daemon takes the waves not sent from the journal, moves the
/// other two, and writes one report with a row per service.
#[test]
fn an_evacuation_killed_between_waves_goes_on_after_the_restart() {
    let tb = testbed_of(
        &[
            "api 2 IN A 127.0.0.2",
            "checkout 2 IN A 127.0.0.2",
            "web 2 IN A 127.0.0.2",
        ],
        &[
            ("checkout", "", "manual"),
            ("api", "127.0.0.3", "manual"),
            ("web", "127.0.0.3", "manual"),
        ],
    );
    let hold = [("RTOGUARD_TEST_EVACUATION_HOLD_AFTER_WAVE", "1")];
    let d = Daemon::start(&tb, &hold);
    let all_up = || {
        ["api", "checkout", "web"].iter().all(|s| {
            status(&tb, s)["controller"]["pools"]
                .as_array()
                .is_some_and(|p| p.len() == 2 && p.iter().all(|x| x["health"] == "up"))
        })
    };
    wait_for(Duration::from_secs(30), all_up, || d.log_text());
    let out = evacuate(&tb, &["--group", "eu-frontends"]);
    assert!(out.status.success(), "{}", out.text());
    let id = started_id(&out.text());
    wait_for(
        Duration::from_secs(30),
        || {
            d.log_text()
                .contains("Test hook: holding the evacuation after wave 1")
        },
        || d.log_text(),
    );
    let moved: Vec<&str> = ["api", "checkout", "web"]
        .into_iter()
        .filter(|s| served(&tb, s) == ["127.0.0.3"])
        .collect();
    assert_eq!(moved.len(), 1, "one wave of one landed: {moved:?}");
    d.signal("KILL");
    drop(d);

    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(60),
        || {
            ["api", "checkout", "web"]
                .iter()
                .all(|s| served(&tb, s) == ["127.0.0.3"])
        },
        || d.log_text(),
    );
    let report = report(&tb, &d, &id);
    assert_eq!(report.matches("moved after").count(), 3, "{report}");
    for s in ["api", "checkout", "web"] {
        assert_eq!(
            status(&tb, s)["controller"]["evacuation"]["id"],
            id.as_str(),
            "{s} keeps away from the region"
        );
    }
    let history = run(&["history", "--config", tb.config_str()]).text();
    assert!(history.contains("resumed"), "{history}");
    d.stop();
}
