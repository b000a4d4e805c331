//! One hosted zone: record sets as Route 53 holds them, and a change batch
//! checked and applied the way Route 53 does (all of it or nothing).

use std::collections::BTreeMap;

use super::xml::{Element, escape};

/// One resource record set, every field kept as sent: the routing fields
/// (`HealthCheckId`, `Region`, `GeoLocation.CountryCode`, ...) and the alias
/// target (`AliasTarget.DNSName`, ...) are leaves of `fields`, so a DELETE
/// matches only when all of them do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rrset {
    /// Lower-case and absolute, as Route 53 stores it.
    pub name: String,
    pub rtype: String,
    pub set_id: Option<String>,
    /// `TTL`, `Weight`, `HealthCheckId`, `AliasTarget.DNSName`, ...
    pub fields: BTreeMap<String, String>,
    /// The `ResourceRecords` values, sorted.
    pub values: Vec<String>,
}

/// The routing policies; a set id goes with exactly one of them.
const POLICIES: &[&str] = &[
    "Weight",
    "Region",
    "Failover",
    "GeoLocation",
    "MultiValueAnswer",
    "CidrRoutingConfig",
    "GeoProximityLocation",
];

fn absolute(name: &str) -> String {
    let mut n = name.trim().to_ascii_lowercase();
    if !n.ends_with('.') {
        n.push('.');
    }
    n
}

impl Rrset {
    /// A set with no fields yet.
    pub fn new(name: &str, rtype: &str) -> Self {
        Self {
            name: absolute(name),
            rtype: rtype.to_string(),
            set_id: None,
            fields: BTreeMap::new(),
            values: Vec::new(),
        }
    }

    /// A plain set: TTL and values.
    pub fn plain(name: &str, rtype: &str, ttl: u32, values: &[&str]) -> Self {
        let mut s = Self::new(name, rtype).field("TTL", &ttl.to_string());
        s.values = values.iter().map(|v| v.to_string()).collect();
        s.values.sort();
        s
    }

    /// The same set as a weighted one.
    pub fn weighted(mut self, set_id: &str, weight: u32) -> Self {
        self.set_id = Some(set_id.to_string());
        self.field("Weight", &weight.to_string())
    }

    /// The same set with one more field (`HealthCheckId`, ...).
    pub fn field(mut self, key: &str, value: &str) -> Self {
        let value = match key {
            "AliasTarget.DNSName" => absolute(value),
            _ => value.to_string(),
        };
        self.fields.insert(key.to_string(), value);
        self
    }

    /// A field's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// Route 53's order: name with its labels reversed, type, set id.
    fn key(&self) -> Key {
        key(
            &self.name,
            &self.rtype,
            self.set_id.as_deref().unwrap_or(""),
        )
    }

    /// How Route 53 names a set in its messages.
    fn describe(&self) -> String {
        match &self.set_id {
            Some(id) => format!(
                "[name='{}', type='{}', set-identifier='{id}']",
                self.name, self.rtype
            ),
            None => format!("[name='{}', type='{}']", self.name, self.rtype),
        }
    }

    /// Read a `ResourceRecordSet` element.
    pub fn from_xml(el: &Element) -> Result<Self, String> {
        let name = el
            .text_of("Name")
            .ok_or("a ResourceRecordSet without Name")?;
        let rtype = el
            .text_of("Type")
            .ok_or("a ResourceRecordSet without Type")?;
        let mut s = Self::new(&name, &rtype);
        s.set_id = el.text_of("SetIdentifier");
        for c in &el.children {
            match c.name.as_str() {
                "Name" | "Type" | "SetIdentifier" => {}
                "ResourceRecords" => {
                    for r in &c.children {
                        s.values
                            .push(r.text_of("Value").ok_or("a ResourceRecord without Value")?);
                    }
                }
                _ if c.children.is_empty() => {
                    s.fields.insert(c.name.clone(), c.text.trim().to_string());
                }
                _ => {
                    for leaf in &c.children {
                        let mut v = leaf.text.trim().to_string();
                        if leaf.name == "DNSName" {
                            v = absolute(&v);
                        }
                        s.fields.insert(format!("{}.{}", c.name, leaf.name), v);
                    }
                }
            }
        }
        s.values.sort();
        Ok(s)
    }

