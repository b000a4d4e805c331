//! `[controller] shared_risk`: whose incidents raise a service's risk.

use std::path::Path;

use super::parse;
use super::tests_validation::{BASE, expect, with};
use crate::controller::SharedRisk;

/// BASE with a second service, `cart`, and both in the group `shop`.
fn two_in_a_group(controller_line: &str) -> String {
    let svc = BASE.find("[[services]]").map_or("", |i| &BASE[i..]);
    let base = with(
        "id = \"us-east-1\"\n",
        &format!("id = \"us-east-1\"\n{controller_line}"),
    );
    format!(
        "{base}\n{}\n[[groups]]\nname = \"shop\"\nservices = [\"checkout\", \"cart\"]\n",
        svc.replace("checkout", "cart")
    )
}

#[test]
fn by_default_the_services_of_a_group_share_their_risk() {
    let cfg = parse(Path::new("config.toml"), &two_in_a_group("")).expect("valid");
    let shared = |s: &str| cfg.service(s).expect("declared").shared_risk.clone();
    assert_eq!(
        shared("checkout"),
        SharedRisk::Group {
            services: ["cart".to_owned()].into()
        }
    );
    assert_eq!(
        shared("cart"),
        SharedRisk::Group {
            services: ["checkout".to_owned()].into()
        }
    );
    let alone = parse(Path::new("config.toml"), BASE).expect("valid");
    assert_eq!(
        alone.services[0].shared_risk,
        SharedRisk::Group {
            services: Default::default()
        }
    );
}

#[test]
fn region_and_none_are_the_other_choices() {
    let text = two_in_a_group("shared_risk = \"region\"\n");
    let cfg = parse(Path::new("config.toml"), &text).expect("valid");
    assert_eq!(cfg.services[0].shared_risk, SharedRisk::Region);
    let text = two_in_a_group("shared_risk = \"none\"\n");
    let cfg = parse(Path::new("config.toml"), &text).expect("valid");
    assert_eq!(cfg.services[1].shared_risk, SharedRisk::None);
}

#[test]
fn a_bad_value_is_named_with_its_line_and_field() {
    let text = two_in_a_group("shared_risk = \"zone\"\n");
    expect(
        &text,
        "shared_risk",
        0,
        "controller.shared_risk",
        &["\"zone\"", "group", "region", "none"],
    );
}
