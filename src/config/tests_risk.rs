//! `[[risk_windows]]`: scheduled risk windows, given to the services they name.

use std::path::Path;

use super::parse;
use super::tests_validation::{BASE, issues, line_of};
use crate::controller::RiskStart;

#[test]
fn a_weekly_window_is_given_to_the_services_of_its_group() {
    let text = format!(
        "{BASE}\n[[groups]]\nname = \"eu\"\nservices = [\"checkout\"]\n\n[[risk_windows]]\nname = \"deploy\"\ngroup = \"eu\"\nevery = \"Tue 14:05\"\nduration = \"30m\"\nreason = \"weekly deploy\"\n"
    );
    let config = parse(Path::new("config.toml"), &text).expect("valid");
    let w = &config.service("checkout").expect("checkout").risk_windows;
    assert_eq!(w.len(), 1);
    assert_eq!(
        (
            w[0].name.as_str(),
            &w[0].start,
            w[0].duration.as_secs(),
            w[0].reason.as_str()
        ),
        (
            "deploy",
            &RiskStart::Every {
                day: Some(1),
                minute: 14 * 60 + 5
            },
            1800,
            "weekly deploy"
        )
    );
}

#[test]
fn a_one_off_window_takes_an_rfc3339_start() {
    let text = format!(
        "{BASE}\n[[risk_windows]]\nname = \"migration\"\nservices = [\"checkout\"]\nstart = \"2026-12-24T08:00:00Z\"\nduration = \"2h\"\nreason = \"database migration\"\n"
    );
    let config = parse(Path::new("config.toml"), &text).expect("valid");
    let w = &config.service("checkout").expect("checkout").risk_windows;
    let at = humantime::parse_rfc3339("2026-12-24T08:00:00Z").expect("time");
    assert_eq!(w[0].start, RiskStart::Once(at));
}

#[test]
fn a_bad_start_a_bad_every_and_a_missing_target_name_line_and_field() {
    let text = format!(
        "{BASE}\n[[risk_windows]]\nname = \"a\"\nservices = [\"checkout\"]\nevery = \"tuesday 2pm\"\nduration = \"30m\"\nreason = \"r\"\n\n[[risk_windows]]\nname = \"b\"\nservices = [\"checkout\"]\nstart = \"next week\"\nduration = \"8d\"\nreason = \"r\"\n\n[[risk_windows]]\nname = \"c\"\ngroup = \"nope\"\nevery = \"daily 06:00\"\nduration = \"1h\"\nreason = \"r\"\n"
    );
    let found = issues(&text);
    let fields: Vec<&str> = found.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "risk_windows[a].every",
            "risk_windows[b].start",
            "risk_windows[b].duration",
            "risk_windows[c].group"
        ],
        "{found:?}"
    );
    assert_eq!(found[0].line, Some(line_of(&text, "tuesday 2pm", 0)));
    assert_eq!(found[2].line, Some(line_of(&text, "\"8d\"", 0)));
    assert!(found[3].message.contains("no group is named \"nope\""));
}

#[test]
fn a_window_with_two_targets_or_two_starts_is_refused() {
    let text = format!(
        "{BASE}\n[[risk_windows]]\nname = \"a\"\nservices = [\"checkout\"]\nregion = \"us-east-1\"\nevery = \"mon 10:00\"\nstart = \"2026-12-24T08:00:00Z\"\nduration = \"30m\"\nreason = \"r\"\n"
    );
    let found = issues(&text);
    let messages: Vec<&str> = found.iter().map(|i| i.message.as_str()).collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(messages[0].contains("exactly one of `services`, `group` or `region`"));
    assert!(messages[1].contains("exactly one of `start`"));
    assert!(
        found
            .iter()
            .all(|i| i.field == "risk_windows[a]" && i.line.is_some())
    );
}
