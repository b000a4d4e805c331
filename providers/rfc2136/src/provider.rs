//! `Rfc2136Provider`: reads, compare-and-set updates and sync checks against one primary.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RecordType as WireType, TSigner};
use rtoguard_dns::{Exchange, ExchangeError};
use rtoguard_provider_api::limits::{Budget, RetryPolicy, retry};
use rtoguard_provider_api::{
    Capabilities, CasMode, Change, ChangeSet, Provider, ProviderError, Receipt, RecordSet,
    RecordType, SyncState,
};
use tokio::time::Instant;
use tracing::debug;

use crate::message::{self, BuildError};
use crate::response::Asker;
use crate::settings::Rfc2136Settings;

/// An RFC 2136 (dynamic update) provider signing with TSIG. Plain record
/// sets only; compare-and-set through value-dependent prerequisites.
pub struct Rfc2136Provider {
    pub(crate) settings: Rfc2136Settings,
    credential_source: String,
    signer: TSigner,
    pub(crate) budget: Budget,
}

impl fmt::Debug for Rfc2136Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The settings' Debug redacts the secret; the signer is left out.
        f.debug_struct("Rfc2136Provider")
            .field("settings", &self.settings)
            .field("rps", &self.budget.rps())
            .finish_non_exhaustive()
    }
}

impl Rfc2136Provider {
    /// Check the settings and build the provider. `BadRequest` when the TSIG
    /// key name or secret cannot be used (the message never holds the secret).
    pub fn new(settings: Rfc2136Settings) -> Result<Self, ProviderError> {
        let signer = settings.signer()?;
        Ok(Self {
            credential_source: settings.credential_source(),
            // A second's worth at once: a write takes five requests (read,
            // update, serial, in-sync serial and read) and a TTL change
            // just before a flip five more; spaced evenly at 20 a second
            // they made a flip wait 200 ms for its own requests.
            budget: Budget::with_burst(settings.requests_per_second, settings.requests_per_second),
            signer,
            settings,
        })
    }

