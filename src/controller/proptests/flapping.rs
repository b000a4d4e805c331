//! The flapping-primary scenario: ten minutes of fake time, defaults, auto failback.

use std::time::Duration;

use proptest::prelude::*;

use super::*;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// The primary flaps (Up for at most two minutes at a time) for ten
    /// minutes with the defaults and auto failback: at most one flip away,
    /// never a flip back.
    #[test]
    fn a_flapping_primary_moves_at_most_once_and_never_back(
        spells in prop::collection::vec(
            (0..120u64, prop_oneof![Just(PoolHealth::Suspect), Just(PoolHealth::Down)], 1..60u64),
            1..200,
        ),
    ) {
        let mut policy = Policy::with_defaults(POOLS.iter().map(|s| s.to_string()).collect());
        policy.failback_mode = FailbackMode::Auto;
        let mut sim = Sim::new(policy)?;
        sim.run(Op::Health(1, PoolHealth::Up))?;
        sim.run(Op::Health(2, PoolHealth::Up))?;
        let end = sim.now + Duration::from_secs(600);
        let mut flips = Vec::new();
        let mut went_down = false;
        for (up, bad, bad_for) in spells {
            went_down |= bad == PoolHealth::Down;
            for (h, secs) in [(PoolHealth::Up, up), (bad, bad_for)] {
                sim.run(Op::Health(0, h))?;
                sim.settle(&mut flips)?;
                sim.run(Op::Advance(secs))?;
                sim.settle(&mut flips)?;
            }
            if sim.now >= end {
                break;
            }
        }
        if went_down {
            prop_assert_eq!(flips.first().map(String::as_str), Some("standby"), "a down primary moves away");
        }
        prop_assert!(flips.len() <= 1, "flipped {} times: {flips:?}", flips.len());
        prop_assert!(!flips.contains(&"primary".to_string()), "flipped back to a failing primary");
    }
}

impl Sim {
    /// Answers every outstanding call with success, noting the flips.
    fn settle(&mut self, flips: &mut Vec<String>) -> Result<(), TestCaseError> {
        while let Some(action) = &self.outstanding {
            if let Action::Flip { to, .. } = action {
                flips.push(to.clone());
            }
            self.answer(Answer::Success)?;
        }
        Ok(())
    }
}
