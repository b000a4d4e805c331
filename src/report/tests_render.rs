//! The renderers: text and JSON snapshots, and a self-contained, well-formed HTML page.

use std::time::Duration;

use super::fixture::{entries, outcome};
use super::*;

/// The fixture's report of `kind` against an RTO of `rto` seconds, with `watch`.
fn built(kind: Kind, rto: u64, watch: &crate::propagation::WatchOutcome) -> Report {
    build(
        "checkout-1764000000000",
        "checkout",
        kind,
        Duration::from_secs(rto),
        &entries(),
        Some(watch),
    )
}

fn report() -> Report {
    built(Kind::Incident, 300, &outcome())
}

fn missed() -> Report {
    built(Kind::Drill, 30, &outcome())
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!("text_met", render_text(&report()));
    insta::assert_snapshot!("text_missed", render_text(&missed()));
}

#[test]
fn text_fits_100_columns() {
    let mut r = report();
    r.resolvers[0].name = "a-resolver-with-a-very-long-name-that-goes-on-and-on".into();
    r.notes.push("word ".repeat(60));
    r.timeline[0].detail = Some("x".repeat(200));
    for line in render_text(&r).lines() {
        assert!(
            line.chars().count() <= 100,
            "too wide ({}): {line}",
            line.chars().count()
        );
    }
}

/// A group's report: every path row is named after its record, e.g.
/// `ns1 www.checkout.example.test. CNAME`.
fn group_report() -> Report {
    let mut cname = outcome();
    cname.name = "www.checkout.example.test.".into();
    cname.rtype = "CNAME".into();
    let mut aaaa = outcome();
    aaaa.rtype = "AAAA".into();
    let group = crate::propagation::merge(outcome(), vec![aaaa, cname]);
    built(Kind::Incident, 300, &group)
}

#[test]
fn text_names_every_record_of_a_group_in_full() {
    let r = group_report();
    let text = render_text(&r);
    let names = r.authoritatives.iter().map(|a| &a.name);
    for name in names.chain(r.resolvers.iter().map(|x| &x.name)) {
        assert!(
            text.lines().any(|l| l.starts_with(name.as_str())),
            "{name} is not named in full:\n{text}"
        );
    }
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
    insta::assert_snapshot!("text_group", text);
}

#[test]
fn json_snapshot_and_round_trip() {
    let r = report();
    let json = render_json(&r);
    insta::assert_snapshot!("json_met", json);
    let back: Report = serde_json::from_str(&json).expect("the JSON reads back");
    assert_eq!(back, r);
}

#[test]
fn html_is_self_contained_with_charts() {
    let mut r = missed();
    r.notes.push("client <url> & \"quotes\"".into());
    let html = render_html(&r);
    for banned in [
        "http://", "https://", "<script", "<link", "src=", "url(", "@import",
    ] {
        assert!(
            !html.to_ascii_lowercase().contains(banned),
            "HTML contains {banned}"
        );
    }
    assert!(
        html.matches("<svg").count() == 2,
        "a phase chart and a resolver chart"
    );
    assert!(html.contains("RTO 30.0s"), "the RTO line is labelled");
    assert_eq!(html.matches("<circle").count(), 3, "a dot per resolver");
    assert!(html.contains("client &lt;url&gt; &amp; &quot;quotes&quot;"));
    assert!(html.contains("RTO MISSED by 21.0s"));
    well_formed(&html).unwrap_or_else(|e| panic!("{e}\n{html}"));
}

const VOID: [&str; 4] = ["meta", "br", "hr", "img"];

/// Tags nest and close, attributes are quoted, every `&` starts an entity.
fn well_formed(html: &str) -> Result<(), String> {
    let body = html.strip_prefix("<!DOCTYPE html>").ok_or("no doctype")?;
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find(['<', '&']) {
        let (head, tail) = rest.split_at(i);
        if head.contains('>') {
            return Err(format!("stray '>' in {head:?}"));
        }
        if tail.starts_with('&') {
            let end = tail.find(';').ok_or("unterminated entity")?;
            let name = &tail[1..end];
            let ok = ["amp", "lt", "gt", "quot", "#39"].contains(&name);
            if !ok {
                return Err(format!("bad entity &{name};"));
            }
            rest = &tail[end + 1..];
            continue;
        }
        let end = tail.find('>').ok_or("unterminated tag")?;
        let tag = &tail[1..end];
        rest = &tail[end + 1..];
        if tag.matches('"').count() % 2 != 0 || tag.contains('<') {
            return Err(format!("bad tag <{tag}>"));
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if let Some(closing) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("</{closing}> closes nothing"))?;
            if open != name {
                return Err(format!("<{open}> closed by </{name}>"));
            }
        } else if !tag.ends_with('/') && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("left open: {stack:?}"))
    }
}

#[test]
fn the_checker_catches_broken_html() {
    assert!(well_formed("<!DOCTYPE html><p><b></p></b>").is_err());
    assert!(well_formed("<!DOCTYPE html><p>a & b</p>").is_err());
    assert!(well_formed("<!DOCTYPE html><div>").is_err());
    assert!(well_formed("<!DOCTYPE html><div a=\"1\"><br><svg><rect/></svg></div>").is_ok());
}