    fn asker(&self) -> Asker<'_> {
        Asker {
            provider: &self.settings.name,
            credential_source: &self.credential_source,
        }
    }

    pub(crate) fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            deadline: (self.settings.timeout * 3).max(Duration::from_secs(5)),
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        }
    }

    fn bad_request(&self, message: String) -> ProviderError {
        ProviderError::BadRequest {
            provider: self.settings.name.clone(),
            message,
        }
    }

    pub(crate) fn build_error(&self, e: BuildError) -> ProviderError {
        self.bad_request(e.to_string())
    }

    fn wire_error(&self, e: ExchangeError) -> ProviderError {
        let provider = self.settings.name.clone();
        let message = e.to_string();
        match e {
            ExchangeError::Timeout { .. } => ProviderError::Timeout { provider, message },
            ExchangeError::Io { .. } => ProviderError::Transport { provider, message },
            ExchangeError::Request(_) => ProviderError::BadRequest { provider, message },
        }
    }

    /// One exchange with the primary: the answer's bytes, checked to answer
    /// `request` (ID, QR, opcode, question); forged or stray replies are ignored.
    async fn exchange(&self, request: &[u8]) -> Result<Vec<u8>, ProviderError> {
        Exchange::new(self.settings.server, self.settings.timeout)
            .send(request)
            .await
            .map(|reply| reply.bytes)
            .map_err(|e| self.wire_error(e))
    }

    /// One query, one attempt, outside the budget (callers take the token).
    async fn ask(&self, name: &Name, rtype: WireType) -> Result<Message, ProviderError> {
        let request = message::query(name, rtype)
            .to_vec()
            .map_err(|e| self.bad_request(format!("cannot encode query: {e}")))?;
        debug!(server = %self.settings.server, %name, %rtype, "Querying the primary.");
        let answer = self.exchange(&request).await?;
        self.asker().query_answer(&answer)
    }

    /// What the primary serves at `name`, one attempt.
    async fn read_once(
        &self,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Option<RecordSet>, ProviderError> {
        let answer = self.ask(name, message::wire_type(rtype)).await?;
        Ok(message::answer_set(&answer, name, rtype))
    }

    /// The zone's SOA serial, one attempt.
    pub(crate) async fn serial_once(&self, zone: &Name) -> Result<u32, ProviderError> {
        let answer = self.ask(zone, WireType::SOA).await?;
        message::soa_serial(&answer).ok_or_else(|| ProviderError::Server {
            provider: self.settings.name.clone(),
            message: format!("no SOA record for {zone}: is the server authoritative for it?"),
        })
    }

    pub(crate) fn names(&self, zone: &str, name: &str) -> Result<(Name, Name), ProviderError> {
        let zone_name = message::parse_name("zone", zone).map_err(|e| self.build_error(e))?;
        let owner = message::parse_name("record name", name).map_err(|e| self.build_error(e))?;
        if !zone_name.zone_of(&owner) {
            return Err(self.build_error(BuildError::OutOfZone {
                name: name.into(),
                zone: zone.into(),
            }));
        }
        Ok((zone_name, owner))
    }

    /// The one plain record set expected before and wanted after `change`.
    pub(crate) fn plain_sets<'c>(
        &self,
        change: &'c Change,
    ) -> Result<(Option<&'c RecordSet>, &'c RecordSet), ProviderError> {
        let all = change.expected().iter().chain(change.desired());
        if all
            .clone()
            .any(|s| s.set_id.is_some() || s.weight.is_some())
        {
            return Err(self.bad_request(format!(
                "{} {}: RFC 2136 has no weighted records",
                change.name(),
                change.rtype()
            )));
        }
        match (change.expected(), change.desired()) {
            ([], [desired]) => Ok((None, desired)),
            ([expected], [desired]) => Ok((Some(expected), desired)),
            _ => Err(self.bad_request(format!(
                "{} {}: expected at most one and desired exactly one record set",
                change.name(),
                change.rtype()
            ))),
        }
    }

    /// Sign and send one UPDATE, one attempt.
    async fn send_update(&self, msg: &Message) -> Result<(), ProviderError> {
        let mut msg = msg.clone();
        msg.metadata.id = rand::random();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let verifier = msg
            .finalize(&self.signer, now)
            .map_err(|e| self.bad_request(format!("cannot sign update: {e}")))?;
        let request = msg
            .to_vec()
            .map_err(|e| self.bad_request(format!("cannot encode update: {e}")))?;
        debug!(server = %self.settings.server, bytes = request.len(), "Sending signed update.");
        let answer = self.exchange(&request).await?;
        self.asker().update_answer(&answer, verifier)
    }

    /// One attempt at the update. On a retryable failure the update may still
    /// have landed: re-read, and call it done when the desired set is served.
    /// Repeating the update is safe because its prerequisite fences it; a
    /// repeat that conflicts after an earlier attempt may have landed is done
    /// too when the desired set is served (our own first attempt won).
    pub(crate) async fn update_or_confirm(
        &self,
        msg: &Message,
        wanted: &[(Name, &RecordSet)],
        maybe_landed: &AtomicBool,
    ) -> Result<(), ProviderError> {
        let result = self.send_update(msg).await;
        let confirm = match &result {
            Err(e) if e.is_retryable() => {
                maybe_landed.store(true, Ordering::Relaxed);
                true
            }
            Err(ProviderError::Conflict { .. }) => maybe_landed.load(Ordering::Relaxed),
            _ => false,
        };
        if !confirm {
            return result;
        }
        for (owner, desired) in wanted {
            self.budget.acquire().await;
            match self.read_once(owner, desired.rtype).await {
                Ok(served) if same(served.as_ref(), desired) => {}
                _ => return result,
            }
        }
        debug!("An earlier attempt landed: the desired records are served.");
        Ok(())
    }

    /// True when the primary serves serial `want` or later and exactly `desired`.
    async fn in_sync_once(
        &self,
        zone: &Name,
        owner: &Name,
        want: u32,
        desired: &RecordSet,
    ) -> Result<bool, ProviderError> {
        let serial = self.serial_once(zone).await?;
        if !message::serial_at_least(serial, want) {
            return Ok(false);
        }
        self.budget.acquire().await;
        let served = self.read_once(owner, desired.rtype).await?;
        Ok(same(served.as_ref(), desired))
    }
}