    /// Write the `ResourceRecordSet` element.
    pub fn to_xml(&self) -> String {
        let mut out = format!(
            "<ResourceRecordSet><Name>{}</Name><Type>{}</Type>",
            escape(&self.name),
            escape(&self.rtype)
        );
        if let Some(id) = &self.set_id {
            out += &format!("<SetIdentifier>{}</SetIdentifier>", escape(id));
        }
        let mut open: Option<&str> = None;
        for (k, v) in &self.fields {
            let (parent, leaf) = match k.split_once('.') {
                Some((p, l)) => (Some(p), l),
                None => (None, k.as_str()),
            };
            if open != parent {
                if let Some(p) = open {
                    out += &format!("</{p}>");
                }
                if let Some(p) = parent {
                    out += &format!("<{p}>");
                }
                open = parent;
            }
            out += &format!("<{leaf}>{}</{leaf}>", escape(v));
        }
        if let Some(p) = open {
            out += &format!("</{p}>");
        }
        if !self.values.is_empty() {
            out += "<ResourceRecords>";
            for v in &self.values {
                out += &format!(
                    "<ResourceRecord><Value>{}</Value></ResourceRecord>",
                    escape(v)
                );
            }
            out += "</ResourceRecords>";
        }
        out + "</ResourceRecordSet>"
    }
}

/// Labels reversed, type, set id.
pub type Key = (Vec<String>, String, String);

pub fn key(name: &str, rtype: &str, set_id: &str) -> Key {
    let name = absolute(name);
    let labels = name
        .trim_end_matches('.')
        .split('.')
        .rev()
        .map(str::to_string)
        .collect();
    (labels, rtype.to_string(), set_id.to_string())
}

/// Why a batch was refused: the error code and Route 53's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// The zone's record sets.
#[derive(Debug, Clone)]
pub struct Zone {
    pub id: String,
    pub name: String,
    pub sets: BTreeMap<Key, Rrset>,
}

impl Zone {
    /// A zone holding its SOA and NS sets.
    pub fn new(id: &str, name: &str) -> Self {
        let name = absolute(name);
        let mut z = Self {
            id: id.to_string(),
            name: name.clone(),
            sets: BTreeMap::new(),
        };
        z.put(Rrset::plain(
            &name,
            "SOA",
            900,
            &["ns-1.double.test. hostmaster.double.test. 1 7200 900 1209600 86400"],
        ));
        z.put(Rrset::plain(&name, "NS", 172800, &["ns-1.double.test."]));
        z
    }

    /// Add or replace a set (another writer, or the test's seed).
    pub fn put(&mut self, s: Rrset) {
        self.sets.insert(s.key(), s);
    }

    /// The sets at `name` of `rtype`.
    pub fn at(&self, name: &str, rtype: &str) -> Vec<Rrset> {
        let name = absolute(name);
        self.sets
            .values()
            .filter(|s| s.name == name && s.rtype == rtype)
            .cloned()
            .collect()
    }

