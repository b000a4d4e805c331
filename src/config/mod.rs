//! The TOML config: strict parsing and validation.
//!
//! Two steps: `raw` holds the TOML as written (serde, `deny_unknown_fields`),
//! `validate`, `service` and `probe` turn it into the `types` the program
//! uses. Every issue names the file, the line and the field; all of them are
//! collected, not just the first. A config that validates then gets its
//! `warnings` (what cannot work as written), in the same form. [`specs`]
//! turns a service into what the probe layer and the controller take.

mod alias;
mod alias_probe;
mod azure;
mod compiled;
mod embedded;
mod fast;
mod gcloud_provider;
mod gradual;
mod groups;
mod limits;
mod locate;
mod notify;
mod pools;
mod probe;
mod providers;
mod raw;
mod records;
mod risk;
mod secret;
mod service;
mod shared_risk;
mod source;
pub mod specs;
mod summary;
mod tables;
mod topology;
mod tsig;
mod types;
mod types_notify;
mod validate;
mod values;
mod warnings;
mod webhook_provider;
mod zone_file;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_alias;
#[cfg(test)]
mod tests_alias_probe;
#[cfg(test)]
mod tests_azure;
#[cfg(test)]
mod tests_compiled;
#[cfg(test)]
mod tests_embedded;
#[cfg(test)]
mod tests_embedded_transfer;
#[cfg(test)]
mod tests_fast;
#[cfg(test)]
mod tests_fuzz;
#[cfg(test)]
mod tests_gcloud;
#[cfg(test)]
mod tests_gradual;
#[cfg(test)]
mod tests_groups;
#[cfg(test)]
mod tests_limits;
#[cfg(test)]
mod tests_notify;
#[cfg(test)]
mod tests_peers;
#[cfg(test)]
mod tests_powerdns;
#[cfg(test)]
mod tests_records;
#[cfg(test)]
mod tests_risk;
#[cfg(test)]
mod tests_shared_risk;
#[cfg(test)]
mod tests_topology;
#[cfg(test)]
mod tests_validation;
#[cfg(test)]
mod tests_values;
#[cfg(test)]
mod tests_warnings;
#[cfg(test)]
mod tests_webhook;
#[cfg(all(test, feature = "embedded"))]
mod tests_zone_file;

use std::fmt;
use std::path::{Path, PathBuf};

use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue};

pub use azure::{AzureConfig, AzureCredentials, WRITE_AZURE};
pub use compiled::{compiled_out, provider_compiled};
#[cfg(feature = "embedded")]
pub use embedded::zone_settings;
pub use embedded::{
    DEFAULT_LISTEN, DEFAULT_RATE_LIMIT, DEFAULT_TRANSFER_KEEP, EmbeddedConfig, EmbeddedTransfer,
    EmbeddedZone, WRITE_EMBEDDED,
};
pub use fast::{DEFAULT_FAST_INTERVAL, MIN_FAST_INTERVAL, detection};
pub use secret::{Secret, SecretSource};
pub use shared_risk::SharedRiskMode;
pub use source::MAX_CONFIG_BYTES;
pub use summary::summary;
pub use topology::{Loss, Topology, warnings as topology_warnings};
pub use types::*;
pub use types_notify::*;
pub use warnings::{
    Budget, WRITE_CLOUDFLARE, WRITE_POWERDNS, WRITE_RFC2136, WRITE_ROUTE53, write_time,
};

/// Everything wrong with one config file.
#[derive(Debug)]
pub struct ConfigError {
    pub issues: Vec<ConfigIssue>,
}

/// One thing wrong, where it is, and what is allowed.
#[derive(Debug, Clone)]
pub struct ConfigIssue {
    pub file: PathBuf,
    /// 1-based; None when no position is known (e.g. the file cannot be read).
    pub line: Option<usize>,
    /// The field path, e.g. `services[checkout].ttl.lowered`.
    pub field: String,
    pub message: String,
    /// A file the config names (a secret, a TLS key) that this user cannot
    /// read: `run` and reloads refuse it; plain `check` warns, since it may
    /// run on a review machine or as another user than the service's.
    pub unreadable_file: bool,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}: {}", self.field, self.message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// True when every issue is a file this user cannot read (the config
    /// itself is valid).
    pub fn only_unreadable_files(&self) -> bool {
        self.issues.iter().all(|i| i.unreadable_file)
    }
}

/// Read, parse and validate the config at `path` (secret files are not
/// opened: commands that only talk to the daemon use this).
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = source::read(path)?;
    parse(path, &text)
}

/// [`load`], and every file the daemon will read (secrets) must exist and be
/// readable by this user: for `check`, `run` and reloads.
pub fn load_checked(path: &Path) -> Result<Config, ConfigError> {
    let text = source::read(path)?;
    parse_with(path, &text, true)
}

/// Parse raw bytes as a config (size, UTF-8, then [`parse`]); the entry point
/// for fuzzing. Never panics; every issue names a line or the whole file.
pub fn parse_bytes(path_for_messages: &Path, bytes: &[u8]) -> Result<Config, ConfigError> {
    let text = source::text(bytes).map_err(|message| ConfigError {
        issues: vec![ConfigIssue {
            file: path_for_messages.to_path_buf(),
            line: None,
            field: "(file)".to_string(),
            message,
            unreadable_file: false,
        }],
    })?;
    parse(path_for_messages, &text)
}

/// Parse and validate config `text`; `path_for_messages` names it in issues.
pub fn parse(path_for_messages: &Path, text: &str) -> Result<Config, ConfigError> {
    parse_with(path_for_messages, text, false)
}

fn parse_with(path_for_messages: &Path, text: &str, files: bool) -> Result<Config, ConfigError> {
    let mut issues = locate::Issues::new(path_for_messages, text);
    issues.check_files = files;
    let (table, errors) = DeTable::parse_recoverable(text);
    let root = Spanned::new(table.span(), DeValue::Table(table.into_inner()));
    for err in &errors {
        issues.add_toml(&root, err, "(syntax)");
    }
    if !errors.is_empty() {
        return Err(ConfigError {
            issues: issues.list,
        });
    }
    let config = validate::config(&mut issues, &root, path_for_messages);
    match config {
        Some(mut config) if issues.list.is_empty() => {
            let mut warnings = locate::Issues::new(path_for_messages, text);
            warnings::check(&mut warnings, &root, &config);
            config.warnings = warnings.list;
            Ok(config)
        }
        _ => {
            if issues.list.is_empty() {
                issues.add(None, "(document)", "the config is incomplete");
            }
            Err(ConfigError {
                issues: issues.list,
            })
        }
    }
}
