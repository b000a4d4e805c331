//! Validation of `[providers.NAME] type = "embedded"`: listen addresses, zones
//! (SOA, NS and glue, static records), the rate limit; and that every
//! service on it names one of its zones.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_spanned::Spanned;
use toml::de::DeValue;

use super::locate::Issues;
use super::raw::S;
use super::secret::SecretSource;
use super::tables::as_table;
use super::values::{is_hostname, normalize_name};
use rtoguard_provider_api::TsigAlgorithm;

/// Where the embedded server listens when `listen` is not given.
pub const DEFAULT_LISTEN: [&str; 2] = ["0.0.0.0:53", "[::]:53"];
/// UDP responses per second per client /24 or /56 when `rate_limit` is not given.
pub const DEFAULT_RATE_LIMIT: u32 = 100;
/// Changes kept for IXFR when a zone's `transfer.keep` is not given.
pub const DEFAULT_TRANSFER_KEEP: u32 = 64;

/// One embedded provider: rtoguard serves these zones itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedConfig {
    pub listen: Vec<SocketAddr>,
    /// UDP responses per second per client prefix; 0: no limit.
    pub rate_limit: u32,
    pub zones: Vec<EmbeddedZone>,
}

/// One zone the embedded server is authoritative for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedZone {
    /// Absolute, lower-case.
    pub name: String,
    pub hostmaster: String,
    /// TTL of the SOA, NS and glue, in seconds.
    pub ttl: u32,
    /// The TTL of NXDOMAIN and NODATA answers, in seconds.
    pub negative_ttl: u32,
    /// Name servers and their addresses (glue when inside the zone).
    pub name_servers: Vec<(String, Vec<IpAddr>)>,
    /// Static records: name, type, TTL (seconds), values.
    pub records: Vec<(String, String, u32, Vec<String>)>,
    /// Outgoing zone transfers (`transfer = { ... }`); None: refused.
    pub transfer: Option<EmbeddedTransfer>,
    /// More static records from a zone file (`zone_file = "..."`).
    pub zone_file: Option<std::path::PathBuf>,
}