/// The pause after the first in-sync check that found the change not yet
/// served; doubled after each, up to a second.
const FIRST_SYNC_PAUSE: Duration = Duration::from_millis(5);

/// The served set is exactly the desired one: values and TTL.
fn same(served: Option<&RecordSet>, desired: &RecordSet) -> bool {
    served.is_some_and(|s| s.values == desired.values && s.ttl == desired.ttl)
}

#[async_trait]
impl Provider for Rfc2136Provider {
    fn name(&self) -> &str {
        &self.settings.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            weighted: false,
            ttl_floor: crate::TTL_FLOOR,
            cas: CasMode::Native,
            served_here: false,
        }
    }

    async fn read(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        let (_, owner) = self.names(zone, name)?;
        let set = retry(&self.budget, self.policy(), "read", || {
            self.read_once(&owner, rtype)
        })
        .await?;
        Ok(set.into_iter().collect())
    }

    /// A signed, prerequisite-only UPDATE that changes nothing: proves the
    /// key is known and allowed to update the zone (a signed query would not).
    async fn check_access(
        &self,
        zone: &str,
        name: &str,
        _rtype: RecordType,
    ) -> Result<(), ProviderError> {
        self.names(zone, name)?;
        let msg = message::access_check(zone).map_err(|e| self.build_error(e))?;
        self.budget.acquire().await;
        self.send_update(&msg).await
    }

    /// The same signed, prerequisite-only UPDATE, one attempt: a wrong
    /// secret fails here (reads are unsigned and cannot tell).
    async fn prove_access(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<String, ProviderError> {
        self.check_access(zone, name, rtype).await?;
        Ok(format!(
            "{} accepted an update signed with key {} for {zone} (a prerequisite only: nothing changed)",
            self.settings.server, self.settings.key_name
        ))
    }

    /// One record set's change: a group of one (see `group`).
    async fn apply(&self, zone: &str, change: &Change) -> Result<Receipt, ProviderError> {
        self.apply_group(zone, &ChangeSet::one(change.clone()))
            .await
    }

    async fn apply_all(&self, zone: &str, set: &ChangeSet) -> Result<Receipt, ProviderError> {
        self.apply_group(zone, set).await
    }

    async fn wait_in_sync(
        &self,
        zone: &str,
        change: &Change,
        receipt: &Receipt,
        timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        let (zone_name, owner) = self.names(zone, change.name())?;
        let (_, desired) = self.plain_sets(change)?;
        let want: u32 = receipt.id.parse().map_err(|_| {
            self.bad_request(format!("receipt id {:?} is not a SOA serial", receipt.id))
        })?;
        let deadline = Instant::now() + timeout;
        // The first check goes out at once: after the update's NOERROR a
        // primary usually serves the new serial already. Then poll fast,
        // backing off.
        let mut pause = FIRST_SYNC_PAUSE;
        loop {
            self.budget.acquire().await;
            match self.in_sync_once(&zone_name, &owner, want, desired).await {
                Ok(true) => return Ok(SyncState::InSync),
                Ok(false) => {}
                Err(e) if e.is_retryable() => {
                    debug!(error = %e, "Sync check failed, polling again.")
                }
                Err(e) => return Err(e),
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(SyncState::Pending);
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }
}
