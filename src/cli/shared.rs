//! What every command shares: loading the config (exit 64 when it is wrong) and printing an error with its exit code.

use std::process::ExitCode;

use crate::config::{self, Config};

/// Print an error with its whole cause chain and return its exit code.
pub fn fail(err: &dyn std::error::Error, code: u8) -> ExitCode {
    let mut msg = format!("error: {err}");
    let mut src = err.source();
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    eprintln!("{msg}");
    ExitCode::from(code)
}

/// Print `msg` as an error and return `code`.
pub fn fail_msg(msg: &str, code: u8) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(code)
}

/// The config at `path`; when it is wrong, the issues are printed and the exit code is 64.
pub fn load(path: &std::path::Path) -> Result<Config, ExitCode> {
    config::load(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(64)
    })
}
