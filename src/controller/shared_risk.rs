//! Shared risk: an outage in one service raises the risk of the services
//! that share its fate (its group, or its region: `[controller]
//! shared_risk`), so their TTL is lowered before a fault reaches them too.
//!
//! ```text
//! source:   outage opens --> News{open}   (told to every other service)
//!           incident closes / Started --> News{closed} (or {open} if one is restored)
//! receiver: News{open}, shares the fate, no window open
//!               --> window open "shared with S's incident" (TTL lowered)
//!           News{closed} from S, its window open
//!               --> window ends one normal TTL later (the hold)
//! ```
//!
//! A window already open (an operator's, a schedule's, another service's
//! incident) is kept as it is. A restart keeps a shared window for at most
//! one hold unless its source says again that its incident is open.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::durable::RiskWindow;
use super::risk::MAX_RISK;
use super::risk_news::{RiskNews, SharedRisk};
use super::{Action, Controller, IncidentKind};

impl Controller {
    /// What to tell the other services about this one's incident now.
    pub(super) fn news(&self, open: bool) -> Action {
        let region = self
            .active()
            .and_then(|a| self.policy.region_of(a))
            .map(str::to_owned);
        Action::ShareRisk(RiskNews {
            service: self.policy.local.service.clone(),
            region,
            open,
        })
    }

    /// Tells the others when an outage opened or an incident closed in
    /// `out`, and at start-up (`started`) whether an outage is open.
    pub(super) fn tell_news(&self, started: bool, out: &mut Vec<Action>) {
        let alone = match &self.policy.shared_risk {
            SharedRisk::None => true,
            SharedRisk::Group { services } => services.is_empty(),
            SharedRisk::Region => false,
        };
        if alone {
            return;
        }
        let outage = |i: &super::Incident| i.kind == IncidentKind::Outage;
        let opened = out
            .iter()
            .any(|a| matches!(a, Action::IncidentOpened { incident, .. } if outage(incident)));
        let closed = out
            .iter()
            .any(|a| matches!(a, Action::IncidentClosed { .. }));
        if started {
            out.push(self.news(self.incident().is_some_and(outage)));
        } else if opened || closed {
            out.push(self.news(opened));
        }
    }

    /// Another service's incident news: open or end a window shared with it.
    pub(super) fn on_news(&mut self, now: Instant, news: RiskNews, out: &mut Vec<Action>) {
        let Some(anchor) = self.anchor else {
            return;
        };
        let wall = anchor.wall(now);
        if news.service == self.policy.local.service {
            return;
        }
        if !news.open {
            return self.hold_shared(wall, &news.service, out);
        }
        if let Some(mut w) = self
            .risk
            .clone()
            .filter(|w| w.shared_with.as_deref() == Some(news.service.as_str()))
        {
            // Said again (a restart): open until its incident is over.
            w.until = wall + MAX_RISK;
            let detail = format!("{}'s incident is still open: TTL kept low", news.service);
            return self.keep_risk(w, detail, out);
        }
        if self.risk.is_some() || !self.shares_fate(&news) {
            return;
        }
        let window = RiskWindow {
            by: format!("incident:{}", news.service),
            reason: format!("shared with {}'s incident", news.service),
            since: wall,
            until: wall + MAX_RISK,
            lowered_at: (self.ttl() <= self.policy.lowered_ttl()).then_some(wall),
            shared_with: Some(news.service.clone()),
        };
        tracing::info!(
            with = news.service,
            "Risk window open: another service's incident."
        );
        let detail = format!(
            "risk window open: TTL kept at {}s, shared with {}'s incident",
            self.policy.lowered_ttl(),
            news.service
        );
        self.keep_risk(window, detail, out);
    }

    /// Whether `news`'s service shares this one's fate, by the policy's rule.
    fn shares_fate(&self, news: &RiskNews) -> bool {
        match &self.policy.shared_risk {
            SharedRisk::None => false,
            SharedRisk::Group { services } => services.contains(&news.service),
            SharedRisk::Region => {
                let mine = self.active().and_then(|a| self.policy.region_of(a));
                news.region.is_some() && mine == news.region.as_deref()
            }
        }
    }

    /// `from`'s incident is over: its window ends one normal TTL from now.
    fn hold_shared(&mut self, wall: SystemTime, from: &str, out: &mut Vec<Action>) {
        let until = wall + self.hold();
        let Some(mut w) = self
            .risk
            .clone()
            .filter(|w| w.shared_with.as_deref() == Some(from) && w.until > until)
        else {
            return;
        };
        w.until = until;
        tracing::info!(with = from, "Shared risk: the other incident is over.");
        let detail = format!(
            "{from}'s incident is over: TTL kept low until {} (one normal TTL)",
            super::wall::format_wall(until)
        );
        self.keep_risk(w, detail, out);
    }

    /// How long a shared window outlives its incident: one normal TTL.
    fn hold(&self) -> Duration {
        Duration::from_secs(u64::from(self.policy.normal_ttl()))
    }

    /// At start-up a shared window lasts at most one hold more, unless its
    /// source says its incident is still open (see [`Controller::news`]).
    pub(super) fn restore_shared(&mut self, wall: SystemTime) {
        let until = wall + self.hold();
        if let Some(w) = self
            .risk
            .as_mut()
            .filter(|w| w.shared_with.is_some() && w.until > until)
        {
            w.until = until;
        }
    }
}
