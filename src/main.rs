//! The rtoguard binary: parse the command line, set up logging, run.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use clap::error::Error as ClapError;
use rtoguard::cli::{Cli, Command, LogFormat};

fn main() -> ExitCode {
    // A shell asking for completions gets them, and nothing else runs.
    rtoguard::cli::complete_if_asked();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    init_tracing(cli.log_format, cli.verbose, Voice::of(&cli.command));
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

/// Who reads a command's output: the daemons log for journald; every other
/// command talks to a person, tells its own story on stdout and logs only
/// warnings and errors on stderr (unless `-v`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Voice {
    Daemon,
    Person,
    /// `status`: a provider that does not answer is one line of its output,
    /// not a warning for every retry.
    Status,
    /// The demo: the daemon inside it only warns, and not of what the
    /// story tells (incidents); the embedded authority's chatter is not the
    /// story either.
    #[cfg(feature = "demo")]
    Demo,
}

impl Voice {
    fn of(command: &Command) -> Self {
        match command {
            Command::Run(_) | Command::Agent(_) => Self::Daemon,
            Command::Status(_) => Self::Status,
            #[cfg(feature = "demo")]
            Command::Demo(_) => Self::Demo,
            _ => Self::Person,
        }
    }

    /// The log filter without `-v` or `RUST_LOG`.
    fn default_filter(self) -> &'static str {
        match self {
            Self::Daemon => "info",
            Self::Person => "warn",
            Self::Status => "warn,rtoguard_provider_api::limits=error",
            #[cfg(feature = "demo")]
            Self::Demo => {
                "warn,hickory_server=error,rtoguard::controller::incident=error,rtoguard::runtime::service::incidents=error"
            }
        }
    }
}

fn init_tracing(format: LogFormat, verbose: u8, voice: Voice) {
    let default = match verbose {
        0 => voice.default_filter(),
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        // A daemon's journald and pipes get JSON; a person at a terminal,
        // and every command a person runs, gets lines.
        LogFormat::Auto => voice == Voice::Daemon && !std::io::stderr().is_terminal(),
    };
    // Colour only for a person at a terminal: text lines sent to a file,
    // a pipe or journald keep no escape codes.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
