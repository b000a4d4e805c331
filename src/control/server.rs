//! The control socket's server side: the bounded server over a Unix listener, every request parsed by [`parse_request`].

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{Envelope, Reply, Request, parse_request, users};
use crate::bounded::{self, Limits, serve_connection};

/// Who is on the other end of a connection (`user:NAME` from SO_PEERCRED).
#[derive(Debug, Clone)]
struct Peer(String);

/// Listen on `path` (mode 0660; a stale socket file is replaced) and send
/// every request to `tx` until `cancel` fires, within [`Limits::CONTROL`].
pub async fn serve(
    path: &Path,
    tx: mpsc::Sender<Envelope>,
    cancel: CancellationToken,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    serve_with(path, tx, Limits::CONTROL, cancel).await
}

/// [`serve`] within `limits`.
pub async fn serve_with(
    path: &Path,
    tx: mpsc::Sender<Envelope>,
    limits: Limits,
    cancel: CancellationToken,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = bind(path)?;
    let router = Router::new().fallback(handle).with_state(tx);
    Ok(bounded::serve(
        "control socket",
        listener,
        limits,
        cancel,
        move |stream, (), stop| {
            let peer = Peer(
                stream
                    .peer_cred()
                    .map_or_else(|_| "uid:unknown".into(), |c| users::actor_for_uid(c.uid())),
            );
            serve_connection(stream, peer, router.clone(), limits, stop)
        },
    ))
}

/// Bind `path` (mode 0660), replacing a stale socket but never a live one.
fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("{} is in use: is another rtoguard running?", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    Ok(listener)
}

/// Every request: read the body (bounded by the server), parse, ask the daemon.
async fn handle(
    State(tx): State<mpsc::Sender<Envelope>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    method: Method,
    uri: Uri,
    body: Body,
) -> Response {
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if too_large {
                // The rest of the body is not worth reading: close after the answer.
                let mut resp = to_response(Reply::error(413, "request body too large"));
                let close = axum::http::HeaderValue::from_static("close");
                resp.headers_mut()
                    .insert(axum::http::header::CONNECTION, close);
                resp
            } else {
                to_response(Reply::error(
                    400,
                    format!("cannot read the request body: {e}"),
                ))
            };
        }
    };
    match parse_request(method.as_str(), uri.path(), &bytes) {
        Ok(request) => ask(&tx, peer.0, request).await,
        Err(reply) => to_response(reply),
    }
}

async fn ask(tx: &mpsc::Sender<Envelope>, actor: String, request: Request) -> Response {
    let (reply, rx) = oneshot::channel();
    if tx
        .send(Envelope {
            request,
            actor,
            reply,
        })
        .await
        .is_err()
    {
        return to_response(Reply::error(503, "the daemon is shutting down"));
    }
    match rx.await {
        Ok(r) => to_response(r),
        Err(_) => to_response(Reply::error(500, "the daemon dropped the request")),
    }
}

fn to_response(r: Reply) -> Response {
    let code = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, Json(r.body)).into_response()
}
