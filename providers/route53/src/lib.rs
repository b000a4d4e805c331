//! Amazon Route 53 provider for rtoguard: weighted pools, change-batch compare-and-set.
//!
//! - [`Route53Provider`]: the [`rtoguard_provider_api::Provider`] for Route 53
//!   (`provider`: apply and wait; `lookup`: the zone id and the listing of a name).
//! - [`api`]: the narrow seam over the four API calls used ([`Route53Api`]), and
//!   how their errors are judged.
//! - [`sdk`]: that seam over the AWS SDK (rustls with ring, SDK retries off).
//! - [`plan`]: a [`rtoguard_provider_api::Change`] as one DELETE+CREATE batch.

#![forbid(unsafe_code)]

pub mod api;
mod lookup;
pub mod plan;
mod provider;
pub mod sdk;

use std::fmt;

/// The lowest TTL this provider accepts, in seconds (its `Capabilities`).
pub const TTL_FLOOR: u32 = 1;

pub use api::Route53Api;
pub use provider::Route53Provider;

/// The request budget when none is given (Route 53 allows 5 requests a second
/// per account).
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 5;

/// How to reach Route 53.
#[derive(Clone, PartialEq, Eq)]
pub struct Route53Settings {
    /// The provider's name in the config (`aws`).
    pub name: String,
    /// The signing region; `None` asks the standard AWS region chain.
    pub region: Option<String>,
    /// Another endpoint (tests: moto on loopback); `None` is AWS itself.
    pub endpoint_url: Option<String>,
    /// The hosted zone id; `None` finds the zone by name.
    pub hosted_zone_id: Option<String>,
    /// At most this many API requests a second (0 means the default, 5).
    pub requests_per_second: u32,
    /// Static access key id and secret (tests only); `None` uses the standard
    /// AWS credential chain.
    pub credentials: Option<(String, String)>,
}

impl Route53Settings {
    /// Settings with every option at its default.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            region: None,
            endpoint_url: None,
            hosted_zone_id: None,
            requests_per_second: DEFAULT_REQUESTS_PER_SECOND,
            credentials: None,
        }
    }

    /// Where the credentials come from, for error messages (never the keys).
    pub fn credential_source(&self) -> &'static str {
        if self.credentials.is_some() {
            "static keys in the provider settings"
        } else {
            "the standard AWS credential chain"
        }
    }
}

impl fmt::Debug for Route53Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route53Settings")
            .field("name", &self.name)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("hosted_zone_id", &self.hosted_zone_id)
            .field("requests_per_second", &self.requests_per_second)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "REDACTED"),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_keys() {
        let mut s = Route53Settings::new("aws");
        s.credentials = Some(("AKIDSECRETID".into(), "very-secret-key".into()));
        let text = format!("{s:?}");
        assert!(
            !text.contains("AKIDSECRETID") && !text.contains("very-secret-key"),
            "{text}"
        );
        assert!(text.contains("REDACTED"));
        assert_eq!(
            s.credential_source(),
            "static keys in the provider settings"
        );
    }
}
