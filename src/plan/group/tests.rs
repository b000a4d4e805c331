//! Record groups: classifying, planning and resuming a group change. Pure.

use proptest::prelude::*;
use rtoguard_provider_api::{Capabilities, CasMode, RecordSet, RecordType};

use super::*;
use crate::config::Service;
use crate::plan::{Active, Request, Step, build, classify, desired_for};

const NAME: &str = "checkout.example.test.";

fn dual() -> Service {
    crate::test_support::dual_stack()
}

fn plain() -> Capabilities {
    Capabilities {
        weighted: false,
        ttl_floor: 1,
        cas: CasMode::Native,
        served_here: false,
    }
}

/// The plan from primary (at TTL 300) to standby.
fn to_standby(svc: &Service, planned: bool) -> crate::plan::Plan {
    let req = Request {
        service: svc,
        to: "standby",
        planned,
    };
    build(req, &plain(), &serving(svc, "primary", 300)).expect("a plan")
}

/// What `pool` serves for every record at `ttl`.
fn serving(svc: &Service, pool: &str, ttl: u32) -> Vec<RecordSet> {
    let p = svc.pool(pool).expect("a pool of the service");
    desired_for(svc, &plain(), &[], p, ttl)
}

/// Every record of `a`, except `m`'s, which comes from `b`.
fn with(svc: &Service, a: &[RecordSet], b: &[RecordSet], m: usize) -> Vec<RecordSet> {
    let (name, rtype) = (&svc.records[m].name, svc.records[m].rtype);
    let mut out: Vec<RecordSet> = a
        .iter()
        .filter(|s| !(s.name == *name && s.rtype == rtype))
        .cloned()
        .collect();
    out.extend(sets_of(&svc.records[m], b));
    out
}

#[test]
fn a_group_serves_a_pool_only_when_every_record_does() {
    let svc = dual();
    let (p, s) = (serving(&svc, "primary", 300), serving(&svc, "standby", 300));
    assert_eq!(classify(&svc, &p), Active::Pool("primary".into()));
    assert_eq!(classify(&svc, &s), Active::Pool("standby".into()));
    // Stopped half-way: the A record moved, the others did not.
    let half = with(&svc, &p, &s, 0);
    assert_eq!(
        classify(&svc, &half),
        Active::Mixed(vec!["standby".into(), "primary".into()])
    );
    assert_eq!(classify(&svc, &[]), Active::Empty);
}

#[test]
fn a_flip_changes_every_record_in_one_step() {
    let svc = dual();
    let plan = to_standby(&svc, false);
    let Some(Step::Flip { change }) = plan.steps.first() else {
        panic!("the first step is the flip: {plan}");
    };
    let records: Vec<String> = change
        .changes()
        .iter()
        .map(|c| format!("{} {}", c.name(), c.rtype()))
        .collect();
    assert_eq!(
        records,
        [
            "checkout.example.test. A",
            "checkout.example.test. AAAA",
            "www.example.test. CNAME"
        ]
    );
    assert_eq!(
        classify(&svc, &change.desired()),
        Active::Pool("standby".into())
    );
    let text = plan.to_string();
    assert!(text.contains("www.example.test. CNAME"), "{text}");
}

#[test]
fn a_planned_move_lowers_and_restores_the_ttl_of_every_record() {
    let svc = dual();
    let plan = to_standby(&svc, true);
    for step in &plan.steps {
        if let Step::SetTtl { change, .. } = step {
            assert_eq!(change.changes().len(), 3, "{plan}");
        }
    }
}

#[test]
fn a_group_change_stopped_half_way_resumes_with_the_records_left() {
    let svc = dual();
    let (p, s) = (serving(&svc, "primary", 30), serving(&svc, "standby", 30));
    let half = with(&svc, &p, &s, 0);
    let target = svc.pool("standby").expect("standby");
    let desired = desired_for(&svc, &plain(), &half, target, 30);
    let set = changes(&svc, &half, &desired).expect("the records left");
    let left: Vec<RecordType> = set.changes().iter().map(|c| c.rtype()).collect();
    assert_eq!(left, [RecordType::AAAA, RecordType::CNAME]);
    // Its compare-and-set state: every record on the old pool or the new.
    assert!(crate::engine::from_or_to(&svc, &half, "primary", "standby"));
    let stranger = with(&svc, &p, &serving(&svc, "standby", 30), 2);
    let mut foreign = stranger.clone();
    foreign.retain(|s| s.rtype != RecordType::A);
    foreign.push(RecordSet::new(NAME, RecordType::A, 30, ["192.0.2.99"]));
    assert!(!crate::engine::from_or_to(
        &svc, &foreign, "primary", "standby"
    ));
    // Nothing left to change is refused, not sent.
    assert!(changes(&svc, &desired, &desired).is_err());
}

fn sets() -> impl Strategy<Value = Vec<RecordSet>> {
    let value = prop_oneof![
        Just(None),
        Just(Some("primary")),
        Just(Some("standby")),
        Just(Some("stranger"))
    ];
    (prop::collection::vec(value, 3), 1u32..600).prop_map(|(each, ttl)| {
        let svc = dual();
        let mut out = Vec::new();
        for (m, v) in svc.records.iter().zip(each) {
            let values: Vec<String> = match v {
                None => continue,
                Some("stranger") => match m.rtype {
                    RecordType::A => vec!["192.0.2.99".into()],
                    RecordType::AAAA => vec!["2001:db8::99".into()],
                    RecordType::CNAME => vec!["elsewhere.example.net.".into()],
                },
                Some(pool) => svc.pool(pool).expect("a pool").values_for(m.rtype).to_vec(),
            };
            out.push(RecordSet::new(&m.name, m.rtype, ttl, values));
        }
        out
    })
}

proptest! {
    /// Whatever each record serves, a flip or a TTL change of the group
    /// never publishes a record empty: every change it holds leaves its
    /// record at least one value.
    #[test]
    fn no_record_is_ever_published_empty(
        current in sets(),
        to in prop_oneof![Just("primary"), Just("standby")],
        planned in any::<bool>(),
    ) {
        let svc = dual();
        let req = Request { service: &svc, to, planned };
        if let Ok(plan) = build(req, &plain(), &current) {
            for step in &plan.steps {
                let set = match step {
                    Step::Flip { change } | Step::SetTtl { change, .. } => change,
                    _ => continue,
                };
                for c in set.changes() {
                    prop_assert!(!c.desired().is_empty());
                    prop_assert!(c.desired().iter().all(|s| !s.values.is_empty()));
                }
            }
            // After the flip, every record serves the target.
            if let Some(Step::Flip { change }) = plan.steps.iter().find(|s| matches!(s, Step::Flip { .. })) {
                let mut after = current.clone();
                after.retain(|s| !change.changes().iter().any(|c| c.name() == s.name && c.rtype() == s.rtype));
                after.extend(change.desired());
                prop_assert_eq!(classify(&svc, &after), Active::Pool(to.to_string()));
            }
        }
    }
}
