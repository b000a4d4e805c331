//! The double itself is strict: requests that break the REST reference are refused as Azure would and kept as breaches.

use rtoguard_testkit::azure::{self, Double};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A token from the double's identity platform.
async fn token(az: &Double) -> String {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", azure::CLIENT_ID),
        ("client_secret", azure::CLIENT_SECRET),
        ("scope", "https://management.azure.com/.default"),
    ];
    let url = format!("{}/{}/oauth2/v2.0/token", az.url(), azure::TENANT);
    let v: Value = http()
        .post(url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

fn www(az: &Double) -> String {
    format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/dnsZones/example.test/A/www",
        az.url(),
        azure::SUBSCRIPTION,
        azure::RESOURCE_GROUP
    )
}

#[tokio::test]
async fn breaches_of_the_reference_are_refused_and_kept() {
    let az = Double::start("example.test");
    az.set("www", "A", 300, &["127.0.0.2"]);
    let bearer = token(&az).await;
    let c = http();

    let r = c.get(www(&az)).bearer_auth(&bearer).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "MissingApiVersionParameter");

    let wrong_type = json!({"properties": {"TTL": 60, "AAAARecords": [{"ipv6Address": "::1"}]}});
    let r = c
        .put(www(&az))
        .query(&[("api-version", "2018-05-01")])
        .bearer_auth(&bearer)
        .header("If-Match", az.etag("www", "A").unwrap())
        .json(&wrong_type)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let r = c
        .get(format!("{}/metadata/identity/oauth2/token", az.url()))
        .query(&[
            ("api-version", "2018-02-01"),
            ("resource", "https://management.azure.com/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "IMDS without `Metadata: true`");

    let breaches = az.breaches();
    assert_eq!(breaches.len(), 3, "{breaches:?}");
    assert_eq!(az.values("www", "A"), Some((300, vec!["127.0.0.2".into()])));
}

#[tokio::test]
async fn etags_change_on_every_write_and_fence_it() {
    let az = Double::start("example.test");
    az.set("www", "A", 300, &["127.0.0.2"]);
    let bearer = token(&az).await;
    let c = http();
    let first = az.etag("www", "A").unwrap();
    let put = |etag: &str, ip: &str| {
        c.put(www(&az))
            .query(&[("api-version", "2018-05-01")])
            .bearer_auth(&bearer)
            .header("If-Match", etag.to_string())
            .json(&json!({"properties": {"TTL": 300, "ARecords": [{"ipv4Address": ip}]}}))
            .send()
    };
    let r = put(&first, "127.0.0.3").await.unwrap();
    assert_eq!(r.status(), 200);
    let second = r.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(second, first);
    let r = put(&first, "127.0.0.4").await.unwrap();
    assert_eq!(r.status(), 412);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "PreconditionFailed");
    assert_eq!(az.values("www", "A"), Some((300, vec!["127.0.0.3".into()])));
    let r = c
        .put(www(&az))
        .query(&[("api-version", "2018-05-01")])
        .bearer_auth(&bearer)
        .header("If-None-Match", "*")
        .json(&json!({"properties": {"TTL": 300, "ARecords": [{"ipv4Address": "127.0.0.5"}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412, "If-None-Match: * on a set that exists");
    let r = c
        .get(www(&az))
        .query(&[("api-version", "2018-05-01")])
        .bearer_auth("not-issued")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(az.breaches(), Vec::<String>::new());
}
