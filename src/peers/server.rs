//! The peer API: `GET /v1/observations` behind a bearer token, over TCP or TLS, on the bounded server; a long-poll (see `push`) holds it until the observations change.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::Observations;
use super::tls::{TlsFiles, handshake, server_config};
use crate::bounded::{self, Limits, descriptors, serve_connection};
use crate::config::{Config, Secret};

/// The probe scheduler's smallest in-flight cap (`config::specs::limits`):
/// the reserve [`serve`] keeps when it has no config to size it from.
const SMALLEST_PROBES_IN_FLIGHT: usize = 64;

#[derive(Clone)]
struct Shared {
    token: Secret,
    obs: watch::Receiver<Observations>,
    /// The server's stop: a held long-poll answers at once.
    stop: CancellationToken,
}

/// The peer API's bounds for `cfg`: the defaults, with the connection cap
/// sized so probes (the scheduler's in-flight cap), provider calls and the
/// control socket keep their descriptors.
pub fn limits_for(cfg: &Config) -> Limits {
    let probes = crate::config::specs::limits(cfg).max_in_flight;
    limits_with_reserve(descriptors::reserve_for(probes))
}

fn limits_with_reserve(reserve: u64) -> Limits {
    let soft = descriptors::nofile().soft;
    Limits {
        max_connections: descriptors::peer_cap(soft, reserve),
        ..Limits::PEER_API
    }
}

/// Serve the peer API on `addr` until `cancel` fires: plain HTTP, or HTTPS
/// with `tls`. Peers must send `Authorization: Bearer <token>`. Returns the
/// bound address (port 0 picks one) and the server task. Bounds: the
/// defaults under the descriptor limit (see [`serve_with`]).
pub async fn serve(
    addr: SocketAddr,
    tls: Option<TlsFiles>,
    token: Secret,
    obs: watch::Receiver<Observations>,
    cancel: CancellationToken,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let limits = limits_with_reserve(descriptors::reserve_for(SMALLEST_PROBES_IN_FLIGHT));
    serve_with(addr, tls, token, obs, limits, cancel).await
}

/// [`serve`] within `limits`.
pub async fn serve_with(
    addr: SocketAddr,
    tls: Option<TlsFiles>,
    token: Secret,
    obs: watch::Receiver<Observations>,
    limits: Limits,
    cancel: CancellationToken,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    // Read the files before binding, so a bad file fails the call.
    let tls = tls
        .as_ref()
        .map(server_config)
        .transpose()
        .map_err(std::io::Error::other)?
        .map(TlsAcceptor::from);
    let tcp = TcpListener::bind(addr).await?;
    let local = tcp.local_addr()?;
    let router = router(Shared {
        token,
        obs,
        stop: cancel.clone(),
    });
    info!(listen = %local, tls = tls.is_some(), max_connections = limits.max_connections, "Peer API listening.");
    let handle = bounded::serve("peer API", tcp, limits, cancel, move |tcp, remote, stop| {
        let (router, tls) = (router.clone(), tls.clone());
        async move {
            match tls {
                None => serve_connection(tcp, remote, router, limits, stop).await,
                Some(acceptor) => {
                    let shake = handshake(&acceptor, tcp, remote);
                    let stream = tokio::select! {
                        _ = stop.cancelled() => return,
                        s = shake => s,
                    };
                    if let Some(stream) = stream {
                        serve_connection(stream, remote, router, limits, stop).await;
                    }
                }
            }
        }
    });
    Ok((local, handle))
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v1/observations", get(observations))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such endpoint: the peer API serves GET /v1/observations",
            )
        })
        .with_state(shared)
}

async fn observations(
    State(shared): State<Shared>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(reason) = authorize(&headers, &shared.token) {
        warn!(remote = %remote, reason, "Peer API request refused.");
        // Close at once: an unauthenticated client keeps no connection.
        let mut resp = error(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
        let close = header::HeaderValue::from_static("close");
        resp.headers_mut().insert(header::CONNECTION, close);
        return resp;
    }
    let wait = super::push::Wait::parse(query.as_deref());
    let (mut obs, waited) = super::push::answer(shared.obs.clone(), wait, &shared.stop).await;
    obs.served_at_ms = Some(super::skew::wall_ms());
    let version = super::push::version(&obs);
    let mut resp = Json(obs).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = header::HeaderValue::from_str(&version) {
        h.insert(super::push::VERSION_HEADER, v);
    }
    let waited_ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX);
    h.insert(super::push::WAITED_HEADER, waited_ms.into());
    resp
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
