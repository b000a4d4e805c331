//! NOTIFY (RFC 1996) to a zone's secondaries after each commit: TSIG-signed,
//! retried with doubling waits until acknowledged or out of attempts.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, Record, RecordType, TSigner};
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::transfer::serve::unix_now;
use crate::{Exchange, ExchangeError};

/// How hard to try each secondary.
#[derive(Debug, Clone, Copy)]
pub struct NotifyPolicy {
    /// Attempts per secondary, the first included (at least one is made).
    pub attempts: u32,
    /// Wait after the first failed attempt; it doubles after each next one.
    pub first_wait: Duration,
    /// Deadline of one attempt.
    pub timeout: Duration,
}

impl Default for NotifyPolicy {
    /// Five attempts, 1 s then 2, 4, 8 s apart, 2 s each.
    fn default() -> Self {
        Self {
            attempts: 5,
            first_wait: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
        }
    }
}

/// Why a secondary did not acknowledge a NOTIFY.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No answer, or a socket error.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// The secondary answered with an error code.
    #[error("answered {0}")]
    Rcode(ResponseCode),
    /// The answer's TSIG is missing or does not verify with our key.
    #[error("the answer's TSIG does not verify with key {0}")]
    Tsig(Name),
    /// The NOTIFY message could not be built or signed.
    #[error("cannot build the NOTIFY message")]
    Build,
}

/// What became of the NOTIFY to one secondary, for the caller's log.
#[derive(Debug)]
pub struct NotifyOutcome {
    pub target: SocketAddr,
    pub serial: u32,
    pub attempts: u32,
    /// The last attempt's error, when none was acknowledged.
    pub error: Option<NotifyError>,
}

impl fmt::Display for NotifyOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error {
            None => write!(
                f,
                "{} acknowledged serial {} after {} attempt(s)",
                self.target, self.serial, self.attempts
            ),
            Some(e) => write!(
                f,
                "{} did not acknowledge serial {} in {} attempt(s): {e}",
                self.target, self.serial, self.attempts
            ),
        }
    }
}

/// The secondaries of one zone and the key to sign NOTIFY with.
#[derive(Clone)]
pub struct Notifier {
    pub zone: Name,
    pub targets: Vec<SocketAddr>,
    /// `None` sends unsigned NOTIFY (for secondaries that want no key).
    pub signer: Option<TSigner>,
    pub policy: NotifyPolicy,
}

impl Notifier {
    /// Tells every secondary, at once, that the zone's SOA is now `soa`;
    /// returns one outcome per secondary, in `targets` order.
    pub async fn notify(&self, soa: &Record) -> Vec<NotifyOutcome> {
        let mut tasks = JoinSet::new();
        for (i, target) in self.targets.iter().enumerate() {
            let this = self.clone();
            let soa = soa.clone();
            let target = *target;
            tasks.spawn(async move { (i, this.notify_one(target, &soa).await) });
        }
        let mut outcomes: Vec<(usize, NotifyOutcome)> = Vec::new();
        while let Some(done) = tasks.join_next().await {
            // A NOTIFY task does not panic; one that did is left out.
            if let Ok(pair) = done {
                outcomes.push(pair);
            }
        }
        outcomes.sort_by_key(|(i, _)| *i);
        outcomes.into_iter().map(|(_, o)| o).collect()
    }

    /// NOTIFY to one secondary, retried per the policy.
    pub async fn notify_one(&self, target: SocketAddr, soa: &Record) -> NotifyOutcome {
        let serial = crate::transfer::history::soa_serial(soa).unwrap_or_default();
        let mut wait = self.policy.first_wait;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let result = self.attempt(target, soa).await;
            let last = attempts >= self.policy.attempts.max(1);
            match result {
                Ok(()) => {
                    info!(%target, zone = %self.zone, serial, attempts, "A secondary acknowledged the NOTIFY.");
                    return NotifyOutcome {
                        target,
                        serial,
                        attempts,
                        error: None,
                    };
                }
                Err(e) if last => {
                    warn!(%target, zone = %self.zone, serial, attempts, error = %e, "A secondary did not acknowledge the NOTIFY; giving up.");
                    return NotifyOutcome {
                        target,
                        serial,
                        attempts,
                        error: Some(e),
                    };
                }
                Err(_) => {
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                }
            }
        }
    }

    /// One NOTIFY exchange: signed, sent, the answer checked.
    async fn attempt(&self, target: SocketAddr, soa: &Record) -> Result<(), NotifyError> {
        let mut msg = Message::new(rand::random(), MessageType::Query, OpCode::Notify);
        msg.metadata.authoritative = true;
        let mut query = Query::query(self.zone.clone(), RecordType::SOA);
        query.set_query_class(DNSClass::IN);
        msg.add_query(query);
        msg.add_answer(soa.clone());
        let mut verifier = match &self.signer {
            Some(s) => msg
                .finalize(s, unix_now())
                .map_err(|_| NotifyError::Build)?,
            None => None,
        };
        let bytes = msg.to_vec().map_err(|_| NotifyError::Build)?;
        let reply = Exchange::new(target, self.policy.timeout)
            .send(&bytes)
            .await?;
        let code = reply.message.metadata.response_code;
        if code != ResponseCode::NoError {
            return Err(NotifyError::Rcode(code));
        }
        if let (Some(v), Some(s)) = (verifier.as_mut(), &self.signer) {
            v.verify(&reply.bytes)
                .map_err(|_| NotifyError::Tsig(s.signer_name().clone()))?;
        }
        Ok(())
    }
}
