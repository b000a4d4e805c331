//! What each subcommand's man page says beyond its options: exit status,
//! the files it reads or writes, and examples.

/// One exit status and what it means for the command.
pub type Status = (u8, &'static str);

/// A page's own sections.
pub struct Page {
    pub exit: &'static [Status],
    pub files: &'static [&'static str],
    pub examples: &'static [(&'static str, &'static str)],
}

/// Exit statuses every command shares.
const USAGE: Status = (
    64,
    "usage or config error: an unknown flag or a missing argument, an unknown service or pool, an invalid config",
);
const CTRL_C: Status = (130, "aborted by Ctrl-C");

/// The files (by key, see [`file`]) and their meaning.
pub fn file(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "config" => (
            "/etc/rtoguard/config.toml",
            "the config (--config, or RTOGUARD_CONFIG)",
        ),
        "journal" => (
            "/var/lib/rtoguard/journal.sqlite3",
            "the journal of every decision and change, and the RTO reports (controller.state_dir)",
        ),
        "socket" => (
            "/run/rtoguard/control.sock",
            "the daemon's control socket (controller.control_socket); without it, commands act on the provider directly",
        ),
        "secrets" => (
            "/etc/rtoguard/*.key",
            "secret files the config names (TSIG secrets, API tokens, peer tokens)",
        ),
        _ => return None,
    })
}

const MOVE_EXIT: &[Status] = &[
    (
        0,
        "the service serves the pool (or already did: nothing to do), or --dry-run printed the plan",
    ),
    (
        1,
        "the provider refused or failed, the target pool failed its probe, or the daemon did not reach the pool in time",
    ),
    USAGE,
    CTRL_C,
];

