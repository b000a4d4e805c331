//! Outgoing zone transfers of one served zone (rtoguard as a hidden
//! primary): the zone's history for AXFR/IXFR, committed on every write so
//! the serial served is the serial transferred, and NOTIFY to the
//! secondaries after each commit. The answers and NOTIFY come from
//! `rtoguard-dns`; this module wires them to the store and the listeners.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use hickory_proto::rr::rdata::tsig::TsigAlgorithm as HickoryAlgorithm;
use hickory_proto::rr::{Name, Record, TSigner};
use rtoguard_dns::notify::{Notifier, NotifyPolicy};
use rtoguard_dns::transfer::{TransferPolicy, Transfers, ZoneHistory};
use rtoguard_provider_api::TsigAlgorithm;
use tracing::{info, warn};

use crate::settings::{TransferKey, TransferSettings};
use crate::zone::{Zone, parse_name};

/// Allowed clock difference with a secondary, in seconds (RFC 8945 recommends 300).
const FUDGE_SECS: u16 = 300;

/// One zone's transfers: its history, the policy and whom to NOTIFY.
pub struct ZoneTransfer {
    listen: SocketAddr,
    transfers: Arc<Transfers>,
    notifier: Option<Notifier>,
}

impl std::fmt::Debug for ZoneTransfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneTransfer")
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

impl ZoneTransfer {
    /// Transfers of `zone` as served now, per `s`; the message says what is wrong.
    pub fn new(zone: &Zone, s: &TransferSettings) -> Result<Self, String> {
        if s.keys.is_empty() {
            return Err("zone transfers need at least one TSIG key".into());
        }
        let keys = s.keys.iter().map(signer).collect::<Result<Vec<_>, _>>()?;
        let history = ZoneHistory::new(zone.origin().clone(), zone.records(), s.keep)
            .map_err(|e| e.to_string())?;
        let notifier = (!s.notify.is_empty()).then(|| Notifier {
            zone: zone.origin().clone(),
            targets: s.notify.clone(),
            signer: keys.first().cloned(),
            policy: NotifyPolicy::default(),
        });
        let transfers = Arc::new(Transfers {
            history: Arc::new(RwLock::new(history)),
            policy: TransferPolicy::new(keys, s.allow.clone()),
        });
        Ok(Self {
            listen: s.listen,
            transfers,
            notifier,
        })
    }

    /// The configured transfer address (port 0 until bound).
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// What the transfer listeners answer from.
    pub fn transfers(&self) -> &Arc<Transfers> {
        &self.transfers
    }

    /// The serial transfers serve now.
    pub fn serial(&self) -> u32 {
        self.read().serial()
    }

    /// Make `zone` (just swapped in) what transfers serve, with its serial;
    /// the SOA served after it.
    pub(crate) fn commit(&self, zone: &Zone) -> Result<Record, String> {
        let mut h = self
            .transfers
            .history
            .write()
            .unwrap_or_else(|e| e.into_inner());
        h.commit(zone.records()).map_err(|e| e.to_string())?;
        Ok(h.soa().clone())
    }

    /// NOTIFY every secondary of `soa` in the background: logged, never
    /// waited for. Without a runtime (a synchronous caller), nothing is sent.
    pub(crate) fn notify(&self, soa: Record) {
        let Some(notifier) = self.notifier.clone() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            warn!(zone = %notifier.zone, "No runtime to send NOTIFY from; secondaries will find the change at their refresh.");
            return;
        };
        runtime.spawn(async move {
            for outcome in notifier.notify(&soa).await {
                match outcome.error {
                    None => info!(zone = %notifier.zone, outcome = %outcome, "NOTIFY sent."),
                    Some(_) => {
                        warn!(zone = %notifier.zone, outcome = %outcome, "NOTIFY not acknowledged; the secondary will find the change at its refresh.")
                    }
                }
            }
        });
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, ZoneHistory> {
        self.transfers
            .history
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// The signer for one configured key.
fn signer(k: &TransferKey) -> Result<TSigner, String> {
    let name = parse_name(&k.name, &Name::root())?;
    if k.secret.is_empty() {
        return Err(format!("the secret of TSIG key {} is empty", k.name));
    }
    TSigner::new(k.secret.clone(), to_hickory(k.algorithm), name, FUDGE_SECS)
        .map_err(|e| format!("TSIG key {}: {e}", k.name))
}

/// hickory's name for `a`.
fn to_hickory(a: TsigAlgorithm) -> HickoryAlgorithm {
    match a {
        TsigAlgorithm::HmacSha256 => HickoryAlgorithm::HmacSha256,
        TsigAlgorithm::HmacSha384 => HickoryAlgorithm::HmacSha384,
        TsigAlgorithm::HmacSha512 => HickoryAlgorithm::HmacSha512,
    }
}
