//! `rtoguard history`: the journal as lines for people, or one JSON object per entry.

use super::Entry;

/// One line for people: sequence, time, service, kind, actor, and the
/// event in words (an entry from before typed events shows its stored message).
pub fn text_line(e: &Entry) -> String {
    let message = e
        .event()
        .map_or_else(|| e.message.clone(), |ev| ev.to_string());
    format!(
        "{:>6} {} {:<12} {:<18} {:<14} {}",
        e.seq,
        wall(e.at_ms),
        e.service,
        e.kind,
        e.actor,
        message
    )
}

/// One JSON object: the entry, whose `detail` is its typed, versioned
/// event (`{"v": "2", "kind": ...}`), or what an older rtoguard stored.
pub fn json_line(e: &Entry) -> String {
    // An entry holds only strings, numbers and JSON values: it always serializes.
    serde_json::to_string(e).unwrap_or_default()
}

/// An entry's time for people: RFC 3339 in UTC with milliseconds.
fn wall(ms: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0).unsigned_abs());
    humantime::format_rfc3339_millis(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::{AlertLevel, PoolHealth};
    use crate::journal::{Event, Journal, Opened, Source};

    /// A small journal: an entry from before typed events, then typed ones.
    fn journal(dir: &std::path::Path) -> Journal {
        let j = Journal::open(dir).unwrap();
        j.with(|c| {
            c.execute(
                "INSERT INTO entries (at_ms, service, kind, actor, message, detail) VALUES (1764000000000, 'checkout', 'observation', 'rtoguard', 'pool primary is Down (was Up)', '{\"health\":\"Down\"}')",
                [],
            )
        })
        .unwrap();
        let src = Source {
            service: "checkout",
            incident: Some("checkout-1"),
            actor: "rtoguard",
        };
        let start = Event::IncidentStart {
            pool: Some("primary".into()),
            cause: Opened::Health {
                health: PoolHealth::Down,
            },
            window: None,
            change: None,
        };
        j.record(src, &start).unwrap();
        let alert = Event::Alert {
            level: AlertLevel::Critical,
            message: "automation halted: flip cap reached".into(),
        };
        j.record(src, &alert).unwrap();
        // Fixed times, so the lines can be compared.
        j.with(|c| c.execute("UPDATE entries SET at_ms = 1764000000000 + seq * 1000", []))
            .unwrap();
        j
    }

    #[test]
    fn history_text_shows_each_event_in_words() {
        let dir = tempfile::tempdir().unwrap();
        let j = journal(dir.path());
        let lines: Vec<String> = j.entries(None, 0).unwrap().iter().map(text_line).collect();
        insta::assert_snapshot!(lines.join("\n"), @r"
             1 2025-11-24T16:00:01.000Z checkout     observation        rtoguard       pool primary is Down (was Up)
             2 2025-11-24T16:00:02.000Z checkout     incident-start     rtoguard       pool primary is down
             3 2025-11-24T16:00:03.000Z checkout     alert              rtoguard       automation halted: flip cap reached
        ");
    }

    #[test]
    fn history_json_carries_the_typed_event() {
        let dir = tempfile::tempdir().unwrap();
        let j = journal(dir.path());
        let lines: Vec<serde_json::Value> = j
            .entries(None, 0)
            .unwrap()
            .iter()
            .map(|e| serde_json::from_str(&json_line(e)).unwrap())
            .collect();
        assert_eq!(lines[0]["detail"], serde_json::json!({ "health": "Down" }));
        assert_eq!(
            lines[2]["detail"],
            serde_json::json!({ "v": "2", "kind": "alert", "level": "critical", "message": "automation halted: flip cap reached" })
        );
    }
}
