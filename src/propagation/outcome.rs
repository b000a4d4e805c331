//! The watch's outcome: what each authoritative, resolver and client path did, in offsets from the incident start.

use std::fmt;

use serde::Serialize;
use tokio::time::Instant;

use super::track::{Board, ClientTrack, Clock, Health, ResolverTrack};

/// A resolver that kept the old answer longer than this past its predicted deadline is flagged.
pub const OVERSTAY_TOLERANCE_MS: u64 = 1_000;

/// What a whole-second TTL may hide: the copy can outlive `asked + TTL` by up to this.
pub const TTL_ROUNDING: std::time::Duration = std::time::Duration::from_secs(1);

/// How a watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Every authoritative, resolver and client path sees the new data.
    Converged,
    /// Every path that answers converged; the others kept failing (see their `state`).
    ConvergedExceptFailing,
    /// The deadline passed with paths outstanding.
    Deadline,
    /// The caller cancelled the watch.
    Cancelled,
    /// The watch could not start (bad name, no servers): see `notes`.
    Invalid,
}

impl fmt::Display for EndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Converged => "all converged",
            Self::ConvergedExceptFailing => "converged except failing paths",
            Self::Deadline => "deadline passed",
            Self::Cancelled => "cancelled",
            Self::Invalid => "could not start",
        })
    }
}

/// Where one path stood when the watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathState {
    /// Serves (or reached) the new data.
    Converged,
    /// Still answering with old data.
    Old,
    /// Its last queries all failed (timeouts, SERVFAIL, refusals).
    Failing,
    /// Asked, but no answer yet (fewer failures than count as failing).
    NoAnswer,
    /// Never asked (the watch ended first).
    NotAsked,
}

/// Query counts of one DNS path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Queries {
    pub total: u32,
    pub answered: u32,
    pub timeouts: u32,
    pub servfails: u32,
    pub other_errors: u32,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthOutcome {
    pub name: String,
    pub addr: String,
    pub state: PathState,
    pub converged_ms: Option<u64>,
    pub converged_at: Option<String>,
    /// SOA serial it served right after converging.
    pub serial: Option<u32>,
    /// What it served last before converging (or at the end).
    pub last_values: Vec<String>,
    pub queries: Queries,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolverOutcome {
    pub name: String,
    pub addr: String,
    pub state: PathState,
    pub switched_ms: Option<u64>,
    pub switched_at: Option<String>,
    /// Remaining TTL on the first and the last old answer seen.
    pub first_old_ttl: Option<u32>,
    pub last_old_ttl: Option<u32>,
    /// When every cache must have let go of the old answer.
    pub predicted_ms: Option<u64>,
    pub predicted_at: Option<String>,
    /// `change_and_ttl` (change accepted + old TTL) or `resolver_ttl` (the
    /// earliest `asked + remaining TTL` of the resolver's old answers, plus
    /// one second for whole-second rounding).
    pub prediction_basis: Option<&'static str>,
    /// The earliest `asked + remaining TTL` of its old answers (whatever the basis).
    pub cache_expiry_ms: Option<u64>,
    /// Old answer kept past the prediction by more than 1 s.
    pub kept_past_prediction: bool,
    pub overstay_ms: Option<u64>,
    pub last_values: Vec<String>,
    pub queries: Queries,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientOutcome {
    /// The resolver whose answer the client connected through.
    pub resolver: String,
    pub reached_ms: Option<u64>,
    pub reached_at: Option<String>,
    pub requests: u32,
    /// Requests before the first success that failed (refused, timeout, bad status).
    pub failed: u32,
    /// Requests before the first success answered by the old pool.
    pub old_pool: u32,
    pub last_addr: Option<String>,
    pub last_error: Option<String>,
}

/// Everything one watch observed; offsets are milliseconds from the incident start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatchOutcome {
    pub name: String,
    pub rtype: String,
    pub expected: Vec<String>,
    pub end: EndReason,
    pub started_at: String,
    pub changed_ms: Option<u64>,
    pub ended_ms: u64,
    pub ended_at: String,
    pub authoritatives: Vec<AuthOutcome>,
    pub resolvers: Vec<ResolverOutcome>,
    pub clients: Vec<ClientOutcome>,
    /// Paths that had not converged at the end (failing ones included).
    pub outstanding: Vec<String>,
    /// Setup problems (discovery, client URL), in words.
    pub notes: Vec<String>,
}

/// What the outcome needs from the spec besides the board.
#[derive(Debug)]
pub struct Frame<'a> {
    pub name: &'a str,
    pub rtype: String,
    pub expected: Vec<String>,
    pub clock: Clock,
    pub changed_at: Option<Instant>,
    pub old_ttl: Option<u32>,
    pub end: EndReason,
    pub ended: Instant,
}