/// The sections of subcommand `name`'s page.
pub fn page(name: &str) -> Page {
    let (exit, files, examples): (&[Status], &[&str], &[(&str, &str)]) = match name {
        "run" | "agent" => (
            &[
                (0, "stopped by SIGTERM or SIGINT"),
                (
                    1,
                    "could not start: a port or the control socket in use, the journal unwritable",
                ),
                USAGE,
            ],
            &["config", "journal", "socket", "secrets"],
            &[
                (
                    "rtoguard check --strict && systemctl enable --now rtoguard",
                    "check the config, then run the daemon under systemd",
                ),
                (
                    "rtoguard run --config ./config.toml -v",
                    "run in the foreground with debug logs",
                ),
            ],
        ),
        "check" => (
            &[
                (0, "the config is valid (warnings are printed, and allowed)"),
                (
                    64,
                    "the config is invalid, or has warnings and --strict was given",
                ),
            ],
            &["config", "secrets"],
            &[
                (
                    "rtoguard check --config /etc/rtoguard/config.toml",
                    "validate and summarise",
                ),
                (
                    "rtoguard check --strict --json",
                    "the verdict as JSON; warnings are errors",
                ),
            ],
        ),
        "doctor" => (
            &[
                (0, "every check passed"),
                (1, "a check failed (each is one line)"),
                USAGE,
            ],
            &["config", "secrets"],
            &[(
                "rtoguard doctor --config /etc/rtoguard/config.toml",
                "live preflight: provider, credentials, probes, peers, clocks, RTO budget",
            )],
        ),
        "status" => (
            &[
                (0, "every service was read"),
                (1, "a provider could not be read"),
                USAGE,
            ],
            &["config", "socket"],
            &[
                ("rtoguard status", "every service"),
                ("rtoguard status checkout --json", "one service, as JSON"),
            ],
        ),
        "failover" => (
            MOVE_EXIT,
            &["config", "journal", "socket"],
            &[
                (
                    "rtoguard failover checkout --to standby --planned --dry-run",
                    "print the record changes in order; change nothing",
                ),
                (
                    "rtoguard failover checkout --to standby --planned",
                    "lower the TTL, drain, flip, restore; Ctrl-C twice during the drain aborts",
                ),
                (
                    "rtoguard failover checkout --to standby --yes",
                    "flip now, without a prompt (scripts)",
                ),
            ],
        ),
        "failback" => (
            MOVE_EXIT,
            &["config", "journal", "socket"],
            &[
                (
                    "rtoguard failback checkout",
                    "back to the first pool, planned",
                ),
                (
                    "rtoguard failback checkout --now --yes",
                    "back at once, without a prompt",
                ),
            ],
        ),
        "drill" => (
            &[
                (0, "the drill failed over and back"),
                (1, "no daemon, or a move did not complete in time"),
                USAGE,
            ],
            &["config", "journal", "socket"],
            &[
                (
                    "rtoguard drill checkout --dwell 5m",
                    "a planned failover, five minutes on the standby, a planned failback",
                ),
                (
                    "rtoguard drill checkout --simulate-fault --yes --json",
                    "treat the active pool as down; each step as JSON",
                ),
            ],
        ),
        "pin" | "unpin" => (
            &[(0, "the daemon took it"), (1, "no daemon running"), USAGE],
            &["config", "socket", "journal"],
            &[
                (
                    "rtoguard pin checkout --reason \"db maintenance, OPS-12\" --for 2h",
                    "no automatic moves for two hours",
                ),
                (
                    "rtoguard unpin checkout --json",
                    "resume automation; the outcome as JSON",
                ),
            ],
        ),
        "watch" => (
            &[
                (0, "every watched server serves the values"),
                (1, "the timeout came first"),
                USAGE,
            ],
            &["config"],
            &[(
                "rtoguard watch checkout.example.com. --expect 192.0.2.20 --resolver 192.0.2.53",
                "time a change as a resolver sees it",
            )],
        ),
        "report" => (
            &[
                (0, "the report was printed or written"),
                (1, "no such report, or the journal cannot be read"),
                USAGE,
            ],
            &["config", "journal"],
            &[
                ("rtoguard report", "the latest report"),
                (
                    "rtoguard report --list --json",
                    "every stored report, one JSON object a line",
                ),
                (
                    "rtoguard report INCIDENT --format html -o rto.html",
                    "one report as HTML",
                ),
            ],
        ),
        "history" => (
            &[
                (
                    0,
                    "the entries were printed (with --follow: ended by Ctrl-C)",
                ),
                (1, "the journal cannot be read"),
                USAGE,
            ],
            &["config", "journal"],
            &[
                (
                    "rtoguard history checkout --since 2h",
                    "the last two hours of one service",
                ),
                (
                    "rtoguard history -n 20 --follow",
                    "the last twenty entries, then new ones as they come",
                ),
                (
                    "rtoguard history --since 2026-12-02T06:00:00Z --json",
                    "from a time on, as JSON",
                ),
            ],
        ),
        "completions" => (
            &[(0, "the script was printed")],
            &["config"],
            &[(
                "source <(rtoguard completions bash)",
                "complete commands, service and pool names in this bash",
            )],
        ),
        "man" => (
            &[
                (0, "the pages were printed or written"),
                (1, "a page could not be written"),
                USAGE,
            ],
            &[],
            &[
                ("rtoguard man failover | man -l -", "read the failover page"),
                (
                    "rtoguard man --dir /usr/local/share/man/man1",
                    "write every page",
                ),
            ],
        ),
        "demo" => (
            &[
                (0, "the demo ran to its report"),
                (1, "it could not run"),
                CTRL_C,
            ],
            &[],
            &[
                (
                    "rtoguard demo",
                    "the whole loop on this machine: two regions, a fault, the report",
                ),
                (
                    "rtoguard demo --provider rfc2136",
                    "the same story through an RFC 2136 authority, to compare the provider phase",
                ),
            ],
        ),
        _ => (
            &[(0, "success"), (1, "failure"), USAGE, CTRL_C],
            &["config"],
            &[],
        ),
    };
    Page {
        exit,
        files,
        examples,
    }
}
