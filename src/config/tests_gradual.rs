//! Tests of `failback.steps` and `failback.step_hold`: a gradual failback on providers with weights, each mistake named by line and field.

use std::path::Path;
use std::time::Duration;

use super::tests_validation::{BASE, issues, line_of};
use super::{FailbackMode, parse};

/// BASE with the service's failback set to `failback`, on `provider`
/// (`bind`, RFC 2136, or `aws`, Route 53).
fn with_failback(failback: &str, provider: &str) -> String {
    let text = BASE.replacen(
        "ttl = { normal = \"300s\", lowered = \"30s\" }\n",
        &format!("ttl = {{ normal = \"300s\", lowered = \"30s\" }}\nfailback = {failback}\n"),
        1,
    );
    let text = text.replacen(
        "provider = \"bind\"",
        &format!("provider = \"{provider}\""),
        1,
    );
    format!("{text}\n[providers.aws]\ntype = \"route53\"\nregion = \"us-east-1\"\n")
}

/// The issues naming the failback, as "line: field: message".
fn failback_issues(text: &str) -> Vec<String> {
    issues(text)
        .into_iter()
        .filter(|i| i.field.contains("failback"))
        .map(|i| format!("{}: {}: {}", i.line.unwrap_or(0), i.field, i.message))
        .collect()
}

#[test]
#[cfg_attr(not(feature = "route53"), ignore = "needs the route53 feature")]
fn steps_on_a_provider_with_weights_are_taken() {
    let text = with_failback(
        "{ mode = \"auto\", steps = [10, 50, 100], step_hold = \"30s\" }",
        "aws",
    );
    let cfg = parse(Path::new("config.toml"), &text).expect("valid");
    let f = &cfg.services[0].failback;
    assert_eq!(f.mode, FailbackMode::Auto);
    assert_eq!(f.steps, [10, 50, 100]);
    assert_eq!(f.step_hold, Duration::from_secs(30));
    let one = with_failback("{ mode = \"manual\", steps = [100] }", "aws");
    let cfg = parse(Path::new("config.toml"), &one).expect("valid");
    assert_eq!(cfg.services[0].failback.steps, [100]);
    assert_eq!(cfg.services[0].failback.step_hold, Duration::from_secs(120));
}

#[test]
fn steps_on_a_provider_without_weights_are_refused_with_line_and_field() {
    let text = with_failback("{ mode = \"manual\", steps = [10, 50, 100] }", "bind");
    let line = line_of(&text, "failback =", 0);
    assert_eq!(
        failback_issues(&text),
        [format!(
            "{line}: services[checkout].failback.steps: a gradual failback moves weight step by \
             step, and provider bind (rfc2136) has no weights; remove steps (one flip) or use a \
             provider with weights (route53)"
        )]
    );
}

#[test]
fn bad_steps_are_refused_with_line_and_field() {
    let cases = [
        (
            "[10, 50]",
            "[10, 50] must end at 100: the last step completes the failback",
        ),
        ("[50, 10, 100]", "[50, 10, 100] must be strictly increasing"),
        ("[10, 10, 100]", "[10, 10, 100] must be strictly increasing"),
        (
            "[0, 100]",
            "0 is not a percentage of weight from 1 to 100 ([0, 100];",
        ),
        (
            "[10, 150]",
            "150 is not a percentage of weight from 1 to 100",
        ),
        ("[]", "[] must end at 100"),
    ];
    for (steps, want) in cases {
        let text = with_failback(&format!("{{ mode = \"auto\", steps = {steps} }}"), "aws");
        let line = line_of(&text, "failback =", 0);
        let got = failback_issues(&text);
        assert_eq!(got.len(), 1, "{steps}: {got:?}");
        let head = format!("{line}: services[checkout].failback.steps: {want}");
        assert!(got[0].starts_with(&head), "{steps}: {got:?}");
    }
}

#[test]
fn a_step_hold_without_steps_is_refused() {
    let text = with_failback("{ mode = \"auto\", step_hold = \"1m\" }", "aws");
    let line = line_of(&text, "failback =", 0);
    let got = failback_issues(&text);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with(&format!(
            "{line}: services[checkout].failback.step_hold: step_hold is the hold of each step"
        )),
        "{got:?}"
    );
}
