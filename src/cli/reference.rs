//! `rtoguard man`: the man pages, one for rtoguard and one per subcommand
//! (clap_mangen for the options, [`super::pages`] for EXIT STATUS, FILES
//! and EXAMPLES), printed or written to a directory.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;

use super::pages::{self, Page};
use super::shared::fail_msg;
use super::{Cli, ManArgs};

pub fn run(a: &ManArgs) -> ExitCode {
    if let Some(dir) = &a.dir {
        return match write_all(dir) {
            Ok(n) => {
                eprintln!("wrote {n} pages to {}", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => fail_msg(&format!("cannot write to {}: {e}", dir.display()), 1),
        };
    }
    let page = match a.command.as_deref() {
        None => top(),
        Some(name) => match sub(name) {
            Some(p) => p,
            None => {
                let names = subcommand_names().join(", ");
                return fail_msg(&format!("no command {name:?}; commands are: {names}"), 64);
            }
        },
    };
    match page.and_then(|p| crate::out::bytes(&p)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail_msg(&e.to_string(), 1),
    }
}

/// Every page as (file name, roff): `rtoguard.1`, then `rtoguard-NAME.1`.
pub fn all() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = vec![("rtoguard.1".to_string(), top()?)];
    for name in subcommand_names() {
        // Listed from the command itself, so each has a page.
        if let Some(p) = sub(&name) {
            out.push((format!("rtoguard-{name}.1"), p?));
        }
    }
    Ok(out)
}

fn write_all(dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let pages = all()?;
    for (name, roff) in &pages {
        std::fs::write(dir.join(name), roff)?;
    }
    Ok(pages.len())
}

/// The subcommands with a page (all but `help`).
pub fn subcommand_names() -> Vec<String> {
    built()
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .map(|s| s.get_name().to_string())
        .collect()
}

/// The command tree as built (so each subcommand knows its full name).
fn built() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    cmd
}

/// rtoguard(1): clap_mangen's page, then the shared sections.
fn top() -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(Cli::command());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    man.render_subcommands_section(&mut buf)?;
    let page = Page {
        exit: &[
            (0, "success"),
            (1, "failure: a provider error, a failed check, a timeout"),
            (64, "usage or config error"),
            (130, "aborted by Ctrl-C"),
        ],
        files: &["config", "journal", "socket", "secrets"],
        examples: &[
            ("rtoguard check", "validate the config"),
            ("rtoguard status", "what each service serves"),
            ("rtoguard man failover", "the page of one command"),
        ],
    };
    sections(&mut buf, &page, None)?;
    man.render_version_section(&mut buf)?;
    Ok(buf)
}

/// rtoguard-NAME(1), or `None` when there is no such subcommand.
fn sub(name: &str) -> Option<std::io::Result<Vec<u8>>> {
    // The version section needs one (clap_mangen unwraps it).
    let cmd = built()
        .find_subcommand(name)?
        .clone()
        .version(env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd).source(concat!("rtoguard ", env!("CARGO_PKG_VERSION")));
    let mut buf = Vec::new();
    let rendered = (|| {
        man.render_title(&mut buf)?;
        man.render_name_section(&mut buf)?;
        man.render_synopsis_section(&mut buf)?;
        man.render_description_section(&mut buf)?;
        man.render_options_section(&mut buf)?;
        sections(&mut buf, &pages::page(name), Some(name))?;
        man.render_version_section(&mut buf)
    })();
    Some(rendered.map(|()| buf))
}

/// EXIT STATUS, FILES, EXAMPLES and SEE ALSO.
fn sections(w: &mut dyn Write, page: &Page, name: Option<&str>) -> std::io::Result<()> {
    writeln!(w, ".SH \"EXIT STATUS\"")?;
    for (code, what) in page.exit {
        writeln!(w, ".TP\n\\fB{code}\\fR\n{}", text(what))?;
    }
    writeln!(w, ".SH FILES")?;
    for (path, what) in page.files.iter().filter_map(|k| pages::file(k)) {
        writeln!(w, ".TP\n\\fI{}\\fR\n{}", text(path), text(what))?;
    }
    if page.files.is_empty() {
        writeln!(w, "None.")?;
    }
    writeln!(w, ".SH EXAMPLES")?;
    for (cmd, what) in page.examples {
        writeln!(w, ".TP\n\\fB{}\\fR\n{}", text(cmd), text(what))?;
    }
    if let Some(name) = name.filter(|_| page.examples.is_empty()) {
        writeln!(
            w,
            ".TP\n\\fBrtoguard {name} \\-\\-help\\fR\nthe options, briefly"
        )?;
    }
    writeln!(w, ".SH \"SEE ALSO\"")?;
    let see: Vec<String> = match name {
        Some(_) => vec!["\\fBrtoguard\\fR(1)".into()],
        None => subcommand_names()
            .iter()
            .map(|n| format!("\\fBrtoguard\\-{}\\fR(1)", text(n)))
            .collect(),
    };
    writeln!(w, "{}", see.join(", "))
}

/// `s` as roff text: backslashes and hyphens escaped, no line read as a request.
fn text(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}
