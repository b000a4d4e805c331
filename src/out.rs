//! What commands print on stdout, through [`outln!`] and [`out!`] instead of
//! `println!`/`print!`: a reader that goes away (`rtoguard history | head`)
//! must not make the command panic. The first failed write marks stdout
//! closed; later writes are skipped, and the command goes on with its work
//! (a failover whose output pipe closed still finishes the move) and exits
//! with the code its work earned. Loops that only print (`history
//! --follow`, `watch`) ask [`closed`] and stop.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// True once a write to stdout has failed (its reader is gone).
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// Write to stdout; on failure mark it closed and say nothing (there is no
/// one to say it to on stdout, and stderr may be the same pipe's sibling).
pub fn write(args: fmt::Arguments<'_>, newline: bool) {
    if closed() {
        return;
    }
    let mut out = io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush());
    if written.is_err() {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Write bytes (a man page, a completion script) to stdout. A reader that
/// went away is not an error (`rtoguard man | head`); any other failure
/// (a full disk behind a redirect) is.
pub fn bytes(b: &[u8]) -> io::Result<()> {
    if closed() {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    match out.write_all(b).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}

/// `println!` for command output: see the module docs.
macro_rules! outln {
    () => {
        $crate::out::write(format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::out::write(format_args!($($arg)*), true)
    };
}

/// `print!` for command output: see the module docs.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write(format_args!($($arg)*), false)
    };
}
