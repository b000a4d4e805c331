//! Dynamic shell completion (clap_complete's environment protocol, under
//! [`VAR`]): service and pool names come from the config, read at
//! completion time; no config, no candidates, never an error.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};

use crate::config::Config;

/// The environment variable the shell scripts set to ask for completions
/// (named for rtoguard, so a stray `COMPLETE` elsewhere cannot stop a command).
pub const VAR: &str = "RTOGUARD_COMPLETE";

/// When the shell asks for completions (or for its registration script),
/// answer and exit; otherwise return and let the command run.
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(<super::Cli as clap::CommandFactory>::command)
        .var(VAR)
        .complete();
}

/// The registration script for `shell` (what `rtoguard completions SHELL`
/// prints): it calls `rtoguard` back for each completion.
pub fn registration(shell: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let shells = clap_complete::env::Shells::builtins();
    let Some(s) = shells.completer(shell) else {
        return Err(std::io::Error::other(format!("no completion for {shell}")));
    };
    s.write_registration(VAR, "rtoguard", "rtoguard", "rtoguard", out)
}

/// Completes a service name.
pub fn services() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let Some(cfg) = config() else {
            return Vec::new();
        };
        let current = current.to_string_lossy();
        cfg.services
            .iter()
            .filter(|s| s.name.starts_with(current.as_ref()))
            .map(|s| {
                let pools: Vec<&str> = s.pools.iter().map(|p| p.name.as_str()).collect();
                let help = format!("{} (pools: {})", s.record, pools.join(", "));
                CompletionCandidate::new(s.name.clone()).help(Some(help.into()))
            })
            .collect()
    })
}

/// Completes a pool name (of every service, each named once).
pub fn pools() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let Some(cfg) = config() else {
            return Vec::new();
        };
        let current = current.to_string_lossy();
        let mut names: Vec<&str> = cfg
            .services
            .iter()
            .flat_map(|s| s.pools.iter().map(|p| p.name.as_str()))
            .filter(|n| n.starts_with(current.as_ref()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().map(CompletionCandidate::new).collect()
    })
}

/// The config the command being completed names (`--config`, `-c`), else
/// `RTOGUARD_CONFIG`, else the default; `None` when it cannot be read.
fn config() -> Option<Config> {
    let words: Vec<OsString> = std::env::args_os().collect();
    let path = config_in(&words).or_else(|| {
        // The same variable clap reads for --config; only here, at completion time.
        #[allow(clippy::disallowed_methods)]
        std::env::var_os("RTOGUARD_CONFIG").map(PathBuf::from)
    });
    let path = path.unwrap_or_else(|| PathBuf::from("/etc/rtoguard/config.toml"));
    crate::config::load(&path).ok()
}

/// `--config FILE`, `--config=FILE`, `-c FILE` or `-cFILE` among `words`.
fn config_in(words: &[OsString]) -> Option<PathBuf> {
    let mut it = words.iter().map(|w| w.to_string_lossy());
    while let Some(w) = it.next() {
        if w == "--config" || w == "-c" {
            return it.next().map(|p| PathBuf::from(p.as_ref()));
        }
        if let Some(p) = w.strip_prefix("--config=") {
            return Some(PathBuf::from(p));
        }
        if let Some(p) = w
            .strip_prefix("-c")
            .filter(|p| !p.is_empty() && !w.starts_with("--"))
        {
            return Some(PathBuf::from(p));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::config_in;

    #[test]
    fn the_config_is_found_in_each_spelling() {
        let words = |ws: &[&str]| {
            ws.iter()
                .map(Into::into)
                .collect::<Vec<std::ffi::OsString>>()
        };
        for ws in [
            &[
                "rtoguard", "--", "rtoguard", "failover", "--config", "/x.toml", "",
            ][..],
            &["rtoguard", "--config=/x.toml"][..],
            &["rtoguard", "-c", "/x.toml"][..],
            &["rtoguard", "-c/x.toml"][..],
        ] {
            assert_eq!(config_in(&words(ws)), Some("/x.toml".into()), "{ws:?}");
        }
        assert_eq!(
            config_in(&words(&["rtoguard", "failover", "--config"])),
            None
        );
        assert_eq!(config_in(&words(&["rtoguard", "--json"])), None);
    }
}
