//! `POST /v1/risk`: open or end a risk window for services named, a group or a region.

use serde::{Deserialize, Serialize};

use super::Reply;
use crate::controller::risk::MAX_RISK;

/// A risk window asked for through the socket: exactly one of `services`,
/// `group` or `region`; with `end`, the windows open there end now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskRequest {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Every service with a pool in this region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// How long the window lasts, in seconds (required unless `end`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_secs: Option<u64>,
    /// Why (required unless `end`), e.g. "deploy 2026-12-02".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// End the open windows instead of opening one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub end: bool,
}

impl RiskRequest {
    /// The 400 to answer for a request that cannot be right, whatever the config.
    pub fn check(&self) -> Result<(), Reply> {
        let named = [
            !self.services.is_empty(),
            self.group.is_some(),
            self.region.is_some(),
        ];
        if named.iter().filter(|n| **n).count() != 1 {
            let msg = "name exactly one of \"services\", \"group\" or \"region\"";
            return Err(Reply::error(400, msg));
        }
        if self.end {
            return Ok(());
        }
        match self.for_secs {
            None | Some(0) => {
                let msg = "a risk window needs a length: {\"for_secs\": 1800}";
                return Err(Reply::error(400, msg));
            }
            Some(s) if s > MAX_RISK.as_secs() => {
                return Err(Reply::error(400, "a risk window lasts at most seven days"));
            }
            Some(_) => {}
        }
        if self.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            let msg = "a risk window needs a reason: {\"reason\": \"...\"}";
            return Err(Reply::error(400, msg));
        }
        Ok(())
    }

    /// What the request names, in people's words (`group eu-frontends`).
    pub fn target(&self) -> String {
        match (&self.group, &self.region) {
            (Some(g), _) => format!("group {g}"),
            (_, Some(r)) => format!("region {r}"),
            _ => self.services.join(", "),
        }
    }
}

/// What each service answered to a risk request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskReply {
    /// True when every service accepted.
    pub accepted: bool,
    /// `open` or `end`.
    pub risk: String,
    pub services: Vec<RiskOutcome>,
}

/// One service's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskOutcome {
    pub service: String,
    pub accepted: bool,
    /// What the controller decided (accepted), or why it refused.
    pub actions: Vec<String>,
}
