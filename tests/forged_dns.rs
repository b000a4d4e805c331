//! `rtoguard watch` against a hostile DNS server: forged "converged" answers never make it exit 0; the truth behind TC does.

mod common;

use std::net::Ipv4Addr;

use common::{OutputText, run};
use rtoguard_testkit::forger::{Forger, Forgery, Script};
use rtoguard_testkit::net::lo;

const NEW: &str = "127.0.0.3";

fn forger(forgeries: Vec<Forgery>, truth: Option<Ipv4Addr>) -> Forger {
    Forger::start(
        lo(1),
        Script {
            forgeries,
            claim: Ipv4Addr::new(127, 0, 0, 3),
            truth,
        },
    )
}

/// Watch at `server` as the authoritative, and as a resolver too when
/// `resolver` (without an authoritative the watch would look for NS records).
fn watch(resolver: bool, server: &Forger, timeout: &str) -> std::process::Output {
    let addr = server.addr.to_string();
    let mut args = vec![
        "watch",
        "checkout.example.test.",
        "--expect",
        NEW,
        "--authoritative",
        &addr,
        "--timeout",
        timeout,
        "--json",
    ];
    if resolver {
        args.extend(["--resolver", &addr]);
    }
    run(&args)
}

#[test]
fn forged_converged_answers_do_not_make_watch_succeed() {
    for resolver in [false, true] {
        for forgery in Forgery::HOSTILE {
            let f = forger(vec![forgery], None);
            let out = watch(resolver, &f, "2s");
            assert!(
                f.queries() > 0,
                "resolver {resolver}, {forgery:?}: never asked"
            );
            assert_eq!(
                out.status.code(),
                Some(1),
                "resolver {resolver}, {forgery:?} was believed:\n{}",
                out.text()
            );
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            assert_ne!(
                v["end"], "converged",
                "resolver {resolver}, {forgery:?}: {v}"
            );
        }
    }
}

#[test]
fn watch_converges_over_tcp_when_the_truth_is_behind_tc() {
    let mut hostile = Forgery::HOSTILE.to_vec();
    hostile.push(Forgery::Truncated);
    for forgeries in [vec![Forgery::Truncated], hostile] {
        for resolver in [false, true] {
            let f = forger(forgeries.clone(), "127.0.0.3".parse().ok());
            let out = watch(resolver, &f, "5s");
            assert!(
                out.status.success(),
                "resolver {resolver}, {forgeries:?}:\n{}",
                out.text()
            );
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            assert_eq!(v["end"], "converged", "{v}");
        }
    }
}
