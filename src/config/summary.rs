//! A one-screen summary of a validated config (never a secret).

use std::fmt::Write;

use super::types::*;
use super::values::show;

/// Controller, providers, and each service with its pools, endpoints, TTLs,
/// rto, probe and failback. Secrets appear only as where they are read from.
pub fn summary(cfg: &Config) -> String {
    let mut out = String::new();
    controller(&mut out, cfg);
    out.push_str("providers:\n");
    for p in cfg.providers.values() {
        let _ = writeln!(out, "  {:<12} {}", p.name, provider(&p.kind));
        if let Some(row) = rtoguard_provider_api::table::row(p.kind.type_name()) {
            let row = row.with_floor(p.kind.ttl_floor());
            let _ = writeln!(out, "  {:<12} {}", "", row.describe());
        }
    }
    out.push_str("services:\n");
    for s in &cfg.services {
        service(&mut out, s, cfg);
        let _ = write!(
            out,
            "{}",
            super::Topology::of(&cfg.controller, &cfg.peers, s)
        );
    }
    for g in &cfg.groups {
        let _ = writeln!(out, "group {}: {}", g.name, g.services.join(", "));
    }
    for w in &cfg.notify.webhooks {
        let events: Vec<&str> = w.events.iter().map(|e| e.as_str()).collect();
        let _ = writeln!(
            out,
            "notify: {} webhook (url from {}) on {}, timeout {}, {} retries",
            w.format.as_str(),
            w.url.describe(),
            events.join(", "),
            show(w.timeout),
            w.retries
        );
    }
    out
}

fn opt<T: std::fmt::Display>(v: &Option<T>, none: &str) -> String {
    v.as_ref()
        .map_or_else(|| none.to_string(), ToString::to_string)
}

fn controller(out: &mut String, cfg: &Config) {
    let c = &cfg.controller;
    let _ = writeln!(
        out,
        "controller {} (region {}, state {}, control {}, metrics {}, peer api {})",
        c.id,
        c.region,
        c.state_dir.display(),
        c.control_socket.display(),
        opt(&c.metrics_listen, "off"),
        opt(&c.peer_listen, "off"),
    );
    for p in &cfg.peers {
        let _ = writeln!(
            out,
            "peer {} in region {} at {} (token from {}, max clock skew {})",
            p.id,
            p.region,
            p.url,
            p.token.describe(),
            show(p.max_clock_skew)
        );
    }
}

fn provider(kind: &ProviderKind) -> String {
    match kind {
        ProviderKind::Rfc2136(c) => format!(
            "rfc2136 server {} key {} {} (secret from {}), timeout {}, {} req/s",
            c.server,
            c.tsig_key_name,
            c.tsig_algorithm.as_str(),
            c.tsig_secret.describe(),
            show(c.timeout),
            c.requests_per_second
        ),
        ProviderKind::Route53(c) => format!(
            "route53 region {}, endpoint {}, hosted zone {}, {} req/s",
            opt(&c.region, "from the AWS chain"),
            opt(&c.endpoint_url, "AWS"),
            opt(&c.hosted_zone_id, "found by name"),
            c.requests_per_second
        ),
        ProviderKind::Cloudflare(c) => format!(
            "cloudflare api {} (token from {}), zone {}, {} req/s, TTL floor {}s",
            c.api_url,
            c.api_token.describe(),
            opt(&c.zone_id, "found by name"),
            c.requests_per_second,
            c.ttl_floor
        ),
        ProviderKind::Gcloud(c) => format!(
            "gcloud project {} managed zone {} (credentials from {}), api {}, {} req/s",
            c.project,
            c.managed_zone,
            c.credentials.describe(),
            c.api_url,
            c.requests_per_second
        ),
        ProviderKind::Webhook(c) => format!(
            "external-dns webhook {} (token {}), timeout {}, {} req/s",
            c.url,
            c.token
                .as_ref()
                .map_or_else(|| "none".to_string(), |t| format!("from {}", t.describe())),
            humantime::format_duration(c.timeout),
            c.requests_per_second
        ),
        ProviderKind::PowerDns(c) => format!(
            "powerdns api {} server {} (key from {}), DNS port {}, {} req/s",
            c.api_url,
            c.server_id,
            c.api_key.describe(),
            c.dns_server.map_or_else(
                || "not set (the API is read back)".to_string(),
                |a| a.to_string()
            ),
            c.requests_per_second
        ),
        ProviderKind::Embedded(c) => {
            let listen: Vec<String> = c.listen.iter().map(ToString::to_string).collect();
            let zones: Vec<&str> = c.zones.iter().map(|z| z.name.as_str()).collect();
            let limit = match c.rate_limit {
                0 => "no rate limit".to_string(),
                n => format!("{n} responses/s per client /24 or /56"),
            };
            let transfers: String = c
                .zones
                .iter()
                .filter_map(|z| {
                    let t = z.transfer.as_ref()?;
                    Some(format!(
                        ", transfers of {} on {} ({} key(s), NOTIFY to {})",
                        z.name,
                        t.listen,
                        t.keys.len(),
                        t.notify.len()
                    ))
                })
                .collect();
            format!(
                "embedded server on {}, zones {}, {limit}{transfers}",
                listen.join(", "),
                zones.join(", ")
            )
        }
        ProviderKind::Azure(c) => super::azure::summary(c),
    }
}

