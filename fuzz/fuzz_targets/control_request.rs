//! A control-socket request from arbitrary method, path and body: never a
//! panic, every refusal is a 4xx, and every request survives the client's
//! wire form.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, &str, &[u8])| {
    let (m, path, body) = input;
    let method = ["GET", "POST", "PUT", "DELETE", "HEAD"][usize::from(m) % 5];
    match rtoguard::control::parse_request(method, path, body) {
        Err(reply) => assert!(
            (400..500).contains(&reply.status),
            "refused with {}",
            reply.status
        ),
        Ok(request) => {
            let wire = request.to_wire();
            let again = wire.body.map(|b| b.to_string()).unwrap_or_default();
            let back = rtoguard::control::parse_request(wire.method, &wire.path, again.as_bytes());
            assert_eq!(
                back,
                Ok(request),
                "the client's form of a request parses back to it"
            );
        }
    }
});
