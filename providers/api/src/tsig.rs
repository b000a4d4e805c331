//! TSIG (RFC 8945) MAC algorithms: the words the config and the RFC 2136 provider share.

use std::fmt;
use std::str::FromStr;

/// The TSIG MAC algorithms rtoguard signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsigAlgorithm {
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl TsigAlgorithm {
    /// Every algorithm with its name.
    pub const ALL: [(Self, &'static str); 3] = [
        (Self::HmacSha256, "hmac-sha256"),
        (Self::HmacSha384, "hmac-sha384"),
        (Self::HmacSha512, "hmac-sha512"),
    ];

    /// The name BIND and `tsig-keygen` use, and the config's word (`hmac-sha256`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha384 => "hmac-sha384",
            Self::HmacSha512 => "hmac-sha512",
        }
    }
}

impl fmt::Display for TsigAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TsigAlgorithm {
    type Err = String;
    /// Case-insensitive, a trailing dot allowed (`HMAC-SHA256.` as in DNS).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let word = s.trim().trim_end_matches('.');
        Self::ALL
            .iter()
            .find(|(_, w)| w.eq_ignore_ascii_case(word))
            .map(|(a, _)| *a)
            .ok_or_else(|| {
                format!(
                    "unsupported TSIG algorithm {word:?}: expected hmac-sha256, hmac-sha384 or hmac-sha512"
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::TsigAlgorithm;

    #[test]
    fn names_parse_back() {
        for (alg, word) in TsigAlgorithm::ALL {
            assert_eq!(word.parse(), Ok(alg));
            assert_eq!(alg.to_string(), word);
        }
        assert_eq!("HMAC-SHA512".parse(), Ok(TsigAlgorithm::HmacSha512));
        assert_eq!("hmac-sha384.".parse(), Ok(TsigAlgorithm::HmacSha384));
        assert!("hmac-md5".parse::<TsigAlgorithm>().is_err());
    }
}
