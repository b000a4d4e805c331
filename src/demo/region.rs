//! A demo "region": an HTTP server on loopback that answers every path with
//! its marker (`x-region: NAME`, body `region NAME`), and can be killed and
//! revived on the same address.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue};
use axum::response::IntoResponse;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// The marker header every demo region sends.
pub const MARKER_HEADER: &str = "x-region";
/// How long [`DemoRegion::kill`] waits for open connections to close.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// A running listener: its stop signal and its task.
#[derive(Debug)]
struct Serving {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// A region serving on the caller's tokio runtime; its listener closes on
/// [`DemoRegion::kill`] or on drop.
#[derive(Debug)]
pub struct DemoRegion {
    /// The address it listens on (the chosen port when started on port 0).
    pub addr: SocketAddr,
    name: Arc<str>,
    reply: Arc<Reply>,
    serving: Option<Serving>,
}

/// What every request gets, built once.
#[derive(Debug)]
struct Reply {
    marker: HeaderValue,
    body: String,
}

impl DemoRegion {
    /// Starts region `name` listening on `addr` (port 0 picks a free port,
    /// which [`DemoRegion::revive`] then reuses).
    pub async fn start(addr: SocketAddr, name: &str) -> io::Result<Self> {
        let marker = HeaderValue::from_str(name).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "region name is not a valid header value",
            )
        })?;
        let reply = Arc::new(Reply {
            marker,
            body: format!("region {name}\n"),
        });
        let mut region = Self {
            addr,
            name: Arc::from(name),
            reply,
            serving: None,
        };
        region.listen().await?;
        Ok(region)
    }

    /// The region's name, as sent in its marker header.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `http://ADDR/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Whether the region is listening.
    pub fn is_alive(&self) -> bool {
        self.serving.is_some()
    }

    /// Closes the listener (new connections are refused) and ends open
    /// connections. Does nothing if already killed.
    pub async fn kill(&mut self) {
        let Some(Serving { stop, mut task }) = self.serving.take() else {
            return;
        };
        stop.cancel();
        if tokio::time::timeout(KILL_GRACE, &mut task).await.is_err() {
            task.abort();
        }
        info!(region = %self.name, addr = %self.addr, "Region killed.");
    }

    /// Listens again on the same address. Does nothing if already alive.
    pub async fn revive(&mut self) -> io::Result<()> {
        if self.serving.is_some() {
            return Ok(());
        }
        self.listen().await?;
        info!(region = %self.name, addr = %self.addr, "Region revived.");
        Ok(())
    }

    async fn listen(&mut self) -> io::Result<()> {
        let listener = TcpListener::bind(self.addr).await?;
        self.addr = listener.local_addr()?;
        let app = Router::new()
            .fallback(answer)
            .with_state(self.reply.clone());
        let stop = CancellationToken::new();
        let signal = stop.clone().cancelled_owned();
        let name = self.name.clone();
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
            {
                warn!(region = %name, %error, "Region server failed.");
            }
        });
        self.serving = Some(Serving { stop, task });
        Ok(())
    }
}

impl Drop for DemoRegion {
    fn drop(&mut self) {
        if let Some(serving) = self.serving.take() {
            serving.stop.cancel();
            serving.task.abort();
        }
    }
}

/// Every path: 200, the marker header, `region NAME\n`.
async fn answer(State(reply): State<Arc<Reply>>) -> impl IntoResponse {
    (
        [(HeaderName::from_static(MARKER_HEADER), reply.marker.clone())],
        reply.body.clone(),
    )
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    /// One HTTP/1.1 request over a fresh connection; the raw response.
    async fn get(addr: SocketAddr, path: &str) -> io::Result<String> {
        let mut stream = TcpStream::connect(addr).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer"))??;
        Ok(response)
    }

    fn assert_marked(response: &str, name: &str) {
        assert!(response.starts_with("HTTP/1.1 200 "), "{response}");
        assert!(
            response
                .to_ascii_lowercase()
                .contains(&format!("\r\nx-region: {name}\r\n")),
            "{response}"
        );
        assert!(
            response.ends_with(&format!("\r\n\r\nregion {name}\n")),
            "{response}"
        );
    }

    #[tokio::test]
    async fn answers_every_path_with_its_marker() {
        let region = DemoRegion::start("127.0.0.1:0".parse().expect("valid address"), "primary")
            .await
            .expect("start");
        assert_ne!(region.addr.port(), 0);
        assert_marked(&get(region.addr, "/").await.expect("GET /"), "primary");
        assert_marked(
            &get(region.addr, "/healthz?x=1")
                .await
                .expect("GET /healthz"),
            "primary",
        );
    }

    #[tokio::test]
    async fn kill_refuses_connections_and_revive_restores_them() {
        let mut region =
            DemoRegion::start("127.0.0.1:0".parse().expect("valid address"), "standby")
                .await
                .expect("start");
        let addr = region.addr;
        assert_marked(&get(addr, "/").await.expect("GET before kill"), "standby");

        region.kill().await;
        assert!(!region.is_alive());
        let refused = TcpStream::connect(addr)
            .await
            .expect_err("the listener is closed");
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);

        region.revive().await.expect("revive");
        assert_eq!(region.addr, addr, "same address after revive");
        assert_marked(&get(addr, "/").await.expect("GET after revive"), "standby");
    }

    #[tokio::test]
    async fn a_name_that_is_not_a_header_value_is_refused() {
        let err = DemoRegion::start("127.0.0.1:0".parse().expect("valid address"), "bad\nname")
            .await
            .expect_err("invalid name");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
