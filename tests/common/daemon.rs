//! `rtoguard run` as a child process, for the daemon tests.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Testbed, run};

/// A running `rtoguard run`, killed on drop.
pub struct Daemon {
    pub child: Child,
    log: std::path::PathBuf,
}

impl Daemon {
    pub fn start(tb: &Testbed, env: &[(&str, &str)]) -> Self {
        Self::spawn(tb, env, Command::new(env!("CARGO_BIN_EXE_rtoguard")))
    }

    /// Like [`Daemon::start`], after `ulimit {ulimit}` (e.g. `-n 1024`: soft
    /// and hard), set by a shell that then execs the daemon, so the child's
    /// pid is the daemon's.
    pub fn start_limited(tb: &Testbed, env: &[(&str, &str)], ulimit: &str) -> Self {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &format!("ulimit {ulimit} && exec \"$0\" \"$@\"")])
            .arg(env!("CARGO_BIN_EXE_rtoguard"));
        Self::spawn(tb, env, cmd)
    }

    /// Like [`Daemon::start`], with `WATCHDOG_PID` set to the daemon's own
    /// pid as systemd sets it (a shell exports it, then execs the daemon).
    pub fn start_watched(tb: &Testbed, env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "export WATCHDOG_PID=$$; exec \"$0\" \"$@\""])
            .arg(env!("CARGO_BIN_EXE_rtoguard"));
        Self::spawn(tb, env, cmd)
    }

    /// Like [`Daemon::start`], under `ulimit -n nofile`.
    pub fn start_with_nofile(tb: &Testbed, env: &[(&str, &str)], nofile: u32) -> Self {
        Self::start_limited(tb, env, &format!("-n {nofile}"))
    }

    fn spawn(tb: &Testbed, env: &[(&str, &str)], mut cmd: Command) -> Self {
        let log = tb.dir.path().join(format!(
            "daemon-{}.log",
            std::process::id() as u128 + Instant::now().elapsed().as_nanos()
        ));
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = cmd
            .args(["run", "--log-format", "text", "--config", tb.config_str()])
            // RUST_LOG in `env` overrides this one.
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .expect("spawn rtoguard run");
        let d = Self { child, log };
        let sock = tb.dir.path().join("control.sock");
        wait_for(Duration::from_secs(15), || sock.exists(), || d.log_text());
        d
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Where its log goes.
    pub fn log_path(&self) -> &std::path::Path {
        &self.log
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    pub fn stop(mut self) -> String {
        self.signal("TERM");
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "daemon exited with {status}:\n{}",
            self.log_text()
        );
        self.log_text()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool, why: impl Fn() -> String) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("condition not met within {limit:?}:\n{}", why());
}

/// True when the daemon reports every pool of the service up.
pub fn all_up(tb: &Testbed) -> bool {
    let out = run(&["status", "--json", "--config", tb.config_str()]);
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        return false;
    };
    v["pools"]
        .as_array()
        .is_some_and(|ps| !ps.is_empty() && ps.iter().all(|p| p["health"] == "up"))
}
