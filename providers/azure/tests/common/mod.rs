//! Helpers shared by the provider's tests: settings pointing at the double, record sets, changes.

#![allow(dead_code)]

use std::time::Duration;

use rtoguard_azure::{AzureProvider, AzureSettings, Credentials};
use rtoguard_provider_api::limits::RetryPolicy;
use rtoguard_provider_api::{Change, RecordSet, RecordType};
use rtoguard_testkit::azure::{self, Double};

pub const ZONE: &str = "example.test.";
pub const WWW: &str = "www.example.test.";

pub fn client_secret(secret: &str) -> Credentials {
    Credentials::ClientSecret {
        tenant_id: azure::TENANT.into(),
        client_id: azure::CLIENT_ID.into(),
        secret: secret.into(),
        secret_source: "env AZURE_CLIENT_SECRET".into(),
    }
}

pub fn settings(double: &Double, credentials: Credentials) -> AzureSettings {
    AzureSettings {
        name: "az-test".into(),
        subscription_id: azure::SUBSCRIPTION.into(),
        resource_group: azure::RESOURCE_GROUP.into(),
        zone_name: None,
        credentials,
        api_url: double.url(),
        login_url: double.url(),
        imds_url: double.url(),
        requests_per_second: 100,
    }
}

/// The provider with the right client secret, retrying for up to 5 s.
pub fn provider(double: &Double) -> AzureProvider {
    provider_with(double, client_secret(azure::CLIENT_SECRET))
}

pub fn provider_with(double: &Double, credentials: Credentials) -> AzureProvider {
    AzureProvider::new(settings(double, credentials))
        .expect("provider")
        .with_retry_policy(RetryPolicy {
            deadline: Duration::from_secs(5),
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
        })
}

pub fn a(ttl: u32, values: &[&str]) -> RecordSet {
    RecordSet::new(WWW, RecordType::A, ttl, values)
}

pub fn change(expected: Vec<RecordSet>, desired: RecordSet) -> Change {
    Change::new(WWW, RecordType::A, expected, vec![desired]).expect("a valid change")
}

/// The PUTs the double saw, each with its If-Match and If-None-Match.
pub fn puts(double: &Double) -> Vec<azure::Seen> {
    double
        .requests()
        .into_iter()
        .filter(|s| s.method == "PUT")
        .collect()
}
