//! moto's server (an in-memory AWS API, here for Route 53) on a free loopback port.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::net;

/// A running `moto_server`; killed on drop.
#[derive(Debug)]
pub struct Moto {
    pub addr: SocketAddr,
    child: Option<Child>,
    /// Where moto's request recorder writes (see [`Moto::record`]).
    recording: tempfile::TempDir,
}

/// One request moto's recorder kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// The whole URL, query string included.
    pub url: String,
    /// The body as text (decoded when moto kept it base64).
    pub body: String,
}

impl Moto {
    /// Start `moto_server` (found on `PATH`) on 127.0.0.1 at a free port and
    /// wait until it answers. Panics when it cannot be started.
    pub fn start() -> Self {
        let bin =
            find_on_path("moto_server").expect("moto_server on PATH (pip install 'moto[server]')");
        let mut last = String::new();
        for _ in 0..5 {
            match Self::try_start(&bin) {
                Ok(m) => return m,
                Err(e) => last = e,
            }
        }
        panic!("moto_server did not start: {last}");
    }

    fn try_start(bin: &PathBuf) -> Result<Self, String> {
        let ip = net::lo(1);
        let addr = SocketAddr::new(ip, net::free_port(ip));
        let recording = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &addr.port().to_string()])
            .current_dir(recording.path())
            .env("MOTO_RECORDER_FILEPATH", recording.path().join("requests"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", bin.display()))?;
        let mut moto = Self {
            addr,
            child: Some(child),
            recording,
        };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Some(c) = moto.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                return Err(format!("moto_server exited early: {status}"));
            }
            if moto
                .request("GET", "/moto-api/")
                .is_ok_and(|r| r.starts_with("HTTP/1.1 200"))
            {
                return Ok(moto);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("moto_server did not answer on {addr} within 30s"))
    }

    /// `http://ADDR`: the endpoint URL to give the AWS SDK.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Forget every resource (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let r = self
            .request("POST", "/moto-api/reset")
            .expect("POST /moto-api/reset");
        assert!(r.starts_with("HTTP/1.1 200"), "moto reset failed: {r}");
    }

    /// Keep every API request from now on (moto's recorder; what it kept
    /// before is forgotten): read them with [`Moto::recorded`].
    pub fn record(&self) {
        for path in [
            "/moto-api/recorder/reset-recording",
            "/moto-api/recorder/start-recording",
        ] {
            let r = self.request("POST", path).expect(path);
            assert!(r.starts_with("HTTP/1.1 200"), "{path} failed: {r}");
        }
    }

    /// The requests kept since [`Moto::record`], in the order moto took them.
    pub fn recorded(&self) -> Vec<Recorded> {
        let text =
            std::fs::read_to_string(self.recording.path().join("requests")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| {
                let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
                let body = field("body");
                let body = if v["body_encoded"] == true {
                    let bytes = base64::Engine::decode(
                        &base64::engine::general_purpose::STANDARD,
                        body.as_bytes(),
                    )
                    .unwrap_or_default();
                    String::from_utf8_lossy(&bytes).into_owned()
                } else {
                    body
                };
                Recorded {
                    method: field("method"),
                    url: field("url"),
                    body,
                }
            })
            .collect()
    }

    /// The bodies of the `ChangeResourceRecordSets` requests kept since
    /// [`Moto::record`] (`POST .../hostedzone/ID/rrset`): one per change batch.
    pub fn change_batches(&self) -> Vec<String> {
        self.recorded()
            .into_iter()
            .filter(|r| {
                let path = r.url.split('?').next().unwrap_or_default();
                r.method == "POST" && path.trim_end_matches('/').ends_with("/rrset")
            })
            .map(|r| r.body)
            .collect()
    }

    /// One HTTP/1.1 request without a body; the whole response as text.
    fn request(&self, method: &str, path: &str) -> std::io::Result<String> {
        let mut s = TcpStream::connect_timeout(&self.addr, Duration::from_millis(500))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        );
        s.write_all(req.as_bytes())?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    }

    /// Kill the server now.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

fn find_on_path(bin: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(bin))
        .find(|p| p.is_file())
}
