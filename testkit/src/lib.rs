//! Test peers for rtoguard's tests, each started on loopback by the test that
//! needs it and stopped when dropped.
//!
//! - [`azure`]: a strict double of Azure DNS (ARM record sets) and its token issuers.
//! - [`bind`]: BIND 9 (`named`) as an authoritative server with a TSIG key.
//! - [`cloudflare`]: a local fake of the Cloudflare v4 API (no real peer exists).
//! - [`gcloud`]: a strict double of Google Cloud DNS and its token endpoint.
//! - [`pdns`]: PowerDNS Authoritative with the SQLite backend and the HTTP API.
//! - [`webhook`]: a strict double of an external-dns webhook provider.
//! - [`dns`]: a tiny direct DNS client (no cache, no system resolver).
//! - [`forger`]: a hostile DNS server that forges replies, then maybe tells the truth.
//! - [`region`]: an HTTP "region" on 127.0.0.x that can be stopped and started.
//! - [`net`]: free loopback ports and waiting for them.
//! - [`route53`]: a strict double of the Route 53 REST XML API (exact DELETEs, PENDING, throttling).
//! - [`serve`]: an axum app on 127.0.0.1 from its own thread, stopped on drop.
//! - [`relay`]: a TCP/UDP relay on a link that cuts, delays or loses its traffic on demand.

// Test peers are real processes: they are waited for on the wall clock
// (std's Instant, not tokio's pausable one) and found on PATH.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

pub mod azure;
pub mod bind;
pub mod cloudflare;
pub mod dns;
pub mod forger;
pub mod gcloud;
pub mod moto;
pub mod net;
pub mod pdns;
pub mod region;
pub mod relay;
pub mod route53;
pub mod serve;
pub mod unbound;
pub mod webhook;

/// Base64 (standard alphabet, padded), for TSIG secrets written into configs.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Polls `check` every 100 ms for up to 20 s; whether it ever held (a
/// bounded wait for a peer, e.g. a secondary serving a transferred change).
pub async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let start = tokio::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(20) {
        if check() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// A random TSIG secret (32 bytes), base64.
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64(&bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(input.as_bytes()), want);
        }
    }
}
