//! Shared risk between service tasks: each tells the others when its
//! outage opens or its incident ends; each controller decides whether
//! that raises its own risk (see `controller::shared_risk`).

use tokio::sync::broadcast;

use crate::controller::RiskNews;

/// News kept for a task that is slow to read (older news is dropped).
const BACKLOG: usize = 256;

/// The daemon's one channel of incident news, shared by every service task.
#[derive(Clone)]
pub struct RiskBus(broadcast::Sender<RiskNews>);

impl Default for RiskBus {
    fn default() -> Self {
        Self(broadcast::channel(BACKLOG).0)
    }
}

impl RiskBus {
    /// Tells every listening service task (none listening: nobody to tell).
    pub fn tell(&self, news: RiskNews) {
        let _ = self.0.send(news);
    }

    /// A service task's own receiver.
    pub fn listen(&self) -> broadcast::Receiver<RiskNews> {
        self.0.subscribe()
    }
}

/// The next news from another service than `me` (pending forever once the bus is gone).
pub async fn next(rx: &mut broadcast::Receiver<RiskNews>, me: &str) -> RiskNews {
    loop {
        match rx.recv().await {
            Ok(news) if news.service != me => return news,
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}
