//! The control socket's client side: typed requests over one HTTP/1.1
//! exchange each, and [`Client::wait_until`] for following the daemon's status.

use std::path::{Path, PathBuf};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::net::UnixStream;

use super::{ErrorBody, ReplyBody, Request, StatusReply};

/// Why the daemon could not be asked, or what it refused.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No daemon listens: the socket is missing or refuses connections.
    #[error("no daemon at {path}: {source}")]
    NoDaemon {
        path: String,
        source: std::io::Error,
    },
    #[error("control socket {path}: {message}")]
    Protocol { path: String, message: String },
    /// The daemon answered with a 4xx/5xx.
    #[error("{message}")]
    Refused { status: u16, message: String },
}

impl ClientError {
    /// True when the error means "no daemon runs" (fall back to direct mode).
    pub fn is_no_daemon(&self) -> bool {
        matches!(self, Self::NoDaemon { .. })
    }
}

/// True when the error means "no daemon runs" (fall back to direct mode).
pub fn is_no_daemon(e: &ClientError) -> bool {
    e.is_no_daemon()
}

/// The daemon's status never satisfied [`Client::wait_until`] in time.
#[derive(Debug, thiserror::Error)]
#[error("not reached within {}s", limit.as_secs())]
pub struct WaitTimeout {
    pub limit: Duration,
    /// The last status read, if any was.
    pub last: Option<Box<StatusReply>>,
}

/// A client of one daemon's control socket.
#[derive(Debug, Clone)]
pub struct Client {
    socket: PathBuf,
}

impl Client {
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self {
            socket: socket.into(),
        }
    }

    /// Send `request`; its typed answer, or [`ClientError::Refused`] with the daemon's reason.
    pub async fn ask(&self, request: &Request) -> Result<ReplyBody, ClientError> {
        let wire = request.to_wire();
        let (status, bytes) =
            send(&self.socket, wire.method, &wire.path, wire.body.as_ref()).await?;
        match decode(request, status, &bytes) {
            Ok(ReplyBody::Error(e)) => Err(ClientError::Refused {
                status,
                message: e.error,
            }),
            Ok(body) => Ok(body),
            Err(message) => Err(ClientError::Protocol {
                path: self.socket.display().to_string(),
                message,
            }),
        }
    }

    /// Every service's status.
    pub async fn status(&self) -> Result<StatusReply, ClientError> {
        match self.ask(&Request::Status).await? {
            ReplyBody::Status(s) => Ok(s),
            // `decode` answers a status request with a status or an error only.
            other => Err(ClientError::Protocol {
                path: self.socket.display().to_string(),
                message: format!("a status request answered with {}", kind(&other)),
            }),
        }
    }

    /// Read the status every `poll` until `done` returns something, for at
    /// most `limit`. Unreadable statuses are skipped (the daemon may be busy
    /// or restarting); `done` sees every status read.
    pub async fn wait_until<T>(
        &self,
        limit: Duration,
        poll: Duration,
        mut done: impl FnMut(&StatusReply) -> Option<T>,
    ) -> Result<T, WaitTimeout> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut last = None;
        loop {
            if let Ok(s) = self.status().await {
                if let Some(t) = done(&s) {
                    return Ok(t);
                }
                last = Some(Box::new(s));
            }
            if tokio::time::Instant::now() + poll > deadline {
                return Err(WaitTimeout { limit, last });
            }
            tokio::time::sleep(poll).await;
        }
    }
}

fn kind(b: &ReplyBody) -> &'static str {
    match b {
        ReplyBody::Status(_) => "a status",
        ReplyBody::Accepted(_) => "an acceptance",
        ReplyBody::Drill(_) => "a drill",
        ReplyBody::DryRun(_) => "a dry run",
        ReplyBody::Evacuation(_) => "an evacuation",
        ReplyBody::Error(_) => "an error",
        ReplyBody::Risk(_) => "a risk window",
    }
}

/// The body the daemon sent for `request` with `status`, typed: a pure
/// function, the inverse of serialising a [`ReplyBody`].
pub fn decode(request: &Request, status: u16, body: &[u8]) -> Result<ReplyBody, String> {
    if status >= 400 {
        let error = serde_json::from_slice::<ErrorBody>(body)
            .map(|e| e.error)
            .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned());
        return Ok(ReplyBody::Error(ErrorBody { error }));
    }
    match request {
        Request::Status => parse(body).map(ReplyBody::Status),
        Request::Failover { .. } | Request::Failback { .. } if status == 200 => {
            parse(body).map(ReplyBody::DryRun)
        }
        Request::Drill { .. } => parse(body).map(ReplyBody::Drill),
        Request::Evacuate { .. } => parse(body).map(ReplyBody::Evacuation),
        Request::Risk(_) => parse(body).map(ReplyBody::Risk),
        _ => parse(body).map(ReplyBody::Accepted),
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("unexpected answer: {e}"))
}

/// Send `method path` with an optional JSON body; returns (status, JSON body).
/// The raw exchange under [`Client`], for callers that build their own paths.
pub async fn call(
    socket: &Path,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value), ClientError> {
    let (status, body) = send(socket, method, path, body).await?;
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    Ok((status, json))
}

/// One HTTP/1.1 exchange over the socket: (status, body bytes).
async fn send(
    socket: &Path,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Bytes), ClientError> {
    let sp = socket.display().to_string();
    let proto = |message: String| ClientError::Protocol {
        path: sp.clone(),
        message,
    };
    let stream = UnixStream::connect(socket)
        .await
        .map_err(|source| ClientError::NoDaemon {
            path: sp.clone(),
            source,
        })?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| proto(e.to_string()))?;
    tokio::spawn(conn);
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "rtoguard")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(bytes)))
        .map_err(|e| proto(e.to_string()))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| proto(e.to_string()))?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| proto(e.to_string()))?
        .to_bytes();
    Ok((status, body))
}
