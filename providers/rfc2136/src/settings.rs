//! Settings of one RFC 2136 provider instance, and the TSIG key built from them.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::rr::{Name, TSigner, rdata::tsig::TsigAlgorithm as HickoryAlgorithm};
use rtoguard_provider_api::ProviderError;
pub use rtoguard_provider_api::TsigAlgorithm;

/// Allowed clock difference between us and the server, in seconds (RFC 8945 recommends 300).
const FUDGE_SECS: u16 = 300;

/// hickory's name for `a`.
fn to_hickory(a: TsigAlgorithm) -> HickoryAlgorithm {
    match a {
        TsigAlgorithm::HmacSha256 => HickoryAlgorithm::HmacSha256,
        TsigAlgorithm::HmacSha384 => HickoryAlgorithm::HmacSha384,
        TsigAlgorithm::HmacSha512 => HickoryAlgorithm::HmacSha512,
    }
}

/// Everything one RFC 2136 provider needs. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Rfc2136Settings {
    /// The provider's name in the config (`corp-bind`).
    pub name: String,
    /// The primary server that accepts updates (and answers reads).
    pub server: SocketAddr,
    /// TSIG key name, as the server knows it (`rtoguard.`).
    pub key_name: String,
    pub algorithm: TsigAlgorithm,
    /// The TSIG secret, base64 (as `tsig-keygen` prints it).
    pub secret_base64: String,
    /// How long to wait for one answer from the server.
    pub timeout: Duration,
    /// Request budget towards the server.
    pub requests_per_second: u32,
}

impl fmt::Debug for Rfc2136Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rfc2136Settings")
            .field("name", &self.name)
            .field("server", &self.server)
            .field("key_name", &self.key_name)
            .field("algorithm", &self.algorithm)
            .field("secret_base64", &"REDACTED")
            .field("timeout", &self.timeout)
            .field("requests_per_second", &self.requests_per_second)
            .finish()
    }
}

impl Rfc2136Settings {
    /// Where the credentials come from, for `ProviderError::Auth` (never the secret).
    pub fn credential_source(&self) -> String {
        format!("TSIG key {}", self.key_name)
    }

    /// Build the signer; `BadRequest` when the key name or secret is unusable.
    pub(crate) fn signer(&self) -> Result<TSigner, ProviderError> {
        let bad = |message: String| ProviderError::BadRequest {
            provider: self.name.clone(),
            message,
        };
        let key = decode_base64(&self.secret_base64).ok_or_else(|| {
            bad(format!(
                "the secret of TSIG key {} is not valid base64",
                self.key_name
            ))
        })?;
        if key.is_empty() {
            return Err(bad(format!(
                "the secret of TSIG key {} is empty",
                self.key_name
            )));
        }
        let name = Name::from_ascii(&self.key_name)
            .map_err(|e| bad(format!("TSIG key name {:?}: {e}", self.key_name)))?;
        TSigner::new(key, to_hickory(self.algorithm), name, FUDGE_SECS)
            .map_err(|e| bad(format!("TSIG key {}: {e}", self.key_name)))
    }
}

/// Strict standard base64, shared with the embedded provider's transfer keys.
pub(crate) use rtoguard_provider_api::decode_base64;

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(secret: &str) -> Rfc2136Settings {
        Rfc2136Settings {
            name: "corp-bind".into(),
            server: "127.0.0.1:53".parse().unwrap(),
            key_name: "rtoguard.".into(),
            algorithm: TsigAlgorithm::HmacSha256,
            secret_base64: secret.into(),
            timeout: Duration::from_secs(2),
            requests_per_second: 10,
        }
    }

    #[test]
    fn decodes_rfc4648_vectors() {
        for (text, want) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYmFy", "foobar"),
            ("Zm9v\nYmE=", "fooba"),
        ] {
            assert_eq!(
                decode_base64(text).as_deref(),
                Some(want.as_bytes()),
                "{text}"
            );
        }
        for bad in ["Z", "Zm9v!", "Zg==Zg", "Zh=="] {
            assert_eq!(decode_base64(bad), None, "{bad}");
        }
    }

    #[test]
    fn debug_and_errors_never_show_the_secret() {
        let secret = "c2VjcmV0LXNlY3JldA=*";
        let s = settings(secret);
        assert!(!format!("{s:?}").contains(secret));
        let Err(err) = s.signer() else {
            panic!("a secret that is not base64 was accepted")
        };
        assert!(matches!(err, ProviderError::BadRequest { .. }));
        assert!(!err.to_string().contains(secret), "{err}");
        assert!(!format!("{err:?}").contains(secret), "{err:?}");
    }
}
