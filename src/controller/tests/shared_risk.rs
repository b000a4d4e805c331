//! Unit tests of shared risk: another service's incident opens a risk
//! window here (by group or region), which ends one normal TTL after that
//! incident; the source tells its news; a restart keeps a shared window
//! for one hold unless the source says again that its incident is open.

use super::*;
use crate::controller::{RiskNews, SharedRisk};

fn policy(rule: SharedRisk) -> Policy {
    let mut p = Policy::with_defaults(pools());
    p.regions = vec!["eu".into(), "us".into(), "ap".into()];
    p.local.service = "cart".into();
    p.shared_risk = rule;
    p
}

fn group() -> SharedRisk {
    SharedRisk::Group {
        services: ["checkout".to_owned()].into(),
    }
}

fn news(service: &str, region: &str, open: bool) -> Event {
    Event::RiskNews(RiskNews {
        service: service.into(),
        region: Some(region.into()),
        open,
    })
}

fn told(out: &[Action]) -> Vec<RiskNews> {
    out.iter()
        .filter_map(|a| match a {
            Action::ShareRisk(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn an_incident_in_the_group_lowers_the_ttl_until_one_normal_ttl_after_it_ends() {
    let mut h = Harness::new(policy(group()));
    let out = h.ev(10, news("checkout", "eu", true));
    assert!(journaled(&out, EntryKind::RiskOpened));
    assert_eq!(ttls(&out), vec![30], "lowered at once");
    assert!(flips(&out).is_empty(), "nothing moves");
    let w = h.c.status().risk.expect("a shared window");
    assert_eq!(
        (w.by.as_str(), w.reason.as_str(), w.shared_with.as_deref()),
        (
            "incident:checkout",
            "shared with checkout's incident",
            Some("checkout")
        )
    );
    h.ev(11, Event::TtlApplied { ttl: 30 });
    // Long into the incident the TTL stays low.
    assert!(ttls(&h.ev(5000, Event::Tick)).is_empty());
    let out = h.ev(6000, news("checkout", "eu", false));
    let Some(Change::RiskOpened { window }) = changes(&out).pop() else {
        panic!("the hold is journaled: {out:?}");
    };
    assert_eq!(
        window.until,
        wall(6300),
        "one normal TTL after the incident"
    );
    assert_eq!(h.c.next_deadline(), Some(h.at(6300)));
    let out = h.ev(6300, Event::Tick);
    assert_eq!(changes(&out), vec![Change::RiskEnded { by: None }]);
    assert_eq!(ttls(&out), vec![300], "the normal TTL returns");
}

#[test]
fn a_service_outside_the_group_or_none_changes_nothing() {
    let mut h = Harness::new(policy(group()));
    assert!(h.ev(10, news("search", "eu", true)).is_empty());
    let mut h = Harness::new(policy(SharedRisk::None));
    assert!(h.ev(10, news("checkout", "eu", true)).is_empty());
    assert_eq!(h.c.status().risk, None);
}

#[test]
fn by_region_only_a_service_served_from_that_region_shares_it() {
    let mut h = Harness::new(policy(SharedRisk::Region));
    assert!(h.ev(10, news("search", "us", true)).is_empty());
    let out = h.ev(11, news("search", "eu", true));
    assert!(journaled(&out, EntryKind::RiskOpened), "primary is in eu");
}

#[test]
fn a_window_already_open_is_kept_and_not_ended_by_the_incident() {
    let mut h = Harness::new(policy(group()));
    let risk = Command::Risk {
        by: "user:alice".into(),
        reason: "deploy".into(),
        until: wall(1800),
    };
    h.cmd(5, risk);
    assert!(changes(&h.ev(10, news("checkout", "eu", true))).is_empty());
    assert!(changes(&h.ev(20, news("checkout", "eu", false))).is_empty());
    assert_eq!(h.c.status().risk.map(|w| w.until), Some(wall(1800)));
}

#[test]
fn the_source_tells_when_its_outage_opens_and_its_incident_closes() {
    let mut h = Harness::new(policy(group()));
    let out = h.health(10, "primary", PoolHealth::Suspect);
    assert_eq!(
        told(&out),
        vec![RiskNews {
            service: "cart".into(),
            region: Some("eu".into()),
            open: true
        }]
    );
    h.ev(11, Event::TtlApplied { ttl: 30 });
    let out = h.health(20, "primary", PoolHealth::Up);
    assert_eq!(
        told(&out).iter().map(|n| n.open).collect::<Vec<_>>(),
        [false]
    );
}

#[test]
fn at_start_up_a_service_says_whether_its_outage_is_open() {
    let mut h = Harness::bare(policy(group()));
    let out = h.ev(0, started(Some("primary"), 300, None));
    assert_eq!(
        told(&out).iter().map(|n| n.open).collect::<Vec<_>>(),
        [false]
    );
    let mut h = Harness::bare(policy(SharedRisk::None));
    assert!(told(&h.ev(0, started(Some("primary"), 300, None))).is_empty());
    // In no group: nobody to tell.
    let alone = SharedRisk::Group {
        services: Default::default(),
    };
    let mut h = Harness::bare(policy(alone));
    assert!(told(&h.ev(0, started(Some("primary"), 300, None))).is_empty());
}

#[test]
fn after_a_restart_a_shared_window_holds_one_ttl_unless_said_again() {
    let mut h = Harness::new(policy(group()));
    let out = h.ev(10, news("checkout", "eu", true));
    let journal = changes(&out);
    let restart = |h: &Harness| {
        let mut r = Harness {
            c: Controller::new(h.c.policy().clone()),
            t0: h.t0,
        };
        r.ev(
            100,
            Event::Started {
                active: Some("primary".into()),
                ttl: 30,
                intent: None,
                wall: wall(100),
                restored: Box::new(Durable::replay(journal.clone())),
            },
        );
        r
    };
    let mut r = restart(&h);
    assert_eq!(r.c.status().risk.map(|w| w.until), Some(wall(400)));
    let out = r.ev(101, news("checkout", "eu", true));
    assert!(journaled(&out, EntryKind::RiskOpened));
    assert!(r.c.status().risk.is_some_and(|w| w.until > wall(100_000)));
    let mut r = restart(&h);
    let out = r.ev(400, Event::Tick);
    assert_eq!(changes(&out), vec![Change::RiskEnded { by: None }]);
}
