//! A control-socket request from arbitrary method, path and body: never a
//! panic, and every refusal is a 4xx.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, &str, &[u8])| {
    let (m, path, body) = input;
    let method = ["GET", "POST", "PUT", "DELETE", "HEAD"][usize::from(m) % 5];
    if let Err(reply) = rtoguard::control::parse_request(method, path, body) {
        assert!((400..500).contains(&reply.status), "refused with {}", reply.status);
    }
});
