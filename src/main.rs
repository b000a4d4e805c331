//! The rtoguard binary: parse the command line, set up logging, run.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use clap::error::Error as ClapError;
use rtoguard::cli::{Cli, LogFormat};

fn main() -> ExitCode {
    // A shell asking for completions gets them, and nothing else runs.
    rtoguard::cli::complete_if_asked();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    // The demo tells its own story on stdout; the daemon inside it only warns.
    #[cfg(feature = "demo")]
    let quiet = matches!(cli.command, rtoguard::cli::Command::Demo(_));
    #[cfg(not(feature = "demo"))]
    let quiet = false;
    init_tracing(cli.log_format, cli.verbose, quiet);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(rtoguard::cli::run(cli))
}

/// Help and version go to stdout with exit 0; any other parse error is a
/// usage error: clap's message on stderr and exit 64 (EX_USAGE), as README
/// documents, not clap's own 2.
fn usage(e: &ClapError) -> ExitCode {
    // Printing can only fail on a closed stdout or stderr; the exit code
    // still says what happened.
    let _ = e.print();
    if e.use_stderr() {
        ExitCode::from(64)
    } else {
        ExitCode::SUCCESS
    }
}

fn init_tracing(format: LogFormat, verbose: u8, quiet: bool) {
    let default = match verbose {
        0 if quiet => "warn,hickory_server=error",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        // journald and pipes get JSON; a person at a terminal gets lines.
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
