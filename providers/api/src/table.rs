//! The capabilities table: what each provider type can do, as data.
//!
//! One row per `type` of the config: how strong its compare-and-set is,
//! whether it has weights and alias records, its TTL floor, how long a
//! change usually takes to be in sync, and the fence in words. `check`,
//! `doctor`, the RTO budget and the README's provider table all read it
//! from here; adding a provider is adding one row to [`ROWS`] (and the
//! README test then prints the table line to paste).

use std::fmt;
use std::time::Duration;

use crate::CasMode;

/// One provider type's capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The `type` word of the config (`route53`).
    pub kind: &'static str,
    /// How compare-and-set is enforced.
    pub cas: CasMode,
    /// Weighted record sets: a flip (or a gradual failback) moves weight.
    pub weighted: bool,
    /// Alias records (a pool endpoint that is another name the provider resolves).
    pub alias: bool,
    /// The lowest TTL it accepts, in seconds (its default, where configurable).
    pub ttl_floor: u32,
    /// How long a change usually takes to be served by the provider's own servers.
    pub sync_time: Duration,
    /// How the fence works, in words.
    pub fence: &'static str,
}

pub const RFC2136: Row = Row {
    kind: "rfc2136",
    cas: CasMode::Native,
    weighted: false,
    alias: false,
    ttl_floor: 1,
    sync_time: Duration::from_secs(1),
    fence: "value-dependent prerequisite (RFC 2136 §2.4.2), atomic at the server",
};

pub const ROUTE53: Row = Row {
    kind: "route53",
    cas: CasMode::Native,
    weighted: true,
    alias: true,
    ttl_floor: 1,
    sync_time: Duration::from_secs(60),
    fence: "one change batch that DELETEs the exact records read",
};

pub const CLOUDFLARE: Row = Row {
    kind: "cloudflare",
    cas: CasMode::ReadCompareWrite,
    weighted: false,
    alias: false,
    ttl_floor: 60,
    sync_time: Duration::from_secs(5),
    fence: "read, compare, batch (deletes the ids read), read back; a race window remains",
};

pub const POWERDNS: Row = Row {
    kind: "powerdns",
    cas: CasMode::ReadCompareWrite,
    weighted: false,
    alias: false,
    ttl_floor: 1,
    sync_time: Duration::from_secs(1),
    fence: "read, compare, PATCH, read back; no fence at the server",
};

pub const EMBEDDED: Row = Row {
    kind: "embedded",
    cas: CasMode::Native,
    weighted: false,
    alias: false,
    ttl_floor: 1,
    sync_time: Duration::from_millis(1),
    fence: "the swap compares with what is served under one writer lock",
};

pub const WEBHOOK: Row = Row {
    kind: "webhook",
    cas: CasMode::ReadCompareWrite,
    weighted: false,
    alias: false,
    ttl_floor: 1,
    sync_time: Duration::from_secs(5),
    fence: "read, compare, write, read back; no fence in the protocol",
};

pub const AZURE: Row = Row {
    kind: "azure",
    cas: CasMode::Native,
    weighted: false,
    alias: false,
    ttl_floor: 1,
    sync_time: Duration::from_secs(1),
    fence: "a PUT with If-Match on the ETag read; Azure refuses it (412) when the set changed",
};

pub const GCLOUD: Row = Row {
    kind: "gcloud",
    cas: CasMode::Native,
    weighted: false,
    alias: false,
    ttl_floor: 1,
    sync_time: Duration::from_secs(30),
    fence: "one change that deletes the exact set expected and adds the new one; Cloud DNS refuses it whole on any difference",
};

/// Every provider type, in the README's order.
pub const ROWS: &[Row] = &[
    RFC2136, ROUTE53, CLOUDFLARE, POWERDNS, EMBEDDED, WEBHOOK, AZURE, GCLOUD,
];

/// The row of provider type `kind`.
pub fn row(kind: &str) -> Option<&'static Row> {
    ROWS.iter().find(|r| r.kind == kind)
}

impl fmt::Display for CasMode {
    /// `native` or `read-compare-write`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Native => "native",
            Self::ReadCompareWrite => "read-compare-write",
        })
    }
}

/// How long, for people: `1ms`, `5s`, `60s`.
fn short(d: Duration) -> String {
    match d.subsec_millis() {
        0 => format!("{}s", d.as_secs()),
        _ => format!("{}ms", d.as_millis()),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

impl Row {
    /// This row with the TTL floor a config set (Cloudflare's `min_ttl`).
    pub fn with_floor(mut self, ttl_floor: u32) -> Self {
        self.ttl_floor = ttl_floor;
        self
    }

    /// One line for `check` and `doctor`.
    pub fn describe(&self) -> String {
        format!(
            "compare-and-set {} ({}); weights {}; alias {}; TTL floor {}s; in sync in about {}",
            self.cas,
            self.fence,
            yes(self.weighted),
            yes(self.alias),
            self.ttl_floor,
            short(self.sync_time)
        )
    }

    /// Its line of the README's capabilities table.
    pub fn markdown(&self) -> String {
        format!(
            "| `{}` | {} | {} | {} | {} s | {} | {} |",
            self.kind,
            self.cas,
            yes(self.weighted),
            yes(self.alias),
            self.ttl_floor,
            short(self.sync_time),
            self.fence
        )
    }
}

/// The README's capabilities table, header included.
pub fn markdown() -> String {
    let mut out = String::from(
        "| provider | compare-and-set | weights | alias | TTL floor | typical sync | the fence |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in ROWS {
        out.push_str(&r.markdown());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_has_one_row() {
        for (i, r) in ROWS.iter().enumerate() {
            assert!(
                ROWS[..i].iter().all(|o| o.kind != r.kind),
                "{} twice",
                r.kind
            );
            assert_eq!(row(r.kind), Some(r));
        }
        assert_eq!(row("nope"), None);
    }

    #[test]
    fn a_row_reads_as_words() {
        assert_eq!(
            ROUTE53.describe(),
            "compare-and-set native (one change batch that DELETEs the exact records read); \
             weights yes; alias yes; TTL floor 1s; in sync in about 60s"
        );
        assert_eq!(
            EMBEDDED.markdown(),
            "| `embedded` | native | no | no | 1 s | 1ms | the swap compares with what is served \
             under one writer lock |"
        );
    }
}
