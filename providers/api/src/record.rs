//! Record sets and compare-and-set changes, checked when built.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::ProviderError;

/// The record types rtoguard manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RecordType {
    A,
    AAAA,
    CNAME,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::AAAA => "AAAA",
            Self::CNAME => "CNAME",
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RecordType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "A" => Ok(Self::A),
            "AAAA" => Ok(Self::AAAA),
            "CNAME" => Ok(Self::CNAME),
            other => Err(format!(
                "unsupported record type {other:?}: expected A, AAAA or CNAME"
            )),
        }
    }
}

/// The canonical text of one record value: addresses as `IpAddr` prints them,
/// names lower-case and absolute. Values that do not parse are kept as given.
pub fn normalize_value(rtype: RecordType, value: &str) -> String {
    let v = value.trim();
    match rtype {
        RecordType::A | RecordType::AAAA => v
            .parse::<IpAddr>()
            .map(|ip| ip.to_string())
            .unwrap_or_else(|_| v.to_string()),
        RecordType::CNAME => normalize_name(v),
    }
}

/// A DNS name lower-case with its trailing dot.
pub fn normalize_name(name: &str) -> String {
    let mut n = name.trim().to_ascii_lowercase();
    if !n.ends_with('.') {
        n.push('.');
    }
    n
}

/// What a provider serves at one name and type (one set id, for weighted records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSet {
    /// Absolute name, lower-case, with the trailing dot.
    pub name: String,
    pub rtype: RecordType,
    pub ttl: u32,
    /// Normalised, sorted, without duplicates.
    pub values: Vec<String>,
    /// Weighted records: the set identifier (rtoguard uses the pool name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_id: Option<String>,
    /// Weighted records: the weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// An alias record (Route 53): the name answers with the addresses of
    /// another DNS name. `values` is then empty and `ttl` 0 (an alias has no
    /// TTL of its own: its target's applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<AliasTarget>,
}

/// Where an alias record points (Route 53's `AliasTarget`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AliasTarget {
    /// The target's DNS name, lower-case and absolute
    /// (`my-lb-1234.eu-west-1.elb.amazonaws.com.`).
    pub dns_name: String,
    /// The hosted zone of the target (the load balancer's, not ours).
    pub hosted_zone_id: String,
    /// Whether Route 53 checks the target's health before answering with it.
    pub evaluate_target_health: bool,
}

impl AliasTarget {
    /// An alias target with its name normalised.
    pub fn new(dns_name: &str, hosted_zone_id: &str, evaluate_target_health: bool) -> Self {
        Self {
            dns_name: normalize_name(dns_name),
            hosted_zone_id: hosted_zone_id.trim().to_string(),
            evaluate_target_health,
        }
    }
}

impl fmt::Display for AliasTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "alias {} (zone {})", self.dns_name, self.hosted_zone_id)
    }
}

impl RecordSet {
    /// A plain record set; name and values are normalised.
    pub fn new<I, S>(name: &str, rtype: RecordType, ttl: u32, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut values: Vec<String> = values
            .into_iter()
            .map(|v| normalize_value(rtype, v.as_ref()))
            .collect();
        values.sort();
        values.dedup();
        Self {
            name: normalize_name(name),
            rtype,
            ttl,
            values,
            set_id: None,
            weight: None,
            alias: None,
        }
    }

    /// An alias record set: no values and no TTL of its own.
    pub fn alias(name: &str, rtype: RecordType, target: AliasTarget) -> Self {
        Self {
            alias: Some(target),
            ..Self::new(name, rtype, 0, None::<&str>)
        }
    }

    /// The same set as a weighted one.
    pub fn with_weight(mut self, set_id: &str, weight: u32) -> Self {
        self.set_id = Some(set_id.to_string());
        self.weight = Some(weight);
        self
    }

    /// The same set with another TTL (an alias set keeps none).
    pub fn with_ttl(mut self, ttl: u32) -> Self {
        if self.alias.is_none() {
            self.ttl = ttl;
        }
        self
    }

    /// True when the set answers with something: values, or an alias target.
    pub fn has_answer(&self) -> bool {
        !self.values.is_empty() || self.alias.is_some()
    }

