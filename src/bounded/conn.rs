//! One connection: hyper's HTTP/1 with the axum router as the service, and a supervisor that enforces the timeouts and the drain.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Limited;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;
use tower_service::Service;
use tracing::debug;

use super::activity::{Activity, Watched, WatchedBody};
use super::{DRAIN_TIMEOUT, Limits};

/// The largest request head (request line and headers), in bytes (hyper
/// takes no less than 8 KiB).
const MAX_HEAD: usize = 16 * 1024;
/// The most headers one request may carry.
const MAX_HEADERS: usize = 64;

/// Serve `io` with `router` until the client leaves, a timeout runs out, or
/// `cancel` fires (then in-flight requests get [`DRAIN_TIMEOUT`] to finish).
/// Every request carries `ConnectInfo(info)`.
pub async fn serve_connection<I, T>(
    io: I,
    info: T,
    router: Router,
    limits: Limits,
    cancel: CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    let activity = Activity::new();
    let io = TokioIo::new(Watched {
        io,
        activity: activity.clone(),
    });
    let act = activity.clone();
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let (router, act, info) = (router.clone(), act.clone(), info.clone());
        async move { Ok::<_, Infallible>(handle(router, req, info, limits.max_body, act).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .max_buf_size(MAX_HEAD)
        .max_headers(MAX_HEADERS);
    let conn = builder.serve_connection(io, svc);
    supervise(conn, &activity, &limits, cancel).await;
}

/// Drive `conn` until it ends, a deadline of `activity` passes, or the drain
/// after `cancel` runs out.
async fn supervise<C>(conn: C, activity: &Activity, limits: &Limits, cancel: CancellationToken)
where
    C: std::future::Future<Output = hyper::Result<()>> + GracefulShutdown,
{
    let mut conn = std::pin::pin!(conn);
    let mut drain_until = None;
    loop {
        let deadline = activity.deadline(limits);
        let wake = deadline.map_or(tokio::time::Instant::now() + limits.idle_timeout, |d| d.0);
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    debug!(error = %e, "Connection ended with an error.");
                }
                return;
            }
            _ = activity.changed.notified() => {}
            _ = tokio::time::sleep_until(wake) => {
                if let Some((at, why)) = activity.deadline(limits)
                    && at <= tokio::time::Instant::now()
                {
                    debug!(reason = why.as_str(), "Connection closed.");
                    return;
                }
            }
            _ = cancel.cancelled(), if drain_until.is_none() => {
                conn.as_mut().shutdown_gracefully();
                drain_until = Some(tokio::time::Instant::now() + DRAIN_TIMEOUT);
            }
            _ = sleep_until_some(drain_until) => return,
        }
    }
}

async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// hyper's graceful shutdown, behind a trait so [`supervise`] stays generic.
trait GracefulShutdown {
    fn shutdown_gracefully(self: std::pin::Pin<&mut Self>);
}

impl<I, S> GracefulShutdown for hyper::server::conn::http1::Connection<I, S>
where
    S: hyper::service::HttpService<Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S::ResBody: 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn shutdown_gracefully(self: std::pin::Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// One request: refuse a declared body over the limit, bound the rest, tag
/// it with the connection's info, and run the router.
async fn handle<T: Clone + Send + Sync + 'static>(
    mut router: Router,
    req: Request<Incoming>,
    info: T,
    max_body: usize,
    activity: Arc<Activity>,
) -> Response<Body> {
    let _busy = activity.begin_request();
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body as u64) {
        return too_large(max_body);
    }
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(ConnectInfo(info));
    let body = Body::new(WatchedBody {
        body: Limited::new(body, max_body),
        activity: activity.clone(),
    });
    match router.call(Request::from_parts(parts, body)).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

/// 413, and the connection closes: the unread body is not worth draining.
pub fn too_large(max_body: usize) -> Response<Body> {
    let body = serde_json::json!({ "error": format!("request body above {max_body} bytes") });
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}
