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

/// Strict standard base64 (RFC 4648 §4, padding optional, whitespace ignored).
/// `None` on any other character or a dangling bit group.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut nbits = 0u32;
    let mut out = Vec::new();
    let mut padding = 0usize;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            padding += 1;
            continue;
        }
        if padding > 0 {
            return None; // data after padding
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    // Leftover bits must be fewer than a byte and zero; 6 leftover bits means a lone char.
    if nbits >= 6 || bits != 0 || padding > 2 {
        return None;
    }
    Some(out)
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
