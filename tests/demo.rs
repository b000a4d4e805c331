//! `rtoguard demo` end to end: the binary, non-interactive, with its own TMPDIR.

#![cfg(feature = "demo")]
// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use rtoguard_testkit::dns;

/// The demo promises a minute; the test allows for a loaded machine.
const LIMIT: Duration = Duration::from_secs(90);

/// A running `rtoguard demo`, its stdout lines on a channel; killed on drop.
struct Demo {
    child: Child,
    lines: mpsc::Receiver<String>,
    out: Vec<String>,
    stderr: PathBuf,
}

impl Demo {
    fn start(tmp: &Path, args: &[&str]) -> Self {
        let stderr = tmp.join("demo.stderr");
        let f = std::fs::File::create(&stderr).expect("stderr file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_rtoguard"))
            .arg("demo")
            .args(args)
            .env("TMPDIR", tmp)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(f)
            .spawn()
            .expect("spawn rtoguard demo");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines,
            out: Vec::new(),
            stderr,
        }
    }

    /// Everything printed so far, and the end of stderr.
    fn transcript(&self) -> String {
        let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let tail: String = err
            .chars()
            .rev()
            .take(4000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("{}\n--- stderr (end) ---\n{tail}", self.out.join("\n"))
    }

    /// Reads lines until one contains `want`; that line.
    fn wait_line(&mut self, want: &str, until: Instant) -> String {
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.out.push(line.clone());
                    if line.contains(want) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {want:?} in time:\n{}", self.transcript()),
            }
        }
    }

    /// Reads the rest of stdout and waits for the exit, both before `until`.
    fn finish(&mut self, until: Instant) -> ExitStatus {
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.out.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!(
                        "the demo did not end within {LIMIT:?}:\n{}",
                        self.transcript()
                    )
                }
            }
        }
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait().expect("wait for the demo") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "the demo did not exit within {LIMIT:?}:\n{}",
            self.transcript()
        )
    }

    fn output(&self) -> String {
        self.out.join("\n")
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path on the line `HTML report (kept after the demo): PATH`.
fn html_path(out: &str) -> PathBuf {
    let line = out
        .lines()
        .find(|l| l.starts_with("HTML report"))
        .unwrap_or_else(|| panic!("no HTML report line:\n{out}"));
    PathBuf::from(line.rsplit(": ").next().expect("a path after the colon"))
}

/// Scratch directories the demo left in `tmp`.
fn leftovers(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .expect("read TMPDIR")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("rtoguard-demo.") && !n.ends_with(".html"))
        .collect()
}

fn assert_has(out: &str, want: &str) {
    assert!(out.contains(want), "the output lacks {want:?}:\n{out}");
}

/// `rtoguard demo ARGS` run to its end in its own TMPDIR, which must
/// succeed; the TMPDIR and what it printed.
fn run_to_the_end(args: &[&str]) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().expect("TMPDIR for the demo");
    let until = Instant::now() + LIMIT;
    let mut demo = Demo::start(tmp.path(), args);
    let status = demo.finish(until);
    assert!(status.success(), "exit {status}:\n{}", demo.transcript());
    (tmp, demo.output())
}

