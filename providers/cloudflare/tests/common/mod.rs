//! Helpers shared by the provider's tests: settings pointing at the fake, record sets, changes.

#![allow(dead_code)]

use rtoguard_cloudflare::{CloudflareProvider, CloudflareSettings};
use rtoguard_provider_api::{Change, RecordSet, RecordType};

use crate::fake::{self, Fake};

pub const TOKEN: &str = "cf-test-token-9f8e7d6c5b4a";
pub const ZONE: &str = "example.com.";
pub const WWW: &str = "www.example.com.";

pub fn settings(fake: &Fake, token: &str, rps: u32) -> CloudflareSettings {
    CloudflareSettings {
        name: "cf-test".into(),
        api_url: fake.api_url(),
        token: token.into(),
        token_source: "env CF_TOKEN".into(),
        zone_id: None,
        requests_per_second: rps,
    }
}

pub fn provider(fake: &Fake) -> CloudflareProvider {
    CloudflareProvider::new(settings(fake, TOKEN, 100)).expect("provider")
}

pub fn a(name: &str, ttl: u32, values: &[&str]) -> RecordSet {
    RecordSet::new(name, RecordType::A, ttl, values)
}

pub fn flip(from: &[&str], to: &[&str], ttl: u32) -> Change {
    Change::new(
        WWW,
        RecordType::A,
        vec![a(WWW, ttl, from)],
        vec![a(WWW, ttl, to)],
    )
    .unwrap()
}

pub fn batches(fake: &Fake) -> Vec<fake::Seen> {
    fake.requests()
        .into_iter()
        .filter(|s| s.method == "POST" && s.path.ends_with("/dns_records/batch"))
        .collect()
}