/// Read the board into the outcome.
pub fn build(f: &Frame<'_>, board: &Board) -> WatchOutcome {
    let c = &f.clock;
    WatchOutcome {
        name: f.name.to_string(),
        rtype: f.rtype.clone(),
        expected: f.expected.clone(),
        end: f.end,
        started_at: c.wall(c.start),
        changed_ms: f.changed_at.map(|t| c.ms(t)),
        ended_ms: c.ms(f.ended),
        ended_at: c.wall(f.ended),
        authoritatives: board
            .auths
            .iter()
            .map(|a| AuthOutcome {
                name: a.server.name.clone(),
                addr: a.server.addr.to_string(),
                state: state(a.converged.is_some(), &a.health),
                converged_ms: a.converged.map(|t| c.ms(t)),
                converged_at: a.converged.map(|t| c.wall(t)),
                serial: a.serial,
                last_values: a.last_values.clone(),
                queries: queries(&a.health),
            })
            .collect(),
        resolvers: board.resolvers.iter().map(|r| resolver(f, r)).collect(),
        clients: board
            .clients
            .iter()
            .zip(&board.resolvers)
            .map(|(cl, r)| client(c, cl, &r.server.name))
            .collect(),
        outstanding: board.outstanding(),
        notes: board.notes.clone(),
    }
}

fn resolver(f: &Frame<'_>, r: &ResolverTrack) -> ResolverOutcome {
    let c = &f.clock;
    let (predicted, basis) = prediction(f, r);
    // Kept until the switch, or (never switched but still answering old) until the end.
    let held_until = r.switched.or(r
        .last_old_at
        .filter(|_| !r.health.failing())
        .map(|_| f.ended));
    let overstay = match (predicted, held_until) {
        (Some(p), Some(h)) if h > p => Some(c.ms(h).saturating_sub(c.ms(p))),
        _ => None,
    };
    ResolverOutcome {
        name: r.server.name.clone(),
        addr: r.server.addr.to_string(),
        state: state(r.switched.is_some(), &r.health),
        switched_ms: r.switched.map(|t| c.ms(t)),
        switched_at: r.switched.map(|t| c.wall(t)),
        first_old_ttl: r.first_old.map(|(_, ttl)| ttl),
        last_old_ttl: r.last_old_ttl,
        predicted_ms: predicted.map(|t| c.ms(t)),
        predicted_at: predicted.map(|t| c.wall(t)),
        prediction_basis: basis,
        cache_expiry_ms: r.expiry.map(|t| c.ms(t)),
        kept_past_prediction: overstay.is_some_and(|o| o > OVERSTAY_TOLERANCE_MS),
        overstay_ms: overstay,
        last_values: r.last_values.clone(),
        queries: queries(&r.health),
    }
}

/// When the resolver should let go of the old answer, and why. The change
/// plus the TTL in force at the change, unless the resolver's first old
/// answer says its copy lives longer (by more than a second's rounding): a
/// copy fetched before the TTL was lowered rightly keeps the TTL it was
/// fetched with. A TTL counted in whole seconds is rounded down: the copy
/// may live up to one more second (unbound serves it through its TTL-0
/// second).
fn prediction(f: &Frame<'_>, r: &ResolverTrack) -> (Option<Instant>, Option<&'static str>) {
    let reported = r
        .first_old
        .map(|(sent, ttl)| sent + std::time::Duration::from_secs(u64::from(ttl)) + TTL_ROUNDING);
    let from_change = match (f.changed_at, f.old_ttl) {
        (Some(at), Some(ttl)) => Some(at + std::time::Duration::from_secs(u64::from(ttl))),
        _ => None,
    };
    match (from_change, reported) {
        // Beyond the rounding of its own count: a longer-lived copy.
        (Some(c), Some(rep)) if rep > c + 2 * TTL_ROUNDING => (Some(rep), Some("resolver_ttl")),
        (Some(c), _) => (Some(c), Some("change_and_ttl")),
        (None, _) => (
            r.expiry.map(|e| e + TTL_ROUNDING),
            r.expiry.map(|_| "resolver_ttl"),
        ),
    }
}

fn client(c: &Clock, cl: &ClientTrack, resolver: &str) -> ClientOutcome {
    ClientOutcome {
        resolver: resolver.to_string(),
        reached_ms: cl.reached.map(|t| c.ms(t)),
        reached_at: cl.reached.map(|t| c.wall(t)),
        requests: cl.requests,
        failed: cl.failed,
        old_pool: cl.old_pool,
        last_addr: cl.last_addr.map(|a| a.to_string()),
        last_error: cl.last_error.clone(),
    }
}

fn state(converged: bool, h: &Health) -> PathState {
    if converged {
        PathState::Converged
    } else if h.failing() {
        PathState::Failing
    } else if h.queries == 0 {
        PathState::NotAsked
    } else if h.answers == 0 {
        PathState::NoAnswer
    } else {
        PathState::Old
    }
}

fn queries(h: &Health) -> Queries {
    Queries {
        total: h.queries,
        answered: h.answers,
        timeouts: h.timeouts,
        servfails: h.servfails,
        other_errors: h.errors,
        last_error: h.last_error.clone(),
    }
}
