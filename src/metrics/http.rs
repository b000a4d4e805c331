//! `GET /metrics` over HTTP (axum), stopped by a cancellation token.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::Metrics;

/// The content type of the OpenMetrics text format.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serve `GET /metrics` on `addr` until `cancel` fires. Returns the bound
/// address (useful with port 0) and the server task.
pub async fn serve(
    addr: SocketAddr,
    metrics: Metrics,
    cancel: CancellationToken,
) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(render))
        .with_state(metrics);
    info!(listen = %local, "Serving metrics at /metrics.");
    let task = tokio::spawn(async move {
        let stop = cancel.cancelled_owned();
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            warn!(listen = %local, error = %e, "The metrics server stopped with an error.");
        }
    });
    Ok((local, task))
}

async fn render(State(metrics): State<Metrics>) -> impl axum::response::IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.render())
}
