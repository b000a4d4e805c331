//! A zone's other static records from a zone file (RFC 1035 master file
//! syntax, read with hickory's parser), each with the line it starts on, so
//! every error names the file and the line.
//!
//! The file is read one entry at a time (an entry ends where its
//! parentheses close), with the `$ORIGIN`, `$TTL` and owner name in force
//! carried from entry to entry; `$INCLUDE` is refused.

use std::path::Path;

use hickory_proto::rr::{Name, Record, RecordType};
use hickory_proto::serialize::txt::Parser;

/// A record of the file and the line (from 1) its entry starts on.
pub type Lined = (usize, Record);

/// The records of the zone file at `path` for the zone `origin` (the
/// default `$ORIGIN`). Errors read `PATH, line N: what`.
pub fn read(path: &Path, origin: &Name) -> Result<Vec<Lined>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the zone file {}: {e}", path.display()))?;
    parse(&text, origin).map_err(|(line, e)| format!("{}, line {line}: {e}", path.display()))
}

/// The records of zone file `text`; an error with its line.
pub fn parse(text: &str, origin: &Name) -> Result<Vec<Lined>, (usize, String)> {
    let mut cur_origin = origin.clone();
    let mut ttl: Option<String> = None;
    let mut owner: Option<Name> = None;
    let mut out = Vec::new();
    for (line, entry) in entries(text).map_err(|(l, e)| (l, e.to_string()))? {
        let trimmed = entry.trim_start();
        let word = trimmed.split_whitespace().next().unwrap_or_default();
        match word.to_ascii_uppercase().as_str() {
            "$ORIGIN" => {
                let arg = trimmed
                    .split_whitespace()
                    .nth(1)
                    .ok_or((line, "$ORIGIN without a name".to_string()))?;
                cur_origin = Name::parse(arg, Some(&cur_origin))
                    .map_err(|e| (line, format!("$ORIGIN {arg}: {e}")))?;
                continue;
            }
            "$TTL" => {
                let arg = trimmed
                    .split_whitespace()
                    .nth(1)
                    .ok_or((line, "$TTL without a value".to_string()))?;
                ttl = Some(arg.to_string());
                continue;
            }
            "$INCLUDE" => {
                return Err((
                    line,
                    "$INCLUDE is not supported: put the records in this file".into(),
                ));
            }
            _ => {}
        }
        // An entry without an owner (it starts with a blank) continues the last one's.
        let starts_blank = entry.starts_with([' ', '\t']);
        let owner_text = match (&owner, starts_blank) {
            (Some(o), true) => o.to_ascii(),
            (None, true) => {
                return Err((
                    line,
                    "a record without an owner name, and none before it".into(),
                ));
            }
            _ => String::new(),
        };
        let mut one = format!("$ORIGIN {}\n", cur_origin.to_ascii());
        if let Some(t) = &ttl {
            one.push_str(&format!("$TTL {t}\n"));
        }
        one.push_str(&owner_text);
        one.push_str(&entry);
        one.push('\n');
        let (_, sets) = Parser::new(one, None, Some(cur_origin.clone()))
            .parse()
            .map_err(|e| (line, e.to_string()))?;
        for set in sets.into_values() {
            for r in set.records_without_rrsigs() {
                owner = Some(r.name.clone());
                out.push((line, r.clone()));
            }
        }
    }
    Ok(out)
}

/// The file's entries with the line each starts on: comments and blank
/// lines dropped, a parenthesised group joined into one entry.
fn entries(text: &str) -> Result<Vec<(usize, String)>, (usize, &'static str)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut depth = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let code = strip_comment(raw);
        for c in unquoted(code) {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth = depth
                        .checked_sub(1)
                        .ok_or((line, "a ')' without its '('"))?
                }
                _ => {}
            }
        }
        match &mut current {
            Some((_, text)) => {
                text.push(' ');
                text.push_str(code.trim());
            }
            None if code.trim().is_empty() => continue,
            None => current = Some((line, code.trim_end().to_string())),
        }
        if depth == 0 {
            out.extend(current.take());
        }
    }
    match current {
        Some((line, _)) if depth > 0 => Err((line, "a '(' that is never closed")),
        rest => {
            out.extend(rest);
            Ok(out)
        }
    }
}

