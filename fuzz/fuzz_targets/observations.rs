//! A peer's observation document from arbitrary bytes: never a panic, and
//! what parses survives a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(obs) = rtoguard::peers::parse_observations(data) {
        // Serialising a parsed document cannot fail: plain structs of strings and numbers.
        let again = serde_json::to_vec(&obs).unwrap();
        assert_eq!(rtoguard::peers::parse_observations(&again).ok(), Some(obs));
    }
});
