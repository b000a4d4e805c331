//! Shared risk against BIND 9 through the daemon: `checkout` and `cart` in
//! one group; checkout's primary dies, checkout fails over, and cart's TTL
//! is lowered (status says why) without cart moving; one normal TTL after
//! checkout's incident ends, cart's normal TTL returns.

// Integration tests wait for a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::daemon::{Daemon, wait_for};
use common::{OutputText, Testbed, provider_and_service, run};
use hickory_proto::rr::RecordType;
use rtoguard_testkit::net::lo;
use rtoguard_testkit::region::Region;
use serde_json::Value;

const EXTRA: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 3, flip_window = \"1h\" }";
const TTL: &str = "ttl = { normal = \"4s\", lowered = \"1s\", restore_after = \"1s\" }";

/// checkout on 127.0.0.2 (standby .3), cart on 127.0.0.4 (standby .3),
/// both in the group `shop`; the returned region is cart's primary.
fn testbed() -> (Testbed, Region) {
    let records = ["checkout 4 IN A 127.0.0.2", "cart 4 IN A 127.0.0.4"];
    let mut port = 0;
    let tb = Testbed::serving(&records, |bind, p, state| {
        port = p;
        let regions = ("eu-west-1", "us-east-1");
        let checkout = provider_and_service(bind, &bind.secret_file(), p, TTL, EXTRA, regions);
        let svc = checkout.find("[[services]]").map_or("", |i| &checkout[i..]);
        let cart = svc
            .replace("checkout", "cart")
            .replace("[\"127.0.0.2\"]", "[\"127.0.0.4\"]");
        format!(
            "[controller]\nid = \"test\"\nstate_dir = \"{state}\"\ncontrol_socket = \"{state}/control.sock\"\n\n{checkout}\n{cart}\n[[groups]]\nname = \"shop\"\nservices = [\"checkout\", \"cart\"]\n",
            state = state.display(),
        )
    });
    let cart = Region::start_at(SocketAddr::new(lo(4), port), "cart-primary");
    (tb, cart)
}

fn served(tb: &Testbed, name: &str) -> (Vec<String>, u32) {
    let a = tb
        .bind
        .query(&format!("{name}.example.test."), RecordType::A);
    (a.values, a.ttl)
}

fn status(tb: &Testbed, name: &str) -> Value {
    let out = run(&["status", "--json", "--config", tb.config_str()]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|s| s["service"] == name)
        .unwrap_or_default()
}

fn all_up(tb: &Testbed, name: &str) -> bool {
    status(tb, name)["controller"]["pools"]
        .as_array()
        .is_some_and(|p| p.len() == 2 && p.iter().all(|x| x["health"] == "up"))
}

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

#[test]
fn an_outage_in_one_service_lowers_the_ttl_of_its_group_without_moving_it() {
    let (mut tb, _cart) = testbed();
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(20),
        || all_up(&tb, "checkout") && all_up(&tb, "cart"),
        || d.log_text(),
    );
    assert_eq!(served(&tb, "cart"), (vec!["127.0.0.4".to_owned()], 4));

    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || served(&tb, "checkout").0 == ["127.0.0.3"],
        || d.log_text(),
    );
    wait_for(
        Duration::from_secs(10),
        || served(&tb, "cart").1 == 1,
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    assert_eq!(served(&tb, "cart").0, ["127.0.0.4"], "cart did not move");
    let text = run(&["status", "--config", tb.config_str()]).text();
    assert!(
        text.contains("RISK: shared with checkout's incident"),
        "{text}"
    );
    let cart = status(&tb, "cart");
    assert_eq!(
        cart["controller"]["risk"]["shared_with"], "checkout",
        "{cart}"
    );
    assert!(
        history(&tb).contains("risk window open: TTL kept at 1s, shared with checkout's incident"),
        "{}",
        history(&tb)
    );

    // checkout's incident ends once its standby serves and the watch is
    // over; one normal TTL later cart's normal TTL returns, cart unmoved.
    wait_for(
        Duration::from_secs(40),
        || served(&tb, "cart").1 == 4,
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    assert_eq!(served(&tb, "cart").0, ["127.0.0.4"]);
    let h = history(&tb);
    assert!(
        h.contains("checkout's incident is over: TTL kept low until"),
        "{h}"
    );
    d.stop();
}
