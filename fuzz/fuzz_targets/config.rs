//! The config parser on arbitrary bytes: never a panic, and every rejection
//! names a field (and a line, unless it is about the whole file).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = rtoguard::config::parse_bytes(Path::new("fuzz.toml"), data) {
        assert!(!e.issues.is_empty());
        for issue in &e.issues {
            assert!(!issue.field.is_empty());
            assert!(issue.line.is_some() || issue.field.starts_with('('), "{issue}");
        }
    }
});
