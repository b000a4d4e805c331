//! Wall-clock formatting and parsing, durations in words, and percentiles.

/// RFC 3339 in UTC with milliseconds, from milliseconds since the epoch.
pub fn wall(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// Milliseconds since the epoch from an RFC 3339 time (`2026-11-25T16:30:56.4Z`,
/// `...+01:00`); `None` if it is not one.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut frac_ms = 0;
    if b[i] == b'.' {
        let digits = s[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
        let frac = &s[i + 1..i + 1 + digits];
        let padded = format!("{:0<3}", frac.get(..3.min(frac.len()))?);
        frac_ms = padded.parse::<i64>().ok()?;
        i += 1 + digits;
    }
    let offset_min = match s.get(i..)? {
        "Z" | "z" => 0,
        tz if tz.len() == 6 => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            sign * (tz.get(1..3)?.parse::<i64>().ok()? * 60 + tz.get(4..6)?.parse::<i64>().ok()?)
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 24 + h) * 60 + mi - offset_min) * 60_000 + se * 1000 + frac_ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// A duration for people: `450ms`, `2.15s`, `14.1s`, `1m12s`, `2h05m` (truncated, not rounded).
pub fn dur(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let a = ms.unsigned_abs();
    let body = if a < 1000 {
        format!("{a}ms")
    } else if a < 10_000 {
        format!("{}.{:02}s", a / 1000, a % 1000 / 10)
    } else if a < 60_000 {
        format!("{}.{}s", a / 1000, a % 1000 / 100)
    } else if a < 3_600_000 {
        format!("{}m{:02}s", a / 60_000, a / 1000 % 60)
    } else {
        format!("{}h{:02}m", a / 3_600_000, a / 60_000 % 60)
    };
    format!("{sign}{body}")
}

/// An offset from the incident start: `+2.1s`.
pub fn offset(ms: i64) -> String {
    if ms < 0 {
        dur(ms)
    } else {
        format!("+{}", dur(ms))
    }
}

/// Nearest-rank percentile (`q` in 0..=100) of unsorted values; `None` if empty.
pub fn percentile(values: &[i64], q: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let rank = (u64::from(q) * v.len() as u64).div_ceil(100).max(1) as usize;
    Some(v[rank.min(v.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_and_parse_round_trip() {
        let ms = 1_764_000_000_400;
        assert_eq!(wall(ms), "2025-11-24T16:00:00.400Z");
        assert_eq!(parse_rfc3339(&wall(ms)), Some(ms));
        assert_eq!(parse_rfc3339("2025-11-24T17:00:00.4+01:00"), Some(ms));
        assert_eq!(parse_rfc3339("2025-11-24T16:00:00.400123456Z"), Some(ms));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(wall(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn durations_and_percentiles() {
        assert_eq!(dur(450), "450ms");
        assert_eq!(dur(2_150), "2.15s");
        assert_eq!(dur(14_150), "14.1s");
        assert_eq!(dur(72_000), "1m12s");
        assert_eq!(dur(7_500_000), "2h05m");
        assert_eq!(offset(-1_500), "-1.50s");
        let v = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&v, 95), Some(10));
        assert_eq!(percentile(&[42], 95), Some(42));
        assert_eq!(percentile(&[], 50), None);
    }
}
