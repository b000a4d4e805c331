//! The peers benchmark's table: one row per system, the ratios against the targets.

use std::time::Duration;

use super::servers::Kind;
use super::{Run, System, TTL};

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

fn s(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{x:.2}"))
}

/// min / median / max.
fn spread(v: &[f64]) -> String {
    format!(
        "{} / {} / {}",
        s(v.iter().copied().reduce(f64::min)),
        s(median(v.to_vec())),
        s(v.iter().copied().reduce(f64::max))
    )
}

/// The median of `field` over the runs of the row `want` picks.
fn row_median(
    rows: &[(System, Vec<Run>)],
    want: fn(System) -> bool,
    field: fn(&Run) -> f64,
) -> Option<f64> {
    let (_, runs) = rows.iter().find(|(s, _)| want(*s))?;
    median(runs.iter().map(field).collect())
}

fn reach_median(rows: &[(System, Vec<Run>)], want: fn(System) -> bool) -> Option<f64> {
    row_median(rows, want, |r| r.reach)
}

pub fn print_table(rows: &[(System, Vec<Run>)], runs: usize, took: Duration) {
    println!(
        "peers: sudden failure, {runs} runs per row, same testbed (unbound caching, client every 100 ms), TTL {TTL}"
    );
    println!(
        "| system, settings | client reaches standby (s) min / median / max | authority answers standby (s) min / median / max | cache's share (s, median of reach - authority) | failed requests (median) |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for (sys, out) in rows {
        let reach: Vec<f64> = out.iter().map(|r| r.reach).collect();
        let flip: Vec<f64> = out.iter().map(|r| r.flip).collect();
        let cache = median(out.iter().map(|r| r.reach - r.flip).collect());
        let failed = median(out.iter().map(|r| r.failed as f64).collect());
        println!(
            "| {} | {} | {} | {} | {} |",
            sys.label(),
            spread(&reach),
            spread(&flip),
            s(cache),
            failed.map_or("-".into(), |f| format!("{f:.0}")),
        );
    }
    let pdns = reach_median(rows, |s| matches!(s, System::Peer(Kind::PowerDns)));
    let gdnsd = reach_median(rows, |s| matches!(s, System::Peer(Kind::Gdnsd)));
    let fall1 = reach_median(rows, |s| matches!(s, System::Rtoguard(1)));
    let fall3 = reach_median(rows, |s| matches!(s, System::Rtoguard(3)));
    let n = rows.iter().map(|(_, out)| out.len()).min().unwrap_or(0);
    ratio(
        "rtoguard fall 3 median / PowerDNS median",
        fall3,
        pdns,
        1.0,
        n,
    );
    ratio(
        "rtoguard fall 3 median / gdnsd median",
        fall3,
        gdnsd,
        0.8,
        n,
    );
    ratio(
        "rtoguard fall 1 median / PowerDNS median",
        fall1,
        pdns,
        0.9,
        n,
    );
    let authority = |want: fn(System) -> bool| row_median(rows, want, |r| r.flip);
    let (a1, ap) = (
        authority(|s| matches!(s, System::Rtoguard(1))),
        authority(|s| matches!(s, System::Peer(Kind::PowerDns))),
    );
    if let (Some(a1), Some(ap)) = (a1, ap) {
        println!(
            "authority answers the standby, medians: rtoguard fall 1 {a1:.2}s, PowerDNS {ap:.2}s (the rest of the client's reach is the cache)"
        );
    }
    println!("whole benchmark: {:.0}s", took.as_secs_f64());
}

/// One ratio of medians, with the fewest runs any row completed (`n`).
fn ratio(label: &str, a: Option<f64>, b: Option<f64>, target: f64, n: usize) {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => {
            let r = a / b;
            let verdict = if r <= target { "MET" } else { "MISSED" };
            println!(
                "{label}: {r:.3} (target <= {target:.1}: {verdict}; medians of at least {n} runs per row)"
            );
        }
        _ => println!("{label}: no data"),
    }
}
