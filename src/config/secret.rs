//! Secrets: where they come from, and a value that never prints.

use std::fmt;
use std::path::PathBuf;

/// Where a secret is read from: a file or an environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
}

impl SecretSource {
    /// Read the secret now; the error names the source, never a value.
    pub fn read(&self) -> Result<Secret, String> {
        let raw = match self {
            Self::File(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read secret {}: {e}", self.describe()))?,
            // A `*_env` secret: the environment is where the config said it is.
            #[allow(clippy::disallowed_methods)]
            Self::Env(var) => std::env::var(var)
                .map_err(|e| format!("cannot read secret {}: {e}", self.describe()))?,
        };
        let value = raw.trim_end_matches(['\n', '\r']).to_string();
        if value.is_empty() {
            return Err(format!("secret {} is empty", self.describe()));
        }
        Ok(Secret(value))
    }

    /// "file /etc/x" or "env VAR": never the value.
    pub fn describe(&self) -> String {
        match self {
            Self::File(path) => format!("file {}", path.display()),
            Self::Env(var) => format!("env {var}"),
        }
    }
}

/// A secret value: `Debug` and `Display` print `REDACTED`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value read from somewhere other than a [`SecretSource`].
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}
