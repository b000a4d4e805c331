//! `[[groups]]`: services that move together, checked against the services.

use std::path::Path;

use super::parse;
use super::tests_validation::{BASE, issues, line_of};

#[test]
fn a_group_names_its_services_in_order() {
    let text = format!("{BASE}\n[[groups]]\nname = \"eu-frontends\"\nservices = [\"checkout\"]\n");
    let config = parse(Path::new("config.toml"), &text).expect("valid");
    let group = config.group("eu-frontends").expect("the group");
    assert_eq!(group.services, ["checkout"]);
    assert!(config.group("nope").is_none());
}

#[test]
fn a_group_naming_an_unknown_service_names_the_line_and_the_service() {
    let text =
        format!("{BASE}\n[[groups]]\nname = \"g\"\nservices = [\"checkout\", \"ckeckout\"]\n");
    let found = issues(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, "groups[g].services");
    assert_eq!(found[0].line, Some(line_of(&text, "ckeckout", 0)));
    assert!(
        found[0]
            .message
            .contains("no service is named \"ckeckout\""),
        "{}",
        found[0].message
    );
}

#[test]
fn duplicate_and_empty_groups_are_refused() {
    let text = format!(
        "{BASE}\n[[groups]]\nname = \"g\"\nservices = [\"checkout\"]\n\n[[groups]]\nname = \"g\"\nservices = []\n"
    );
    let found = issues(&text);
    let fields: Vec<&str> = found.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(
        fields,
        ["groups[g].name", "groups[g].services"],
        "{found:?}"
    );
    assert!(found[0].message.contains("duplicate group name"));
    assert!(found[1].message.contains("at least one service"));
}

#[test]
fn a_service_named_twice_in_a_group_is_refused() {
    let text =
        format!("{BASE}\n[[groups]]\nname = \"g\"\nservices = [\"checkout\", \"checkout\"]\n");
    let found = issues(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("named twice"),
        "{}",
        found[0].message
    );
}

#[test]
fn an_unknown_field_in_a_group_names_its_line() {
    let text =
        format!("{BASE}\n[[groups]]\nname = \"g\"\nservices = [\"checkout\"]\nservice = \"x\"\n");
    let found = issues(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, Some(line_of(&text, "service = \"x\"", 0)));
}

#[test]
fn max_parallel_defaults_to_one_and_must_be_at_least_one() {
    let text = format!("{BASE}\n[[groups]]\nname = \"g\"\nservices = [\"checkout\"]\n");
    let config = parse(Path::new("config.toml"), &text).expect("valid");
    assert_eq!(config.group("g").expect("the group").max_parallel, 1);
    let text =
        format!("{BASE}\n[[groups]]\nname = \"g\"\nservices = [\"checkout\"]\nmax_parallel = 3\n");
    let config = parse(Path::new("config.toml"), &text).expect("valid");
    assert_eq!(config.group("g").expect("the group").max_parallel, 3);
    let text =
        format!("{BASE}\n[[groups]]\nname = \"g\"\nservices = [\"checkout\"]\nmax_parallel = 0\n");
    let found = issues(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, "groups[g].max_parallel");
    assert_eq!(found[0].line, Some(line_of(&text, "max_parallel = 0", 0)));
    assert!(
        found[0].message.contains("at least 1, found 0"),
        "{}",
        found[0].message
    );
}
