//! Checks of single values: durations, TTLs, addresses, names, secrets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use rtoguard_provider_api::RecordType;

use super::locate::Issues;
use super::raw::S;

/// The longest duration any field accepts: a year. Longer values are typos,
/// and bounding them keeps every sum and product of config durations finite.
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(365 * 86_400);

/// The largest TTL DNS allows (RFC 2181 section 8: 2^31 - 1 seconds).
pub(crate) const MAX_TTL: u32 = i32::MAX as u32;

const DURATION_FORM: &str = "write a whole number and a unit without spaces, e.g. \"500ms\", \"30s\", \"5m\", \"1h\", \"1d\" (units ms, s, m, h, d; \"1h30m\" is fine)";

/// Parse `"30s"`, `"5m"`, `"1h30m"`: whole numbers with units ms, s, m, h, d.
pub(super) fn parse_duration(text: &str) -> Option<Duration> {
    let mut rest = text;
    let mut total = Duration::ZERO;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            "d" => Duration::from_secs(n.checked_mul(86_400)?),
            _ => return None,
        };
        total = total.checked_add(unit)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// Whether `text` has the form of a duration (digits and units) even if its
/// value overflowed: then the message says "too long", not "not a duration".
fn is_duration_form(text: &str) -> bool {
    let units: String = text.chars().filter(|c| !c.is_ascii_digit()).collect();
    text.starts_with(|c: char| c.is_ascii_digit())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
        && units.chars().all(|c| "mshd".contains(c))
}

