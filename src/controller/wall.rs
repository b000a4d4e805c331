//! Wall-clock times in the core's durable state: as people read them, and
//! as the journal stores them (RFC 3339).

use std::time::SystemTime;

/// A wall-clock time for people: RFC 3339 in UTC to the second, or what it
/// is when that cannot be written (before 1970, after 9999).
pub fn format_wall(t: SystemTime) -> String {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) if d.as_secs() <= serde_wall::LAST_SECOND => {
            humantime::format_rfc3339_seconds(t).to_string()
        }
        Ok(_) => "after the year 9999".into(),
        Err(_) => "before 1970".into(),
    }
}

/// Wall-clock times as RFC 3339 strings (UTC, milliseconds), for people and the journal.
pub mod serde_wall {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    /// The last second RFC 3339 can write (the end of the year 9999).
    pub(crate) const LAST_SECOND: u64 = 253_402_300_799;

    /// The time as text, or why it cannot be written.
    fn text(t: SystemTime) -> Result<String, &'static str> {
        match t.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) if d.as_secs() <= LAST_SECOND => {
                Ok(humantime::format_rfc3339_millis(t).to_string())
            }
            _ => Err("a time outside 1970 to 9999"),
        }
    }

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&text(*t).map_err(serde::ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }

    /// The same for `Option<SystemTime>`.
    pub mod opt {
        use super::*;

        pub fn serialize<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&text(*t).map_err(serde::ser::Error::custom)?),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<SystemTime>, D::Error> {
            let text = Option::<String>::deserialize(d)?;
            text.map(|t| humantime::parse_rfc3339(&t).map_err(serde::de::Error::custom))
                .transpose()
        }
    }

    /// The same for a list of times.
    pub mod many {
        use serde::ser::SerializeSeq;

        use super::*;

        pub fn serialize<S: Serializer>(ts: &[SystemTime], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(ts.len()))?;
            for t in ts {
                seq.serialize_element(&text(*t).map_err(serde::ser::Error::custom)?)?;
            }
            seq.end()
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SystemTime>, D::Error> {
            Vec::<String>::deserialize(d)?
                .iter()
                .map(|t| humantime::parse_rfc3339(t).map_err(serde::de::Error::custom))
                .collect()
        }
    }
}
