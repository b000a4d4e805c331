//! One line of `rtoguard doctor`: a verdict, what was checked, and why, in words.

use std::fmt;

use serde::Serialize;

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Fail => "FAIL",
        })
    }
}

/// One check: its verdict, its kind (`secret`, `provider`, …), the thing
/// checked and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub verdict: Verdict,
    pub check: &'static str,
    pub what: String,
    pub why: String,
}

impl Line {
    pub fn new(
        verdict: Verdict,
        check: &'static str,
        what: impl Into<String>,
        why: impl Into<String>,
    ) -> Self {
        Self {
            verdict,
            check,
            what: what.into(),
            why: why.into(),
        }
    }

    pub fn ok(check: &'static str, what: impl Into<String>, why: impl Into<String>) -> Self {
        Self::new(Verdict::Ok, check, what, why)
    }

    pub fn warn(check: &'static str, what: impl Into<String>, why: impl Into<String>) -> Self {
        Self::new(Verdict::Warn, check, what, why)
    }

    pub fn fail(check: &'static str, what: impl Into<String>, why: impl Into<String>) -> Self {
        Self::new(Verdict::Fail, check, what, why)
    }
}

/// `ok    provider  bind (rfc2136) for example.test.: …`
impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = self.verdict.to_string();
        write!(
            f,
            "{verdict:<5} {:<9} {}: {}",
            self.check, self.what, self.why
        )
    }
}

/// The last line: how many checks and how they came out.
pub fn tally(lines: &[Line]) -> String {
    let count = |v: Verdict| lines.iter().filter(|l| l.verdict == v).count();
    let (ok, warn, fail) = (
        count(Verdict::Ok),
        count(Verdict::Warn),
        count(Verdict::Fail),
    );
    let head = format!(
        "{} checks: {ok} ok, {warn} warning{}, {fail} failed",
        lines.len(),
        if warn == 1 { "" } else { "s" }
    );
    if fail > 0 {
        format!("{head}. Fix the FAIL lines, then run `rtoguard doctor` again.")
    } else {
        format!("{head}. Ready to run.")
    }
}

/// Format a duration for people: `5m 17s`, `1s 500ms`.
pub fn human(d: std::time::Duration) -> String {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    humantime::format_duration(std::time::Duration::from_millis(ms)).to_string()
}