    /// Apply `changes` (action, set) all together, or refuse them all with
    /// every reason Route 53 would give.
    pub fn apply(&mut self, changes: &[(String, Rrset)]) -> Result<(), Refusal> {
        if changes.is_empty() {
            return Err(Refusal {
                code: "InvalidInput",
                message: "Invalid request: the ChangeBatch holds no Change".into(),
            });
        }
        for (_, s) in changes {
            shape(&self.name, s)?;
        }
        let mut sets = self.sets.clone();
        let mut messages = Vec::new();
        for (action, s) in changes {
            let k = s.key();
            match action.as_str() {
                "DELETE" => match sets.get(&k) {
                    Some(cur) if cur == s => {
                        sets.remove(&k);
                    }
                    Some(_) => messages.push(format!(
                        "Tried to delete resource record set {} but the values provided do not match the current values",
                        s.describe()
                    )),
                    None => messages.push(format!(
                        "Tried to delete resource record set {} but it was not found",
                        s.describe()
                    )),
                },
                "CREATE" => {
                    if let Some(why) = refuse_create(&sets, s, &self.name) {
                        messages.push(why);
                    } else {
                        sets.insert(k, s.clone());
                    }
                }
                other => {
                    return Err(Refusal {
                        code: "InvalidInput",
                        message: format!("Invalid request: unsupported action {other} here"),
                    });
                }
            }
        }
        if !messages.is_empty() {
            return Err(Refusal {
                code: "InvalidChangeBatch",
                message: format!("[{}]", messages.join(", ")),
            });
        }
        self.sets = sets;
        Ok(())
    }
}

/// Why Route 53 refuses to CREATE `s` beside `sets`, if it does.
fn refuse_create(sets: &BTreeMap<Key, Rrset>, s: &Rrset, zone: &str) -> Option<String> {
    if sets.contains_key(&s.key()) {
        return Some(format!(
            "Tried to create resource record set {} but it already exists",
            s.describe()
        ));
    }
    let conflicting = sets.values().any(|o| {
        o.name == s.name && o.rtype == s.rtype && o.set_id.is_some() != s.set_id.is_some()
    });
    conflicting.then(|| {
        format!(
            "RRSet of type {t} with DNS name {n} is not permitted because a conflicting RRSet of type {t} with the same DNS name already exists in zone {zone}.",
            t = s.rtype,
            n = s.name
        )
    })
}