/// Print a duration the way the config writes it.
pub(super) fn show(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let s = d.as_secs();
    match s {
        0 => "0s".to_string(),
        _ if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ if s.is_multiple_of(60) => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}

impl Issues<'_> {
    /// A duration field, or its default; `positive` refuses zero.
    pub(super) fn duration(
        &mut self,
        value: &Option<S<String>>,
        field: &str,
        default: Duration,
        positive: bool,
    ) -> Duration {
        let Some(v) = value else { return default };
        match parse_duration(v.get_ref()) {
            Some(d) if positive && d.is_zero() => {
                self.add(Some(v.span()), field, "must be above zero, e.g. \"30s\"");
                default
            }
            Some(d) if d > MAX_DURATION => {
                let msg = format!("{:?} is too long: at most 365d", v.get_ref());
                self.add(Some(v.span()), field, msg);
                default
            }
            Some(d) => d,
            None if is_duration_form(v.get_ref()) => {
                let msg = format!("{:?} is too long: at most 365d", v.get_ref());
                self.add(Some(v.span()), field, msg);
                default
            }
            None => {
                let msg = format!("{:?} is not a duration: {DURATION_FORM}", v.get_ref());
                self.add(Some(v.span()), field, msg);
                default
            }
        }
    }

    /// A TTL written as a duration: whole seconds, 1 s to 2^31-1 s.
    pub(super) fn ttl(&mut self, value: &Option<S<String>>, field: &str, default: u32) -> u32 {
        let Some(v) = value else { return default };
        let text = v.get_ref();
        let Some(d) = parse_duration(text) else {
            let msg = if is_duration_form(text) {
                format!("{text:?} is too large for a TTL: at most {MAX_TTL}s (2^31-1)")
            } else {
                format!("{text:?} is not a duration: {DURATION_FORM}")
            };
            self.add(Some(v.span()), field, msg);
            return default;
        };
        if d.is_zero() || d.subsec_nanos() != 0 {
            let msg = format!(
                "a TTL of {text:?} is not allowed: TTLs are whole seconds above zero, e.g. \"30s\", \"5m\""
            );
            self.add(Some(v.span()), field, msg);
            return default;
        }
        match u32::try_from(d.as_secs()) {
            Ok(ttl) if ttl <= MAX_TTL => ttl,
            _ => {
                let msg = format!("{text:?} is too large for a TTL: at most {MAX_TTL}s (2^31-1)");
                self.add(Some(v.span()), field, msg);
                default
            }
        }
    }

    /// A count from 1 to `max`.
    pub(super) fn count_to(
        &mut self,
        value: &Option<S<u32>>,
        field: &str,
        default: u32,
        max: u32,
    ) -> u32 {
        match value {
            Some(v) if *v.get_ref() > max => {
                let msg = format!("{} is too many: allowed are 1 to {max}", v.get_ref());
                self.add(Some(v.span()), field, msg);
                default
            }
            _ => self.count(value, field, default),
        }
    }

    /// A count that must be at least one.
    pub(super) fn count(&mut self, value: &Option<S<u32>>, field: &str, default: u32) -> u32 {
        match value {
            Some(v) if *v.get_ref() == 0 => {
                self.add(Some(v.span()), field, "must be 1 or more, not 0");
                default
            }
            Some(v) => *v.get_ref(),
            None => default,
        }
    }

    /// A socket address like "127.0.0.1:9419", with a port from 1 to 65535.
    pub(super) fn socket(&mut self, value: &S<String>, field: &str) -> Option<SocketAddr> {
        let Ok(addr) = value.get_ref().parse::<SocketAddr>() else {
            let msg = format!(
                "{:?} is not an address with a port: write e.g. \"127.0.0.1:9419\" or \"[::1]:9419\"",
                value.get_ref()
            );
            self.add(Some(value.span()), field, msg);
            return None;
        };
        self.port_not_zero(addr, value, field)
    }

    /// `addr`, unless its port is 0 (no peer listens there, and a listener
    /// on it would move at every start).
    fn port_not_zero(
        &mut self,
        addr: SocketAddr,
        value: &S<String>,
        field: &str,
    ) -> Option<SocketAddr> {
        if addr.port() != 0 {
            return Some(addr);
        }
        let msg = format!("{:?} has port 0: ports are 1 to 65535", value.get_ref());
        self.add(Some(value.span()), field, msg);
        None
    }

    /// An IP address without a port.
    pub(super) fn ip(&mut self, value: &S<String>, field: &str) -> Option<IpAddr> {
        value.get_ref().trim().parse().ok().or_else(|| {
            let msg = format!(
                "{:?} is not an IP address: write e.g. \"10.0.0.5\" or \"2001:db8::5\"",
                value.get_ref()
            );
            self.add(Some(value.span()), field, msg);
            None
        })
    }

    /// A server address; an address without a port means port 53.
    pub(super) fn dns_server(&mut self, value: &S<String>, field: &str) -> Option<SocketAddr> {
        let text = value.get_ref().trim();
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Some(SocketAddr::new(ip, 53));
        }
        let Ok(addr) = text.parse::<SocketAddr>() else {
            let msg = format!(
                "{text:?} is not an IP address: write e.g. \"127.0.0.1\" (port 53) or \"127.0.0.1:5353\""
            );
            self.add(Some(value.span()), field, msg);
            return None;
        };
        self.port_not_zero(addr, value, field)
    }
}

/// Why `value` cannot be an endpoint of a `rtype` record, if it cannot.
pub(super) fn endpoint_problem(rtype: RecordType, value: &str) -> Option<String> {
    let ok = match rtype {
        RecordType::A => value.parse::<Ipv4Addr>().is_ok(),
        RecordType::AAAA => value.parse::<Ipv6Addr>().is_ok(),
        RecordType::CNAME => value.parse::<IpAddr>().is_err() && is_hostname(value),
    };
    let want = match rtype {
        RecordType::A => "an IPv4 address like \"192.0.2.10\"",
        RecordType::AAAA => "an IPv6 address like \"2001:db8::10\"",
        RecordType::CNAME => "a host name like \"lb.eu.example.net.\"",
    };
    (!ok).then(|| format!("{value:?} is not {want}, as a {rtype} record needs"))
}

/// A DNS host name: labels of letters, digits, '-' and '_', an optional final dot.
pub(super) fn is_hostname(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A DNS name lower-case with its trailing dot (the provider contract's form).
pub(super) fn normalize_name(name: &str) -> String {
    rtoguard_provider_api::normalize_value(RecordType::CNAME, name)
}
