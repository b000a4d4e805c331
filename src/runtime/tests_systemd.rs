//! The shipped unit agrees with the daemon: systemd waits longer for a stop
//! than the daemon's bounded drain, so a stop is never cut short by SIGKILL.

use std::path::Path;
use std::time::Duration;

use crate::config::{self, DEFAULT_STOP_TIMEOUT};

fn unit_setting(key: &str) -> Duration {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/rtoguard.service");
    let unit = std::fs::read_to_string(path).expect("the unit is in the repository");
    let value = unit
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("the unit sets no {key}"));
    humantime::parse_duration(value.trim()).expect("a systemd time span humantime reads")
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "the example config names every provider"
)]
fn the_units_stop_timeout_exceeds_the_daemons_drain() {
    let systemd = unit_setting("TimeoutStopSec");
    assert!(
        systemd > DEFAULT_STOP_TIMEOUT,
        "TimeoutStopSec={systemd:?} does not exceed the default stop_timeout {DEFAULT_STOP_TIMEOUT:?}"
    );
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml.example"))
        .expect("the example config is in the repository");
    let example =
        config::parse(Path::new("config.toml.example"), &text).expect("the example parses");
    assert!(systemd > example.controller.stop_timeout);
}

#[test]
fn a_config_without_stop_timeout_gets_the_default() {
    let text = "[controller]\nid = \"a\"\n";
    let cfg = config::parse(Path::new("t.toml"), text).expect("a minimal config parses");
    assert_eq!(cfg.controller.stop_timeout, DEFAULT_STOP_TIMEOUT);
    let bad = config::parse(
        Path::new("t.toml"),
        "[controller]\nid = \"a\"\nstop_timeout = \"0s\"\n",
    );
    assert!(bad.is_err_and(|e| e.to_string().contains("controller.stop_timeout")));
}