/// Route 53's checks of one set, before anything is matched.
fn shape(zone: &str, s: &Rrset) -> Result<(), Refusal> {
    let input = |why: String| {
        Err(Refusal {
            code: "InvalidInput",
            message: format!("Invalid request: {why}"),
        })
    };
    if s.name != zone && !s.name.ends_with(&format!(".{zone}")) {
        return Err(Refusal {
            code: "InvalidChangeBatch",
            message: format!(
                "[RRSet with DNS name {} is not permitted in zone {zone}]",
                s.name
            ),
        });
    }
    let alias = s.fields.keys().any(|k| k.starts_with("AliasTarget."));
    let plain = s.get("TTL").is_some() && !s.values.is_empty();
    if alias == plain || (alias && (s.get("TTL").is_some() || !s.values.is_empty())) {
        return input(format!(
            "Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found {} in Change with [Name={}, Type={}, SetIdentifier={}]",
            if alias { "more than one" } else { "none" },
            s.name,
            s.rtype,
            s.set_id.as_deref().unwrap_or("null")
        ));
    }
    if alias
        && [
            "AliasTarget.DNSName",
            "AliasTarget.HostedZoneId",
            "AliasTarget.EvaluateTargetHealth",
        ]
        .iter()
        .any(|k| s.get(k).is_none())
    {
        return input("an AliasTarget needs HostedZoneId, DNSName and EvaluateTargetHealth".into());
    }
    let policies = POLICIES
        .iter()
        .filter(|p| {
            s.fields
                .keys()
                .any(|k| k == *p || k.starts_with(&format!("{p}.")))
        })
        .count();
    match (&s.set_id, policies) {
        (Some(_), 1) | (None, 0) => {}
        (None, _) => {
            return input(format!(
                "Missing field 'SetIdentifier' in Change with [Name={}, Type={}, SetIdentifier=null]",
                s.name, s.rtype
            ));
        }
        (Some(id), _) => {
            return input(format!(
                "A record set with SetIdentifier {id} needs exactly one routing policy (Weight, Region, Failover, GeoLocation, MultiValueAnswer, ...)"
            ));
        }
    }
    if let Some(w) = s.get("Weight")
        && !w.parse::<u32>().is_ok_and(|w| w <= 255)
    {
        return input(format!("Weight {w} is not between 0 and 255"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route53::xml::parse;

    const Z: &str = "example.test.";

    fn zone(sets: &[Rrset]) -> Zone {
        let mut z = Zone::new("ZDOUBLE", Z);
        for s in sets {
            z.put(s.clone());
        }
        z
    }

    #[test]
    fn a_delete_matches_every_field() {
        let checked = Rrset::plain("www.example.test", "A", 60, &["192.0.2.1"])
            .weighted("primary", 100)
            .field("HealthCheckId", "hc-1");
        let mut z = zone(std::slice::from_ref(&checked));
        let mut without = checked.clone();
        without.fields.remove("HealthCheckId");
        let err = z.apply(&[("DELETE".into(), without)]).unwrap_err();
        assert_eq!(err.code, "InvalidChangeBatch");
        assert!(
            err.message.contains("do not match the current values"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("set-identifier='primary'"),
            "{}",
            err.message
        );
        z.apply(&[("DELETE".into(), checked)])
            .expect("exact delete");
        assert!(z.at("www.example.test.", "A").is_empty());
    }

    #[test]
    fn a_batch_is_all_or_nothing() {
        let a = Rrset::plain("www.example.test", "A", 60, &["192.0.2.1"]);
        let mut z = zone(std::slice::from_ref(&a));
        let b = Rrset::plain("www.example.test", "A", 60, &["192.0.2.2"]);
        let ghost = Rrset::plain("ghost.example.test", "A", 60, &["192.0.2.3"]);
        let err = z
            .apply(&[
                ("DELETE".into(), a.clone()),
                ("CREATE".into(), b),
                ("DELETE".into(), ghost),
            ])
            .unwrap_err();
        assert!(
            err.message.contains("but it was not found"),
            "{}",
            err.message
        );
        assert_eq!(z.at("www.example.test", "A"), vec![a]);
    }

    #[test]
    fn shapes_route53_refuses() {
        let mut z = zone(&[]);
        let no_id = Rrset::plain("www.example.test", "A", 60, &["192.0.2.1"]).field("Weight", "1");
        assert_eq!(
            z.apply(&[("CREATE".into(), no_id)]).unwrap_err().code,
            "InvalidInput"
        );
        let alias_ttl = Rrset::new("www.example.test", "A")
            .field("TTL", "60")
            .field("AliasTarget.DNSName", "lb.elb.amazonaws.com.")
            .field("AliasTarget.HostedZoneId", "Z1")
            .field("AliasTarget.EvaluateTargetHealth", "false");
        assert_eq!(
            z.apply(&[("CREATE".into(), alias_ttl)]).unwrap_err().code,
            "InvalidInput"
        );
        let plain = Rrset::plain("www.example.test", "A", 60, &["192.0.2.1"]);
        let weighted = Rrset::plain("www.example.test", "A", 60, &["192.0.2.2"]).weighted("p", 1);
        z.apply(&[("CREATE".into(), plain)]).unwrap();
        let err = z.apply(&[("CREATE".into(), weighted)]).unwrap_err();
        assert!(err.message.contains("conflicting RRSet"), "{}", err.message);
    }

    #[test]
    fn xml_round_trips() {
        let s = Rrset::new("WWW.example.test", "A")
            .weighted("primary", 100)
            .field("AliasTarget.DNSName", "LB.elb.amazonaws.com")
            .field("AliasTarget.HostedZoneId", "Z32O12XQLNTSW2")
            .field("AliasTarget.EvaluateTargetHealth", "false")
            .field("HealthCheckId", "hc-1");
        let back = Rrset::from_xml(&parse(&s.to_xml()).unwrap()).unwrap();
        assert_eq!(
            back.get("AliasTarget.DNSName"),
            Some("lb.elb.amazonaws.com.")
        );
        assert_eq!(back, s);
    }
}