    /// True when this set would send traffic somewhere: it has values (or
    /// an alias target) and, if weighted, a weight above zero.
    pub fn serves(&self) -> bool {
        self.has_answer() && self.weight.is_none_or(|w| w > 0)
    }
}

impl fmt::Display for RecordSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.alias {
            Some(alias) => write!(f, "{} {} {alias}", self.name, self.rtype)?,
            None => write!(
                f,
                "{} {} {} [{}]",
                self.name,
                self.ttl,
                self.rtype,
                self.values.join(" ")
            )?,
        }
        if let (Some(id), Some(w)) = (&self.set_id, self.weight) {
            write!(f, " set-id={id} weight={w}")?;
        }
        Ok(())
    }
}

/// A compare-and-set change: replace exactly `expected` with `desired`.
///
/// Built only through [`Change::new`], which refuses anything that would leave
/// the name serving nothing, so no provider can be asked to publish an empty
/// record set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    name: String,
    rtype: RecordType,
    expected: Vec<RecordSet>,
    desired: Vec<RecordSet>,
}

impl Change {
    /// Check and build a change. `expected` may be empty (the name holds
    /// nothing yet); `desired` may not.
    pub fn new(
        name: &str,
        rtype: RecordType,
        expected: Vec<RecordSet>,
        desired: Vec<RecordSet>,
    ) -> Result<Self, ProviderError> {
        let name = normalize_name(name);
        let refuse = |why: String| Err(ProviderError::Refused(format!("{name} {rtype}: {why}")));
        if desired.is_empty() {
            return refuse("the change would leave no record set".into());
        }
        for set in expected.iter().chain(&desired) {
            if set.name != name || set.rtype != rtype {
                return refuse(format!(
                    "record set {set} does not belong to this name and type"
                ));
            }
        }
        if let Some(empty) = desired.iter().find(|s| !s.has_answer()) {
            return refuse(format!("record set {empty} has no values"));
        }
        if let Some(both) = desired
            .iter()
            .find(|s| s.alias.is_some() && !s.values.is_empty())
        {
            return refuse(format!("record set {both} has both values and an alias"));
        }
        if !desired.iter().any(RecordSet::serves) {
            return refuse("every desired record set has weight 0: nothing would be served".into());
        }
        let weighted = desired.iter().filter(|s| s.set_id.is_some()).count();
        if weighted != 0 && weighted != desired.len() {
            return refuse("mixes weighted and plain record sets".into());
        }
        let mut ids: Vec<_> = desired.iter().filter_map(|s| s.set_id.as_deref()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return refuse("two desired record sets share a set id".into());
        }
        if rtype == RecordType::CNAME && desired.iter().any(|s| s.values.len() > 1) {
            return refuse("a CNAME record set holds exactly one value".into());
        }
        if let Some(zero) = desired.iter().find(|s| s.ttl == 0 && s.alias.is_none()) {
            return refuse(format!("record set {zero} has TTL 0"));
        }
        Ok(Self {
            name,
            rtype,
            expected,
            desired,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn rtype(&self) -> RecordType {
        self.rtype
    }
    /// The state the provider must still serve for the change to apply.
    pub fn expected(&self) -> &[RecordSet] {
        &self.expected
    }
    /// The state after the change.
    pub fn desired(&self) -> &[RecordSet] {
        &self.desired
    }
    /// True when nothing would change.
    pub fn is_noop(&self) -> bool {
        sorted(&self.expected) == sorted(&self.desired)
    }
}

/// Record sets for a message: `name ttl type [values]`, comma-separated.
pub fn show(sets: &[RecordSet]) -> String {
    sets.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Record sets in a stable order (by set id), for comparison.
pub fn sorted(sets: &[RecordSet]) -> Vec<RecordSet> {
    let mut v = sets.to_vec();
    v.sort_by(|a, b| a.set_id.cmp(&b.set_id).then(a.values.cmp(&b.values)));
    v
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "change {} {}", self.name, self.rtype)?;
        for s in &self.expected {
            writeln!(f, "  - {s}")?;
        }
        for s in &self.desired {
            writeln!(f, "  + {s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> RecordSet {
        RecordSet::new("www.example.com", RecordType::A, 300, values)
    }

    #[test]
    fn normalises_names_and_values() {
        let s = RecordSet::new(
            "WWW.Example.com",
            RecordType::AAAA,
            60,
            ["2001:DB8::0001", "2001:db8::1"],
        );
        assert_eq!(s.name, "www.example.com.");
        assert_eq!(s.values, vec!["2001:db8::1".to_string()]);
    }

    #[test]
    fn refuses_an_empty_desired_state() {
        let err = Change::new(
            "www.example.com.",
            RecordType::A,
            vec![set(&["192.0.2.1"])],
            vec![],
        )
        .unwrap_err();
        assert!(err.to_string().contains("no record set"), "{err}");
        let err =
            Change::new("www.example.com.", RecordType::A, vec![], vec![set(&[])]).unwrap_err();
        assert!(err.to_string().contains("has no values"), "{err}");
    }

    #[test]
    fn refuses_all_zero_weights() {
        let a = set(&["192.0.2.1"]).with_weight("primary", 0);
        let b = set(&["192.0.2.2"]).with_weight("standby", 0);
        let err = Change::new("www.example.com.", RecordType::A, vec![], vec![a, b]).unwrap_err();
        assert!(matches!(err, ProviderError::Refused(_)));
        assert!(!err.is_retryable());
    }

    #[test]
    fn refuses_foreign_names_and_bad_cname() {
        let other = RecordSet::new("other.example.com", RecordType::A, 300, ["192.0.2.1"]);
        assert!(Change::new("www.example.com.", RecordType::A, vec![], vec![other]).is_err());
        let cname = RecordSet::new(
            "www.example.com",
            RecordType::CNAME,
            300,
            ["a.example.net", "b.example.net"],
        );
        assert!(Change::new("www.example.com.", RecordType::CNAME, vec![], vec![cname]).is_err());
    }

    #[test]
    fn an_alias_set_is_not_empty() {
        let lb = |n: &str| AliasTarget::new(n, "Z32O12XQLNTSW2", false);
        let a = RecordSet::alias(
            "www.example.com",
            RecordType::A,
            lb("A-LB.elb.amazonaws.com"),
        )
        .with_weight("primary", 100);
        assert_eq!(
            a.alias.as_ref().unwrap().dns_name,
            "a-lb.elb.amazonaws.com."
        );
        assert!(a.serves() && a.values.is_empty());
        assert_eq!(
            a.clone().with_ttl(60).ttl,
            0,
            "an alias has no TTL of its own"
        );
        let b = RecordSet::alias(
            "www.example.com",
            RecordType::A,
            lb("b-lb.elb.amazonaws.com"),
        )
        .with_weight("standby", 0);
        let c = Change::new(
            "www.example.com.",
            RecordType::A,
            vec![],
            vec![a.clone(), b],
        )
        .expect("an alias set has an answer");
        assert!(
            c.to_string().contains("alias a-lb.elb.amazonaws.com."),
            "{c}"
        );
        let mut both = a;
        both.values = vec!["192.0.2.1".into()];
        let err = Change::new("www.example.com.", RecordType::A, vec![], vec![both]).unwrap_err();
        assert!(
            err.to_string().contains("both values and an alias"),
            "{err}"
        );
    }

    #[test]
    fn an_old_journal_line_reads_without_alias() {
        let s: RecordSet = serde_json::from_str(
            r#"{"name":"www.example.com.","rtype":"A","ttl":60,"values":["192.0.2.1"]}"#,
        )
        .unwrap();
        assert_eq!(s.alias, None);
    }

    #[test]
    fn accepts_a_flip_and_detects_noop() {
        let c = Change::new(
            "www.example.com.",
            RecordType::A,
            vec![set(&["192.0.2.1"])],
            vec![set(&["192.0.2.2"])],
        )
        .unwrap();
        assert!(!c.is_noop());
        let c = Change::new(
            "www.example.com.",
            RecordType::A,
            vec![set(&["192.0.2.1"])],
            vec![set(&["192.0.2.1"])],
        )
        .unwrap();
        assert!(c.is_noop());
    }
}
