//! Static warnings on a valid config: it parses and validates, but some part cannot work as written.

use std::time::Duration;

use rtoguard_provider_api::table;

use serde_spanned::Spanned;
use toml::de::DeValue;

use super::fast::detection;
use super::locate::{Issues, find_key};
use super::types::{Config, ProviderKind, Service};
use super::values::show;

/// How long a provider takes to accept a change and serve it, as commonly
/// observed: each provider type's typical sync time in the capabilities table.
pub const WRITE_RFC2136: Duration = table::RFC2136.sync_time;
pub const WRITE_CLOUDFLARE: Duration = table::CLOUDFLARE.sync_time;
pub const WRITE_ROUTE53: Duration = table::ROUTE53.sync_time;
pub const WRITE_POWERDNS: Duration = table::POWERDNS.sync_time;
pub const WRITE_WEBHOOK: Duration = table::WEBHOOK.sync_time;

/// A Cloud DNS change goes from `pending` to `done` in seconds to a minute.
pub const WRITE_GCLOUD: Duration = table::GCLOUD.sync_time;

/// The expected write time of a provider kind.
pub fn write_time(kind: &ProviderKind) -> Duration {
    match kind {
        ProviderKind::Rfc2136(_) => WRITE_RFC2136,
        ProviderKind::Cloudflare(_) => WRITE_CLOUDFLARE,
        ProviderKind::Route53(_) => WRITE_ROUTE53,
        ProviderKind::PowerDns(_) => WRITE_POWERDNS,
        ProviderKind::Embedded(_) => super::embedded::WRITE_EMBEDDED,
        ProviderKind::Webhook(_) => WRITE_WEBHOOK,
        ProviderKind::Azure(_) => super::azure::WRITE_AZURE,
        ProviderKind::Gcloud(_) => WRITE_GCLOUD,
    }
}

/// Every static warning on `config` (which validated), into `warnings`.
pub(super) fn check(warnings: &mut Issues<'_>, root: &Spanned<DeValue<'_>>, config: &Config) {
    first_writer(warnings, root, config);
    for svc in &config.services {
        rto_budget(warnings, root, config, svc);
        marker_unread(warnings, root, svc);
    }
}

/// With peers, the controller named after the target pool's region writes at
/// once and every other waits; a `controller.id` that is no pool's region is
/// the first writer for nothing. (Without peers this controller is the only
/// writer and never waits; a probe-only agent has no peers.)
fn first_writer(warnings: &mut Issues<'_>, root: &Spanned<DeValue<'_>>, config: &Config) {
    let id = &config.controller.id;
    if config.peers.is_empty() {
        return;
    }
    let mut regions: Vec<&str> = config
        .services
        .iter()
        .flat_map(|s| s.pools.iter().map(|p| p.region.as_str()))
        .collect();
    regions.sort_unstable();
    regions.dedup();
    if regions.is_empty() || regions.contains(&id.as_str()) {
        return;
    }
    let msg = format!(
        "\"{id}\" is no pool's region (the pools' regions: {}): with peers, the controller \
         whose id is the target pool's region writes first and every other waits its turn, \
         so this controller is the first writer for no pool; name each controller after its region",
        regions.join(", ")
    );
    let span = find_key(root, "controller", "id").map(|(_, s)| s);
    warnings.add(span, "controller.id", msg);
}

/// The RTO budget of a service: what the time from a fault to clients on
/// the new pool is made of, at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// From the fault to the `fall`-th failed probe ([`detection`]).
    pub detection: Duration,
    /// The provider's expected write time ([`write_time`]).
    pub write: Duration,
    /// Caches holding the answer published before: `ttl.normal`.
    pub ttl: Duration,
}

impl Budget {
    /// The service's budget; None when its provider is unknown.
    pub fn of(config: &Config, svc: &Service) -> Option<Self> {
        let provider = config.providers.get(&svc.provider)?;
        Some(Self {
            detection: detection(&svc.health, svc.probe.timeout).1,
            write: write_time(&provider.kind),
            ttl: Duration::from_secs(u64::from(svc.ttl.normal)),
        })
    }

    pub fn total(&self) -> Duration {
        self.detection
            .saturating_add(self.write)
            .saturating_add(self.ttl)
    }
}

/// Detection, the provider's write and the caches' normal TTL against the
/// service's `rto`: warn with the figures when the sum exceeds it.
fn rto_budget(
    warnings: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    config: &Config,
    svc: &Service,
) {
    let (Some(b), Some(provider)) = (Budget::of(config, svc), config.providers.get(&svc.provider))
    else {
        return;
    };
    let total = b.total();
    if total <= svc.rto {
        return;
    }
    let h = &svc.health;
    let msg = format!(
        "{rto} cannot be met: detection up to {detect} (health.interval {interval} + (fall {fall} − 1) \
         × fast_interval {fast} + probe.timeout {timeout}) + about {write} for the {kind} write + caches \
         holding the old answer up to ttl.normal {ttl} = {total}, {over} over; lower ttl.normal, \
         detect faster, or raise rto",
        rto = show(svc.rto),
        detect = show(b.detection),
        interval = show(h.interval),
        fall = h.fall,
        fast = show(h.fast_interval),
        timeout = show(svc.probe.timeout),
        kind = provider.kind.type_name(),
        write = show(b.write),
        ttl = show(b.ttl),
        total = show(total),
        over = show(total.saturating_sub(svc.rto)),
    );
    let at = format!("services[{}]", svc.name);
    let span = find_key(root, &at, "rto").map(|(_, s)| s);
    warnings.add(span, format!("{at}.rto"), msg);
}

/// A pool's `marker` is read from the answer of `propagation.client_url`;
/// without the URL nothing reads it.
fn marker_unread(warnings: &mut Issues<'_>, root: &Spanned<DeValue<'_>>, svc: &Service) {
    if svc.propagation.client_url.is_some() {
        return;
    }
    let marked: Vec<&str> = svc
        .pools
        .iter()
        .filter(|p| p.marker.is_some())
        .map(|p| p.name.as_str())
        .collect();
    let Some(first) = marked.first() else {
        return;
    };
    let at = format!("services[{}].pools[{first}]", svc.name);
    let span = find_key(root, &at, "marker").map(|(_, s)| s);
    let who = match marked.len() {
        1 => format!("pool {first} has a marker"),
        _ => format!("pools {} have markers", marked.join(", ")),
    };
    let msg = format!(
        "{who} but the service has no propagation.client_url: no client fetch reads a \
         marker, so the report never shows clients reaching the new pool; set \
         services[{}].propagation.client_url or drop the marker",
        svc.name
    );
    warnings.add(span, format!("{at}.marker"), msg);
}
