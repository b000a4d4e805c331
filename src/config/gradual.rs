//! `failback.steps` and `failback.step_hold`: a gradual failback's weights, checked against the provider's capabilities.

use std::time::Duration;

use super::limits::Floor;
use super::locate::Issues;
use super::raw::{RawFailback, S};

/// How long each step of a gradual failback holds by default.
pub const DEFAULT_STEP_HOLD: Duration = Duration::from_secs(120);

/// The checked steps (percent of weight on the preferred pool, strictly
/// increasing, 1 to 100, ending at 100; empty: one flip) and the hold.
pub(super) fn steps(
    issues: &mut Issues<'_>,
    raw: &RawFailback,
    floor: Option<&Floor>,
    field: &str,
) -> (Vec<u8>, Duration) {
    let f = |k: &str| format!("{field}.failback.{k}");
    let hold = issues.duration(&raw.step_hold, &f("step_hold"), DEFAULT_STEP_HOLD, true);
    let Some(steps) = &raw.steps else {
        if let Some(h) = &raw.step_hold {
            let msg = "step_hold is the hold of each step of a gradual failback: set steps too, \
                       e.g. steps = [10, 50, 100]";
            issues.add(Some(h.span()), f("step_hold"), msg);
        }
        return (Vec::new(), hold);
    };
    match checked(steps.get_ref()) {
        Ok(list) => {
            if let Some(why) = floor.and_then(no_weights) {
                issues.add(Some(steps.span()), f("steps"), why);
            }
            (list, hold)
        }
        Err(why) => {
            issues.add(Some(steps.span()), f("steps"), why);
            (Vec::new(), hold)
        }
    }
}

/// Steps strictly increasing, each 1 to 100, the last 100.
fn checked(steps: &[S<i64>]) -> Result<Vec<u8>, String> {
    let values: Vec<i64> = steps.iter().map(|s| *s.get_ref()).collect();
    let shown = values
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let example = "e.g. steps = [10, 50, 100]";
    if let Some(bad) = values.iter().find(|v| !(1..=100).contains(*v)) {
        return Err(format!(
            "{bad} is not a percentage of weight from 1 to 100 ([{shown}]; {example})"
        ));
    }
    if values.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!("[{shown}] must be strictly increasing ({example})"));
    }
    if values.last() != Some(&100) {
        return Err(format!(
            "[{shown}] must end at 100: the last step completes the failback ({example})"
        ));
    }
    // Each value is within 1..=100, checked above.
    Ok(values
        .iter()
        .map(|v| u8::try_from(*v).unwrap_or(100))
        .collect())
}

/// Why `floor`'s provider cannot hold partial weights, if it cannot.
fn no_weights(floor: &Floor) -> Option<String> {
    let weighted = rtoguard_provider_api::table::row(floor.kind).is_some_and(|r| r.weighted);
    (!weighted).then(|| {
        format!(
            "a gradual failback moves weight step by step, and provider {} ({}) has no weights; \
             remove steps (one flip) or use a provider with weights (route53)",
            floor.provider, floor.kind
        )
    })
}
