//! `health.fast_interval`: how often an endpoint in doubt is probed again.

use std::ops::Range;
use std::time::Duration;

use super::locate::Issues;
use super::raw::RawHealth;
use super::types::Health;
use super::values::show;

/// The shortest fast interval: faster is a load test, not a confirmation.
pub const MIN_FAST_INTERVAL: Duration = Duration::from_millis(50);

/// The fast interval when none is written (raised to the probe timeout).
pub const DEFAULT_FAST_INTERVAL: Duration = Duration::from_millis(200);

/// Check `health.fast_interval`: at least 50 ms, at most the interval, and
/// not below the probe timeout (a written value below it is refused, so the
/// value written is the spacing probes get; the default is raised to it).
/// `timeout` is the probe's, when it parsed.
pub(super) fn check(
    issues: &mut Issues<'_>,
    health: &mut Health,
    raw: &RawHealth,
    timeout: Option<Duration>,
    field: &str,
) {
    let key = format!("{field}.health.fast_interval");
    let Some(written) = &raw.fast_interval else {
        let floor = timeout.unwrap_or(Duration::ZERO);
        health.fast_interval = DEFAULT_FAST_INTERVAL.max(floor).min(health.interval);
        return;
    };
    let at: Option<Range<usize>> = Some(written.span());
    let fast = health.fast_interval;
    let msg = if fast < MIN_FAST_INTERVAL {
        format!(
            "{} is too short: allowed are 50ms and more, up to health.interval",
            show(fast)
        )
    } else if fast > health.interval {
        format!(
            "{} is longer than health.interval {}: allowed are 50ms to the interval (equal to it turns fast confirmation off)",
            show(fast),
            show(health.interval)
        )
    } else if let Some(t) = timeout.filter(|t| *t > fast) {
        format!(
            "{} is below the probe timeout {}: a probe must end before the next starts; lower probe.timeout to at most {} or raise fast_interval",
            show(fast),
            show(t),
            show(fast)
        )
    } else {
        return;
    };
    issues.add(at, key, msg);
    health.fast_interval = health.interval;
}

/// Expected detection of a sudden failure: (from the first failed probe to
/// the `fall`-th, at most from the fault to that verdict). The first failed
/// probe comes up to one interval after the fault; each of the `fall − 1`
/// confirmations one fast interval after the previous; the last takes up to
/// the probe timeout. Saturating, so no config value can overflow it.
pub fn detection(health: &Health, timeout: Duration) -> (Duration, Duration) {
    let confirm = health
        .fast_interval
        .saturating_mul(health.fall.saturating_sub(1));
    let worst = health
        .interval
        .saturating_add(confirm)
        .saturating_add(timeout);
    (confirm, worst)
}
