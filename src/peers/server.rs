//! The peer API: `GET /v1/observations` behind a bearer token, over TCP or TLS.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::Observations;
use super::tls::{Remote, TlsFiles, TlsListener, server_config};
use crate::config::Secret;

#[derive(Clone)]
struct Shared {
    token: Secret,
    obs: watch::Receiver<Observations>,
}

/// Serve the peer API on `addr` until `cancel` fires: plain HTTP, or HTTPS
/// with `tls`. Peers must send `Authorization: Bearer <token>`. Returns the
/// bound address (port 0 picks one) and the server task.
pub async fn serve(
    addr: SocketAddr,
    tls: Option<TlsFiles>,
    token: Secret,
    obs: watch::Receiver<Observations>,
    cancel: CancellationToken,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    // Read the files before binding, so a bad file fails the call.
    let tls = tls
        .as_ref()
        .map(server_config)
        .transpose()
        .map_err(std::io::Error::other)?;
    let tcp = TcpListener::bind(addr).await?;
    let local = tcp.local_addr()?;
    let app = Router::new()
        .route("/v1/observations", get(observations))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such endpoint: the peer API serves GET /v1/observations",
            )
        })
        .with_state(Shared { token, obs });
    let svc = app.into_make_service_with_connect_info::<Remote>();
    info!(listen = %local, tls = tls.is_some(), "Peer API listening.");
    let handle = match tls {
        None => tokio::spawn(async move {
            let stop = cancel.cancelled_owned();
            let _ = axum::serve(tcp, svc).with_graceful_shutdown(stop).await;
        }),
        Some(config) => {
            let listener = TlsListener::start(tcp, config, cancel.clone())?;
            tokio::spawn(async move {
                let stop = cancel.cancelled_owned();
                let _ = axum::serve(listener, svc)
                    .with_graceful_shutdown(stop)
                    .await;
            })
        }
    };
    Ok((local, handle))
}

async fn observations(
    State(shared): State<Shared>,
    ConnectInfo(Remote(remote)): ConnectInfo<Remote>,
    headers: HeaderMap,
) -> Response {
    if let Err(reason) = authorize(&headers, &shared.token) {
        warn!(remote = %remote, reason, "Peer API request refused.");
        return error(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
    }
    let obs = shared.obs.borrow().clone();
    Json(obs).into_response()
}

/// Ok when the request carries our token; else why not (never the token).
fn authorize(headers: &HeaderMap, token: &Secret) -> Result<(), &'static str> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err("no Authorization header");
    };
    let Some(given) = value.as_bytes().strip_prefix(b"Bearer ") else {
        return Err("Authorization is not a bearer token");
    };
    if constant_time_eq(given, token.expose().as_bytes()) {
        Ok(())
    } else {
        Err("wrong token")
    }
}

/// Equal bytes, in a time that depends on the lengths only.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| std::hint::black_box(acc | (x ^ y)));
    diff == 0
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}
