//! What one connection is doing and when it last moved a byte: the IO and body wrappers that tell, and the deadline that follows.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::Limits;

/// Why a connection ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    Header,
    Idle,
}

impl Expired {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Header => "no whole request head within the header timeout",
            Self::Idle => "silent for the idle timeout",
        }
    }
}

/// The state of one connection, shared by its IO, its requests and its supervisor.
pub struct Activity {
    state: Mutex<State>,
    /// Woken when a deadline may have moved earlier.
    pub changed: Notify,
}

struct State {
    last_io: Instant,
    /// When the current request head began (None: no head in progress).
    head_since: Option<Instant>,
    in_request: usize,
    body_waiting: bool,
}

impl Activity {
    /// A connection just opened: its first head is due within the header timeout.
    pub fn new() -> Arc<Self> {
        let now = Instant::now();
        Arc::new(Self {
            state: Mutex::new(State {
                last_io: now,
                head_since: Some(now),
                in_request: 0,
                body_waiting: false,
            }),
            changed: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere mid-update; the times stay usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn moved(&self, read: bool) {
        let now = Instant::now();
        let mut s = self.lock();
        s.last_io = now;
        if read && s.in_request == 0 && s.head_since.is_none() {
            s.head_since = Some(now);
            drop(s);
            self.changed.notify_one();
        }
    }

    /// A request head arrived: the handler runs until the guard drops.
    pub fn begin_request(self: &Arc<Self>) -> RequestGuard {
        let mut s = self.lock();
        s.in_request += 1;
        s.head_since = None;
        RequestGuard(self.clone())
    }

    fn set_body_waiting(&self, waiting: bool) {
        let mut s = self.lock();
        if s.body_waiting != waiting {
            s.body_waiting = waiting;
            drop(s);
            self.changed.notify_one();
        }
    }

    /// When this connection runs out of time, and why; None while the
    /// server itself is busy with a request.
    pub fn deadline(&self, limits: &Limits) -> Option<(Instant, Expired)> {
        let s = self.lock();
        let waiting_on_client = s.in_request == 0 || s.body_waiting;
        let header = s
            .head_since
            .filter(|_| s.in_request == 0)
            .map(|at| (at + limits.header_timeout, Expired::Header));
        let idle = waiting_on_client.then(|| (s.last_io + limits.idle_timeout, Expired::Idle));
        match (header, idle) {
            (Some(h), Some(i)) => Some(if h.0 <= i.0 { h } else { i }),
            (h, i) => h.or(i),
        }
    }
}

/// Held while a request is handled.
pub struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.in_request = s.in_request.saturating_sub(1);
        s.body_waiting = false;
        s.last_io = Instant::now();
        drop(s);
        self.0.changed.notify_one();
    }
}

/// The connection's IO, telling [`Activity`] of every byte moved.
pub struct Watched<I> {
    pub io: I,
    pub activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let got = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(got, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.moved(true);
        }
        got
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let got = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(got, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved(false);
        }
        got
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let got = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(got, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved(false);
        }
        got
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A request body that tells [`Activity`] while the handler waits on it.
pub struct WatchedBody<B> {
    pub body: B,
    pub activity: Arc<Activity>,
}

impl<B: Body + Unpin> Body for WatchedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let got = Pin::new(&mut self.body).poll_frame(cx);
        self.activity.set_body_waiting(got.is_pending());
        got
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