/// `line` up to its comment (a `;` outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The characters of `code` outside quotes and escapes.
fn unquoted(code: &str) -> impl Iterator<Item = char> + '_ {
    let mut quoted = false;
    let mut escaped = false;
    code.chars().filter(move |c| match c {
        _ if escaped => {
            escaped = false;
            false
        }
        '\\' => {
            escaped = true;
            false
        }
        '"' => {
            quoted = !quoted;
            false
        }
        _ => !quoted,
    })
}

/// Why a record of the file cannot be served as a static record, if it
/// cannot: outside the zone, the SOA (from the zone's settings), or the
/// apex NS (from its name servers).
pub fn refused(origin: &Name, r: &Record) -> Option<String> {
    if !origin.zone_of(&r.name) {
        return Some(format!("{} is not in the zone {origin}", r.name));
    }
    match r.record_type() {
        RecordType::SOA => Some("the SOA comes from the zone's settings, not the zone file".into()),
        RecordType::NS if r.name == *origin => Some(
            "the NS records at the apex come from the zone's name_servers, not the zone file"
                .into(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn origin() -> Name {
        Name::from_str("gslb.example.com.").expect("name")
    }

    #[test]
    fn entries_carry_origin_ttl_owner_and_their_line() {
        let text = "; static records\n$TTL 300\nwww IN CNAME checkout\n\
                    mail 60 IN MX 10 mx.example.net.\n  IN TXT \"v=spf1 -all\" ; the owner goes on\n\
                    $ORIGIN sub.gslb.example.com.\nold IN SOA ns1 hostmaster (\n  1 2 3 4 5 )\n";
        let recs = parse(text, &origin()).expect("parses");
        let seen: Vec<(usize, String, RecordType, u32)> = recs
            .iter()
            .map(|(l, r)| (*l, r.name.to_ascii(), r.record_type(), r.ttl))
            .collect();
        assert_eq!(
            seen,
            vec![
                (3, "www.gslb.example.com.".into(), RecordType::CNAME, 300),
                (4, "mail.gslb.example.com.".into(), RecordType::MX, 60),
                (5, "mail.gslb.example.com.".into(), RecordType::TXT, 300),
                (7, "old.sub.gslb.example.com.".into(), RecordType::SOA, 300),
            ]
        );
        assert_eq!(
            recs[2].1.data.to_string(),
            "v=spf1 -all",
            "quoted text with a semicolon after it"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let bad = "$TTL 300\nwww IN A 192.0.2.1\napi IN A not-an-address\n";
        let (line, msg) = parse(bad, &origin()).expect_err("bad address");
        assert_eq!(line, 3, "{msg}");
        let open = "$TTL 300\nwww IN A 192.0.2.1\nx IN TXT ( \"a\"\n";
        assert_eq!(parse(open, &origin()).expect_err("open").0, 3);
        let inc = "$INCLUDE other.zone\n";
        let (line, msg) = parse(inc, &origin()).expect_err("include");
        assert_eq!(line, 1);
        assert!(msg.contains("$INCLUDE"), "{msg}");
    }

    #[test]
    fn what_the_file_may_not_give_is_refused() {
        let recs = parse(
            "$TTL 60\n@ IN NS ns9.example.net.\nsub IN NS ns9.example.net.\nx.example.net. IN A 192.0.2.1\n",
            &origin(),
        )
        .expect("parses");
        let why: Vec<bool> = recs
            .iter()
            .map(|(_, r)| refused(&origin(), r).is_some())
            .collect();
        assert_eq!(why, [true, false, true]);
    }
}
