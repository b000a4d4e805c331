//! The control socket's server side: axum over a Unix listener.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use axum::extract::connect_info::Connected;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::IncomingStream;
use axum::{Json, Router};
use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{DrillRequest, Envelope, MoveRequest, Reply, Request, users};

/// Who is on the other end of a connection.
#[derive(Debug, Clone)]
struct Peer(String);

impl Connected<IncomingStream<'_, UnixListener>> for Peer {
    fn connect_info(s: IncomingStream<'_, UnixListener>) -> Self {
        Self(
            s.io()
                .peer_cred()
                .map_or_else(|_| "uid:unknown".into(), |c| users::actor_for_uid(c.uid())),
        )
    }
}

/// Listen on `path` (mode 0660; a stale socket file is replaced) and send
/// every request to `tx` until `cancel` fires.
pub async fn serve(
    path: &Path,
    tx: mpsc::Sender<Envelope>,
    cancel: CancellationToken,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
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
    let app = Router::new()
        .route("/v1/status", get(status))
        .route("/v1/services/{name}/failover", post(failover))
        .route("/v1/services/{name}/failback", post(failback))
        .route("/v1/services/{name}/drill", post(drill))
        .route("/v1/services/{name}/pin", post(pin))
        .route("/v1/services/{name}/unpin", post(unpin))
        .fallback(|| async {
            to_response(Reply::error(
                404,
                "no such endpoint; see the control API in the README",
            ))
        })
        .with_state(tx);
    let svc = app.into_make_service_with_connect_info::<Peer>();
    Ok(tokio::spawn(async move {
        let _ = axum::serve(listener, svc)
            .with_graceful_shutdown(cancel.cancelled_owned())
            .await;
    }))
}

type Tx = State<mpsc::Sender<Envelope>>;

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

fn bad_body(e: JsonRejection) -> Response {
    to_response(Reply::error(
        400,
        format!("bad request body: {}", e.body_text()),
    ))
}

async fn status(State(tx): Tx, ConnectInfo(p): ConnectInfo<Peer>) -> Response {
    ask(&tx, p.0, Request::Status).await
}

async fn failover(
    State(tx): Tx,
    ConnectInfo(p): ConnectInfo<Peer>,
    UrlPath(name): UrlPath<String>,
    body: Result<Json<MoveRequest>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(mv)) if mv.to.is_some() => {
            ask(&tx, p.0, Request::Failover { service: name, mv }).await
        }
        Ok(_) => to_response(Reply::error(
            400,
            "failover needs a target pool: {\"to\": \"POOL\"}",
        )),
        Err(e) => bad_body(e),
    }
}

async fn failback(
    State(tx): Tx,
    ConnectInfo(p): ConnectInfo<Peer>,
    UrlPath(name): UrlPath<String>,
    body: Result<Json<MoveRequest>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(mv)) => ask(&tx, p.0, Request::Failback { service: name, mv }).await,
        Err(e) => bad_body(e),
    }
}

async fn drill(
    State(tx): Tx,
    ConnectInfo(p): ConnectInfo<Peer>,
    UrlPath(name): UrlPath<String>,
    body: Result<Json<DrillRequest>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(drill)) => {
            ask(
                &tx,
                p.0,
                Request::Drill {
                    service: name,
                    drill,
                },
            )
            .await
        }
        Err(e) => bad_body(e),
    }
}

async fn pin(
    State(tx): Tx,
    ConnectInfo(p): ConnectInfo<Peer>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    ask(&tx, p.0, Request::Pin { service: name }).await
}

async fn unpin(
    State(tx): Tx,
    ConnectInfo(p): ConnectInfo<Peer>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    ask(&tx, p.0, Request::Unpin { service: name }).await
}
