//! Secrets: where they come from, and a value that never prints.

use std::fmt;
use std::path::PathBuf;

use serde::de::IgnoredAny;

use super::locate::Issues;
use super::raw::S;

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

/// Why the daemon could not read the secret file at `path`, if it could not:
/// missing, not a regular file, or not readable by the user running this.
fn unreadable(path: &std::path::Path) -> Option<String> {
    let user = current_user();
    match std::fs::metadata(path) {
        Err(e) => return Some(format!("cannot read {}: {e}", path.display())),
        Ok(m) if !m.is_file() => {
            return Some(format!("{} is not a regular file", path.display()));
        }
        Ok(_) => {}
    }
    std::fs::File::open(path).err().map(|e| {
        format!(
            "{} is not readable by {user}, who runs this check: {e} (if the service runs as another User=, check as that user)",
            path.display()
        )
    })
}

/// The user name (or uid) this process runs as, for messages.
fn current_user() -> String {
    // Only to name the user in a message: the login's name is the only source.
    #[allow(clippy::disallowed_methods)]
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "the current user".to_string())
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

impl Issues<'_> {
    /// Whether the file at `f` can be read (always true when files are not
    /// checked); an issue on `field` when it cannot.
    pub(super) fn readable(&mut self, f: &S<PathBuf>, field: &str) -> bool {
        let why = self.check_files.then(|| unreadable(f.get_ref())).flatten();
        if let Some(why) = &why {
            self.add(Some(f.span()), field, why.clone());
            if let Some(last) = self.list.last_mut() {
                last.unreadable_file = true;
            }
        }
        why.is_none()
    }

    /// A secret from `<key>_file` or `<key>_env`; inline values are refused.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn secret(
        &mut self,
        prefix: &str,
        key: &str,
        inline: &Option<S<IgnoredAny>>,
        file: &Option<S<PathBuf>>,
        env: &Option<S<String>>,
        table_span: Option<std::ops::Range<usize>>,
    ) -> Option<SecretSource> {
        let field = format!("{prefix}.{key}");
        if let Some(v) = inline {
            let msg = format!("secrets are not written in the config: use {key}_file or {key}_env");
            self.add(Some(v.span()), field, msg);
            return None;
        }
        match (file, env) {
            (Some(f), None) => self
                .readable(f, &format!("{field}_file"))
                .then(|| SecretSource::File(f.get_ref().clone())),
            (None, Some(e)) if e.get_ref().is_empty() => {
                self.add(Some(e.span()), format!("{field}_env"), "names no variable");
                None
            }
            (None, Some(e)) => Some(SecretSource::Env(e.get_ref().clone())),
            (Some(f), Some(_)) => {
                let msg = format!("both {key}_file and {key}_env are set; set exactly one");
                self.add(Some(f.span()), format!("{field}_file"), msg);
                None
            }
            (None, None) => {
                let msg = format!("no secret given: set exactly one of {key}_file or {key}_env");
                self.add(table_span, field, msg);
                None
            }
        }
    }
}