fn service(out: &mut String, s: &Service, cfg: &Config) {
    let vantages = cfg.vantages();
    let (t, h, d, f) = (&s.ttl, &s.health, &s.damping, &s.failback);
    // One record: `A checkout.example.com.`; a group: every name and type.
    let records = match s.records.len() {
        1 => format!("{} {}", s.rtype, s.record),
        _ => s.records_label(),
    };
    let _ = writeln!(
        out,
        "  {} {records} in {} via {}, rto {}",
        s.name,
        s.zone,
        s.provider,
        show(s.rto)
    );
    let _ = writeln!(
        out,
        "    ttl {}s normal, {}s lowered, restored {} after a planned move; failback {} after {} stable",
        t.normal,
        t.lowered,
        show(t.restore_after),
        f.mode,
        show(f.stable_for)
    );
    if !f.steps.is_empty() {
        let steps: Vec<String> = f.steps.iter().map(|s| format!("{s}%")).collect();
        let _ = writeln!(
            out,
            "    gradual failback: {} of the weight on {}, each step held {}",
            steps.join(", "),
            s.pools
                .first()
                .map_or("the first pool", |p| p.name.as_str()),
            show(f.step_hold)
        );
    }
    let _ = writeln!(
        out,
        "    probe {}, timeout {}",
        probe(&s.probe.kind),
        show(s.probe.timeout)
    );
    let _ = writeln!(
        out,
        "    health every {}, rise {}, fall {}, quorum {} of {vantages} vantage(s), min healthy {}, max age {}",
        show(h.interval),
        h.rise,
        h.fall,
        s.quorum(vantages),
        h.min_healthy,
        show(h.max_age())
    );
    detection(out, s);
    budget(out, cfg, s);
    let _ = writeln!(
        out,
        "    damping hold-down {}, at most {} flips per {}",
        show(d.hold_down),
        d.max_flips,
        show(d.flip_window)
    );
    for p in &s.pools {
        pool(out, p);
    }
    propagation(out, &s.propagation);
}

fn detection(out: &mut String, s: &Service) {
    let h = &s.health;
    let (confirm, worst) = super::fast::detection(h, s.probe.timeout);
    let fast = if h.fast_interval < h.interval {
        format!("fast confirmation every {}", show(h.fast_interval))
    } else {
        "fast confirmation off".to_string()
    };
    let _ = writeln!(
        out,
        "    detection: down {} after the first failed probe ({fast}), at most {} after a fault",
        show(confirm),
        show(worst)
    );
}

/// The RTO budget, and how much of the objective it leaves.
fn budget(out: &mut String, cfg: &Config, s: &Service) {
    let Some(b) = super::warnings::Budget::of(cfg, s) else {
        return;
    };
    let total = b.total();
    let margin = match s.rto.checked_sub(total) {
        Some(spare) => format!("{} to spare", show(spare)),
        None => format!(
            "{} over: see the warning",
            show(total.saturating_sub(s.rto))
        ),
    };
    let _ = writeln!(
        out,
        "    rto {}: detection {} + write {} + ttl.normal {} = {} ({margin})",
        show(s.rto),
        show(b.detection),
        show(b.write),
        show(b.ttl),
        show(total)
    );
}

fn pool(out: &mut String, p: &Pool) {
    let marker = match &p.marker {
        Some(Marker::Header { name, value }) => format!(", marker header {name}: {value}"),
        Some(Marker::Body(b)) => format!(", marker body {b:?}"),
        None => String::new(),
    };
    // A pool publishing several types shows each type's values.
    let endpoints = match p.values.len() {
        _ if p.resolve_endpoints => format!(
            "probes the addresses of {}, asked of the propagation resolvers",
            p.endpoints.join(", ")
        ),
        0 | 1 => p.endpoints.join(", "),
        _ => p
            .values
            .iter()
            .map(|(t, v)| format!("{t} {}", v.join(", ")))
            .collect::<Vec<_>>()
            .join("; "),
    };
    let alias = p
        .alias
        .as_ref()
        .map(|a| format!(", served as {a}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "    pool {} ({}): {endpoints}{marker}{alias}",
        p.name, p.region
    );
}

fn probe(kind: &ProbeKind) -> String {
    match kind {
        ProbeKind::Http {
            tls,
            port,
            path,
            expect_status,
            host,
            ..
        } => {
            let codes: Vec<String> = expect_status
                .iter()
                .map(|(a, b)| {
                    if a == b {
                        a.to_string()
                    } else {
                        format!("{a}-{b}")
                    }
                })
                .collect();
            let scheme = if *tls { "https" } else { "http" };
            format!(
                "{scheme} {}:{port}{path} expecting {}",
                opt(host, "-"),
                codes.join(", ")
            )
        }
        ProbeKind::Tcp { port } => format!("tcp port {port}"),
        ProbeKind::Dns {
            port,
            query_name,
            query_type,
        } => format!("dns {query_name} {query_type} on port {port}"),
    }
}

fn propagation(out: &mut String, p: &Propagation) {
    let list = |servers: &[NamedServer], none: &str| {
        if servers.is_empty() {
            return none.to_string();
        }
        servers
            .iter()
            .map(|s| format!("{} {}", s.name, s.address))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        out,
        "    propagation: authoritatives {}; resolvers {}; client {}; {} queries/s; deadline {}",
        list(&p.authoritatives, "from NS"),
        list(&p.resolvers, "none"),
        opt(&p.client_url, "none"),
        p.queries_per_second,
        p.deadline.map_or_else(|| "old TTL + 5m".to_string(), show),
    );
}
