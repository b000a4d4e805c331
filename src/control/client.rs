//! The control socket's client side: one HTTP/1.1 request over the Unix socket.

use std::path::Path;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::UnixStream;

/// Why the daemon could not be asked.
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
}

/// Send `method path` with an optional JSON body; returns (status, JSON body).
pub async fn call(
    socket: &Path,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value), ClientError> {
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
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    Ok((status, json))
}

/// True when the error means "no daemon runs" (fall back to direct mode).
pub fn is_no_daemon(e: &ClientError) -> bool {
    matches!(e, ClientError::NoDaemon { .. })
}