/// A zone's outgoing transfers: rtoguard as the hidden primary of its secondaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedTransfer {
    /// The transfer address (TCP and UDP), apart from the query addresses.
    pub listen: SocketAddr,
    /// TSIG keys a secondary signs with: name (absolute), algorithm, secret (base64).
    pub keys: Vec<(String, TsigAlgorithm, SecretSource)>,
    /// Secondaries allowed to transfer; empty: any (the key is still required).
    pub allow: Vec<IpAddr>,
    /// Where NOTIFY goes after every write.
    pub notify: Vec<SocketAddr>,
    /// Changes kept for IXFR.
    pub keep: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEmbedded {
    #[serde(rename = "type")]
    pub _type: IgnoredAny,
    pub listen: Option<Vec<S<String>>>,
    pub rate_limit: Option<S<u32>>,
    #[serde(default)]
    pub zones: Vec<S<RawZone>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawZone {
    pub name: S<String>,
    pub hostmaster: Option<S<String>>,
    pub ttl: Option<S<String>>,
    pub negative_ttl: Option<S<String>>,
    #[serde(default)]
    pub name_servers: Vec<S<RawNameServer>>,
    #[serde(default)]
    pub records: Vec<S<RawRecord>>,
    pub transfer: Option<S<RawTransfer>>,
    pub zone_file: Option<S<std::path::PathBuf>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTransfer {
    pub listen: Option<S<String>>,
    #[serde(default)]
    pub keys: Vec<S<RawKey>>,
    #[serde(default)]
    pub allow: Vec<S<String>>,
    #[serde(default)]
    pub notify: Vec<S<String>>,
    pub keep: Option<S<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKey {
    pub name: S<String>,
    pub algorithm: Option<S<String>>,
    pub secret: Option<S<IgnoredAny>>,
    pub secret_file: Option<S<std::path::PathBuf>>,
    pub secret_env: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNameServer {
    pub name: S<String>,
    #[serde(default)]
    pub addresses: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecord {
    pub name: S<String>,
    #[serde(rename = "type")]
    pub rtype: S<String>,
    pub ttl: Option<S<String>>,
    pub values: Vec<S<String>>,
}

/// Check one `type = "embedded"` table.
pub(super) fn embedded(
    issues: &mut Issues<'_>,
    raw: RawEmbedded,
    field: &str,
    span: std::ops::Range<usize>,
) -> Option<EmbeddedConfig> {
    let listen = match &raw.listen {
        None => DEFAULT_LISTEN
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect(),
        Some(list) => {
            let f = format!("{field}.listen");
            if list.is_empty() {
                issues.add(Some(span.clone()), &f, "lists no address: write e.g. [\"0.0.0.0:53\", \"[::]:53\"], or leave it out for those");
            }
            list.iter()
                .map(|a| issues.socket(a, &f))
                .collect::<Option<Vec<_>>>()?
        }
    };
    let rate_limit = raw
        .rate_limit
        .as_ref()
        .map_or(DEFAULT_RATE_LIMIT, |r| *r.get_ref());
    if raw.zones.is_empty() {
        issues.add(
            Some(span),
            format!("{field}.zones"),
            "serves no zone: add a [[providers.NAME.zones]] table with its name and name servers",
        );
        return None;
    }
    let mut zones = Vec::new();
    let mut seen = BTreeMap::new();
    for (i, z) in raw.zones.iter().enumerate() {
        let f = format!("{field}.zones[{i}]");
        let zone = zone(issues, z, &f)?;
        if let (Some(t), Some(raw_t)) = (&zone.transfer, &z.get_ref().transfer)
            && listen.contains(&t.listen)
        {
            let at = raw_t
                .get_ref()
                .listen
                .as_ref()
                .map_or(raw_t.span(), Spanned::span);
            let msg = format!(
                "{} is also a query address: transfers need an address of their own (another port)",
                t.listen
            );
            issues.add(Some(at), format!("{f}.transfer.listen"), msg);
        }
        if seen.insert(zone.name.clone(), i).is_some() {
            issues.add(
                Some(z.get_ref().name.span()),
                format!("{f}.name"),
                format!("zone {} is listed twice", zone.name),
            );
        }
        zones.push(zone);
    }
    Some(EmbeddedConfig {
        listen,
        rate_limit,
        zones,
    })
}

fn zone(issues: &mut Issues<'_>, raw: &S<RawZone>, field: &str) -> Option<EmbeddedZone> {
    let z = raw.get_ref();
    let name_text = z.name.get_ref();
    if !is_hostname(name_text.trim_end_matches('.')) && name_text.trim() != "." {
        let msg = format!("{name_text:?} is not a zone name: write e.g. \"gslb.example.com.\"");
        issues.add(Some(z.name.span()), format!("{field}.name"), msg);
        return None;
    }
    let name = normalize_name(name_text);
    if z.name_servers.is_empty() {
        issues.add(Some(raw.span()), format!("{field}.name_servers"), "lists no name server: write e.g. name_servers = [{ name = \"ns1.gslb.example.com.\", addresses = [\"192.0.2.53\"] }]");
        return None;
    }
    let mut name_servers = Vec::new();
    for (i, ns) in z.name_servers.iter().enumerate() {
        let f = format!("{field}.name_servers[{i}]");
        let n = ns.get_ref();
        let addrs: Vec<IpAddr> = n
            .addresses
            .iter()
            .filter_map(|a| issues.ip(a, &format!("{f}.addresses")))
            .collect();
        name_servers.push((n.name.get_ref().clone(), addrs));
    }
    let hostmaster = z
        .hostmaster
        .as_ref()
        .map_or_else(|| format!("hostmaster.{name}"), |h| h.get_ref().clone());
    let ttl = issues.ttl(&z.ttl, &format!("{field}.ttl"), 3600);
    let negative_ttl = issues.ttl(&z.negative_ttl, &format!("{field}.negative_ttl"), 60);
    let mut records = Vec::new();
    for (i, r) in z.records.iter().enumerate() {
        let r = r.get_ref();
        let f = format!("{field}.records[{i}]");
        let ttl = issues.ttl(&r.ttl, &format!("{f}.ttl"), 300);
        if r.values.is_empty() {
            issues.add(Some(r.name.span()), format!("{f}.values"), "lists no value");
        }
        records.push((
            r.name.get_ref().clone(),
            r.rtype.get_ref().clone(),
            ttl,
            r.values.iter().map(|v| v.get_ref().clone()).collect(),
        ));
    }
    let transfer = match &z.transfer {
        None => None,
        Some(t) => Some(transfer(issues, t, &format!("{field}.transfer"))?),
    };
    let out = EmbeddedZone {
        name,
        hostmaster,
        ttl,
        negative_ttl,
        name_servers,
        records,
        transfer,
        zone_file: z.zone_file.as_ref().map(|f| f.get_ref().clone()),
    };
    check_zone(issues, raw, &out, field);
    Some(out)
}

/// Check one zone's `transfer` table.
fn transfer(
    issues: &mut Issues<'_>,
    raw: &S<RawTransfer>,
    field: &str,
) -> Option<EmbeddedTransfer> {
    let t = raw.get_ref();
    let Some(listen) = &t.listen else {
        let msg = "gives no transfer address: write e.g. listen = \"127.0.0.1:5300\" (a port apart from the query addresses)";
        issues.add(Some(raw.span()), format!("{field}.listen"), msg);
        return None;
    };
    let listen = issues.socket(listen, &format!("{field}.listen"));
    if t.keys.is_empty() {
        let msg = "lists no key: secondaries must sign their transfers; write e.g. keys = [{ name = \"xfr.\", algorithm = \"hmac-sha256\", secret_file = \"/etc/rtoguard/xfr.secret\" }]";
        issues.add(Some(raw.span()), format!("{field}.keys"), msg);
    }
    let mut keys = Vec::new();
    for (i, k) in t.keys.iter().enumerate() {
        let f = format!("{field}.keys[{i}]");
        let key = k.get_ref();
        let name = key.name.get_ref();
        if !is_hostname(name.trim_end_matches('.')) {
            let msg = format!("{name:?} is not a key name: write e.g. \"xfr.\"");
            issues.add(Some(key.name.span()), format!("{f}.name"), msg);
        }
        let algorithm = super::tsig::tsig_algorithm(issues, &key.algorithm, &f, "algorithm");
        let secret = issues.secret(
            &f,
            "secret",
            &key.secret,
            &key.secret_file,
            &key.secret_env,
            Some(k.span()),
        );
        if let (Some(a), Some(s)) = (algorithm, secret) {
            keys.push((normalize_name(name), a, s));
        }
    }
    let allow: Vec<IpAddr> = t
        .allow
        .iter()
        .filter_map(|a| issues.ip(a, &format!("{field}.allow")))
        .collect();
    let notify: Vec<SocketAddr> = t
        .notify
        .iter()
        .filter_map(|a| issues.socket(a, &format!("{field}.notify")))
        .collect();
    let keep = issues.count(&t.keep, &format!("{field}.keep"), DEFAULT_TRANSFER_KEEP);
    if keys.len() != t.keys.len() || allow.len() != t.allow.len() || notify.len() != t.notify.len()
    {
        return None;
    }
    Some(EmbeddedTransfer {
        listen: listen?,
        keys,
        allow,
        notify,
        keep,
    })
}

/// What the server would refuse to build, named at the line it comes from:
/// each name server and record on its own, then the zone as a whole.
#[cfg(feature = "embedded")]
fn check_zone(issues: &mut Issues<'_>, raw: &S<RawZone>, zone: &EmbeddedZone, field: &str) {
    let z = raw.get_ref();
    let bare = EmbeddedZone {
        records: Vec::new(),
        zone_file: None,
        ..zone.clone()
    };
    for (i, ns) in zone.name_servers.iter().enumerate() {
        let one = EmbeddedZone {
            name_servers: vec![ns.clone()],
            ..bare.clone()
        };
        if let Err(msg) = rtoguard_embedded::zone::Zone::build(&zone_settings(&one), 1) {
            issues.add(
                Some(z.name_servers[i].span()),
                format!("{field}.name_servers[{i}]"),
                msg,
            );
            return;
        }
    }
    for (i, r) in zone.records.iter().enumerate() {
        let one = EmbeddedZone {
            records: vec![r.clone()],
            ..bare.clone()
        };
        if let Err(msg) = rtoguard_embedded::zone::Zone::build(&zone_settings(&one), 1) {
            issues.add(
                Some(
                    z.records[i]
                        .get_ref()
                        .values
                        .first()
                        .map_or(z.records[i].span(), Spanned::span),
                ),
                format!("{field}.records[{i}]"),
                msg,
            );
            return;
        }
    }
    if let Some(file) = &z.zone_file {
        let with_file = EmbeddedZone {
            zone_file: zone.zone_file.clone(),
            ..bare.clone()
        };
        if let Err(msg) = rtoguard_embedded::zone::Zone::build(&zone_settings(&with_file), 1) {
            issues.add(Some(file.span()), format!("{field}.zone_file"), msg);
            return;
        }
    }
    if let Err(msg) = rtoguard_embedded::zone::Zone::build(&zone_settings(zone), 1) {
        issues.add(Some(z.name.span()), field, msg);
    }
}

#[cfg(not(feature = "embedded"))]
fn check_zone(_: &mut Issues<'_>, _: &S<RawZone>, _: &EmbeddedZone, _: &str) {}

/// The embedded crate's settings for one zone.
#[cfg(feature = "embedded")]
pub fn zone_settings(z: &EmbeddedZone) -> rtoguard_embedded::ZoneSettings {
    rtoguard_embedded::ZoneSettings {
        name: z.name.clone(),
        hostmaster: z.hostmaster.clone(),
        ttl: z.ttl,
        negative_ttl: z.negative_ttl,
        name_servers: z
            .name_servers
            .iter()
            .map(|(name, addresses)| rtoguard_embedded::NameServer {
                name: name.clone(),
                addresses: addresses.clone(),
            })
            .collect(),
        records: z
            .records
            .iter()
            .map(
                |(name, rtype, ttl, values)| rtoguard_embedded::StaticRecord {
                    name: name.clone(),
                    rtype: rtype.clone(),
                    ttl: *ttl,
                    values: values.clone(),
                },
            )
            .collect(),
        // Keys are read when the server starts (see the providers' setup).
        transfer: None,
        zone_file: z.zone_file.clone(),
    }
}

/// Every service on an embedded provider (`embedded`: each by name) names
/// one of its zones.
pub(super) fn served_zones(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    embedded: &BTreeMap<&str, &EmbeddedConfig>,
) {
    let Some(DeValue::Array(services)) = as_table(root)
        .and_then(|t| t.get("services"))
        .map(|v| v.get_ref())
    else {
        return;
    };
    for (i, item) in services.iter().enumerate() {
        let Some(t) = as_table(item) else { continue };
        let (Some(p), Some(zone)) = (t.get("provider"), t.get("zone")) else {
            continue;
        };
        let label = match t.get("name").map(|n| n.get_ref()) {
            Some(DeValue::String(n)) => n.to_string(),
            _ => i.to_string(),
        };
        let (DeValue::String(p), DeValue::String(z)) = (p.get_ref(), zone.get_ref()) else {
            continue;
        };
        let Some(c) = embedded.get(p.as_ref()) else {
            continue;
        };
        let z = normalize_name(z);
        if let (Some(served), Some(record)) = (
            c.zones.iter().find(|served| served.name == z),
            t.get("record"),
        ) && let DeValue::String(r) = record.get_ref()
            && let Some(msg) = super::zone_file::at_managed_name(
                &served.name,
                served.zone_file.as_deref(),
                &normalize_name(r),
                &label,
            )
        {
            issues.add(
                Some(record.span()),
                format!("services[{label}].record"),
                msg,
            );
        }
        if !c.zones.iter().any(|served| served.name == z) {
            let names: Vec<&str> = c.zones.iter().map(|s| s.name.as_str()).collect();
            let msg = format!(
                "provider {p} does not serve the zone {z}: it serves {}",
                names.join(", ")
            );
            issues.add(Some(zone.span()), format!("services[{label}].zone"), msg);
        }
    }
}

/// How long a write through the embedded provider takes: an in-memory swap.
pub const WRITE_EMBEDDED: Duration = rtoguard_provider_api::table::EMBEDDED.sync_time;