#[test]
fn demo_fails_over_reports_and_fails_back() {
    let (tmp, out) = run_to_the_end(&[]);

    assert_has(&out, "through the caching resolver 127.0.0.1:");
    assert_has(&out, "fault: the primary region (127.0.0.2:");
    assert_has(&out, "detection: pool primary is down");
    assert_has(&out, "flipped from primary to standby");
    // The default provider is the embedded one: the controller serves the zone.
    assert_has(
        &out,
        "served by the controller itself (embedded provider) on 127.0.0.1:",
    );
    assert_has(&out, "authoritative demo-embedded serves 127.0.0.3");
    assert_has(&out, "clients reach the new pool at 127.0.0.3:");
    // Everything is on loopback and the objective is 30 s.
    assert_has(&out, "RTO MET: recovered in");
    // Clients ask through the demo's caching resolver: its cache is a phase
    // of the report, and the resolver is the path the clients took.
    assert_has(&out, "resolver caches");
    assert_has(&out, "demo-resolver");
    assert_has(&out, "Why the resolver cache phase");
    assert_has(&out, "Why no provider phase to speak of");

    let html = html_path(&out);
    assert!(
        html.starts_with(tmp.path()),
        "{} is not in TMPDIR",
        html.display()
    );
    let page = std::fs::read_to_string(&html).expect("the HTML report exists");
    assert!(page.contains("<svg"), "no chart in the HTML report");

    assert_has(&out, "failback: the controller accepted a planned failback");
    assert_has(&out, "flipped from standby to primary");
    assert_has(
        &out,
        "Failback complete: the authority serves 127.0.0.2 again",
    );
    assert_has(&out, "scratch directory removed");
    assert_eq!(
        leftovers(tmp.path()),
        Vec::<String>::new(),
        "scratch left behind"
    );
}

/// The same story through the RFC 2136 authority, the path to compare with:
/// its report has a provider phase, and the demo says what it was.
#[test]
fn demo_on_rfc2136_has_a_provider_phase_to_compare() {
    let (tmp, out) = run_to_the_end(&["--provider", "rfc2136"]);
    assert_has(&out, "on the authority updated over RFC 2136 at 127.0.0.1:");
    assert_has(&out, "authoritative demo-authority serves 127.0.0.3");
    assert_has(&out, "provider apply+sync");
    assert_has(
        &out,
        "Why the provider phase: the flip is an RFC 2136 update",
    );
    assert_has(
        &out,
        "Failback complete: the authority serves 127.0.0.2 again",
    );
    assert_eq!(
        leftovers(tmp.path()),
        Vec::<String>::new(),
        "scratch left behind"
    );
}

/// One HTTP GET; the raw response.
fn http_get(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).expect("connect to the region");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read the response");
    resp
}

/// The `ADDR:PORT` after `dig @ADDR -p PORT` in the keep instructions.
fn dig_server(line: &str) -> SocketAddr {
    let words: Vec<&str> = line.split_whitespace().collect();
    let ip = words[1].trim_start_matches('@');
    format!("{ip}:{}", words[3]).parse().expect("dig address")
}

#[test]
fn keep_leaves_the_peers_running_until_interrupted() {
    let tmp = tempfile::tempdir().expect("TMPDIR for the demo");
    let until = Instant::now() + LIMIT;
    let mut demo = Demo::start(tmp.path(), &["--keep"]);
    demo.wait_line("Everything keeps running until Ctrl-C", until);
    let dig = demo.wait_line("dig @", until);
    let curl = demo.wait_line("curl -si http://127.0.0.2:", until);

    // After the failback the authority itself answers with the primary.
    let answer = dns::query(
        dig_server(&dig),
        "www.demo.rtoguard.test.",
        RecordType::A,
        false,
    )
    .expect("query the demo authority");
    assert_eq!(answer.values, ["127.0.0.2"], "{answer:?}");
    assert!(answer.authoritative);
    let url = curl.split_whitespace().last().expect("a URL");
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("region address");
    let resp = http_get(addr).to_ascii_lowercase();
    assert!(resp.contains("\r\nx-region: primary\r\n"), "{resp}");

    let ok = Command::new("kill")
        .args(["-INT", &demo.child.id().to_string()])
        .status()
        .expect("kill -INT")
        .success();
    assert!(ok, "kill -INT");
    let status = demo.finish(until);
    assert!(status.success(), "exit {status}:\n{}", demo.transcript());
    assert_eq!(
        leftovers(tmp.path()),
        Vec::<String>::new(),
        "scratch left behind"
    );
    assert!(
        TcpStream::connect(addr).is_err(),
        "the primary region still answers after the demo stopped"
    );
}
