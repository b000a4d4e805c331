//! Tests that a config naming a provider this build left out is told exactly that.

use std::path::Path;

use super::tests_validation::BASE;
use super::{parse, provider_compiled};

/// BASE plus one provider of `kind` (the fields it needs) named `extra`.
fn with_provider(kind: &str) -> String {
    let table = match kind {
        "route53" => "[providers.extra]\ntype = \"route53\"\nregion = \"us-east-1\"\n",
        "powerdns" => {
            "[providers.extra]\ntype = \"powerdns\"\napi_url = \"http://127.0.0.1:8081/api/v1\"\napi_key_env = \"PDNS_KEY\"\n"
        }
        "webhook" => "[providers.extra]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:8888\"\n",
        "azure" => {
            "[providers.extra]\ntype = \"azure\"\nsubscription_id = \"d2b1c0a9-8f7e-4d6c-b5a4-938271605f4e\"\nresource_group = \"rg-dns\"\ncredentials = \"managed-identity\"\n"
        }
        "gcloud" => {
            "[providers.extra]\ntype = \"gcloud\"\nproject = \"my-project\"\nmanaged_zone = \"example-com\"\n"
        }
        _ => "[providers.extra]\ntype = \"cloudflare\"\napi_token_env = \"CF_TOKEN\"\n",
    };
    format!("{BASE}\n{table}")
}

/// The issues of `text` that name `providers.extra`, as "line: field: message".
fn extra_issues(text: &str) -> Vec<String> {
    match parse(Path::new("config.toml"), text) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .issues
            .into_iter()
            .filter(|i| i.field.starts_with("providers.extra"))
            .map(|i| format!("{}: {}: {}", i.line.unwrap_or(0), i.field, i.message))
            .collect(),
    }
}

#[test]
fn a_left_out_provider_is_named_with_its_feature_and_a_built_one_parses() {
    for kind in [
        "route53",
        "cloudflare",
        "powerdns",
        "webhook",
        "azure",
        "gcloud",
    ] {
        let text = with_provider(kind);
        let line = text
            .lines()
            .position(|l| l == format!("type = \"{kind}\""))
            .map(|i| i + 1);
        let got = extra_issues(&text);
        if provider_compiled(kind) {
            assert!(got.is_empty(), "{kind} is built in: {got:?}");
        } else {
            let want = format!(
                "{}: providers.extra.type: provider type `{kind}` is not compiled into this \
                 rtoguard (built without the `{kind}` feature); use a build with it, such as the \
                 Debian package (every provider)",
                line.unwrap_or(0)
            );
            assert_eq!(got, vec![want], "{kind}");
        }
    }
}

#[test]
fn the_build_knows_which_providers_it_carries() {
    assert_eq!(provider_compiled("rfc2136"), cfg!(feature = "rfc2136"));
    assert_eq!(provider_compiled("route53"), cfg!(feature = "route53"));
    assert_eq!(
        provider_compiled("cloudflare"),
        cfg!(feature = "cloudflare")
    );
    assert_eq!(provider_compiled("powerdns"), cfg!(feature = "powerdns"));
    assert_eq!(provider_compiled("gcloud"), cfg!(feature = "gcloud"));
    assert!(!provider_compiled("ns1"));
}

/// The capabilities table's TTL floors are the compiled providers' own.
#[test]
fn the_capabilities_table_has_each_compiled_provider_s_floor() {
    use rtoguard_provider_api::table;
    let floors = [
        (table::RFC2136, super::compiled::RFC2136_TTL_FLOOR),
        (table::ROUTE53, super::compiled::ROUTE53_TTL_FLOOR),
        (table::CLOUDFLARE, super::compiled::CLOUDFLARE_TTL_FLOOR),
        (table::POWERDNS, super::compiled::POWERDNS_TTL_FLOOR),
        (table::EMBEDDED, super::compiled::EMBEDDED_TTL_FLOOR),
        (table::WEBHOOK, super::compiled::WEBHOOK_TTL_FLOOR),
        (table::AZURE, super::compiled::AZURE_TTL_FLOOR),
        (table::GCLOUD, super::compiled::GCLOUD_TTL_FLOOR),
    ];
    for (row, floor) in floors {
        if provider_compiled(row.kind) {
            assert_eq!(row.ttl_floor, floor, "{}", row.kind);
        }
    }
}
