//! The demo zone: hickory's SQLite-journalled store behind our own gate for
//! RFC 2136 updates (TSIG check, RFC prerequisites, one update at a time).

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::tsig::TsigError;
use hickory_proto::rr::{LowerName, RecordType, TSigResponseContext, TSigner};
use hickory_server::dnssec::NxProofKind;
use hickory_server::server::{Request, RequestInfo};
use hickory_server::store::sqlite::SqliteZoneHandler;
use hickory_server::zone_handler::{
    AuthLookup, AxfrPolicy, LookupControlFlow, LookupOptions, Nsec3QueryInfo, UpdateRequest,
    ZoneHandler, ZoneType,
};
use tokio::sync::Mutex;
use tracing::{info, warn};

use super::prereq;

/// A zone that accepts updates signed with one TSIG key.
///
/// hickory's `SqliteZoneHandler` can check TSIG itself, but its keys can only
/// be set from a key file (or behind its `testing` feature), and its
/// prerequisite check is weaker than RFC 2136 §3.2.3. So updates go through
/// [`DemoZone::update`]; queries go straight to the store.
pub(crate) struct DemoZone {
    store: SqliteZoneHandler,
    signer: TSigner,
    /// Serialises updates so a prerequisite check and its update are atomic.
    update_lock: Mutex<()>,
}

impl DemoZone {
    pub(crate) fn new(store: SqliteZoneHandler, signer: TSigner) -> Self {
        Self {
            store,
            signer,
            update_lock: Mutex::new(()),
        }
    }

    /// Verifies the request's TSIG (RFC 8945 §5.2) with the zone's key.
    ///
    /// The context returned signs the response: with the key when the key
    /// was right, unsigned with BADKEY / BADSIG otherwise.
    fn authorize(
        &self,
        request: &Request,
        now: u64,
    ) -> (Result<(), ResponseCode>, Option<TSigResponseContext>) {
        let id = request.id();
        let Some(tsig) = request.signature() else {
            warn!(id, "Refused an unsigned update.");
            return (Err(ResponseCode::Refused), None);
        };
        if tsig.name != *self.signer.signer_name()
            || tsig.data.algorithm != *self.signer.algorithm()
        {
            warn!(id, key = %tsig.name, "Refused an update signed with an unknown key.");
            let ctx = TSigResponseContext::unknown_key(id, now, tsig.name.clone());
            return (Err(ResponseCode::NotAuth), Some(ctx));
        }
        let Ok((mac, signed_at, _)) =
            self.signer
                .verify_message_byte(request.as_slice(), None, true)
        else {
            warn!(id, key = %tsig.name, "Refused an update with a bad TSIG signature.");
            let ctx = TSigResponseContext::bad_signature(id, now, self.signer.clone());
            return (Err(ResponseCode::NotAuth), Some(ctx));
        };
        // Time window from our own fudge, not the one the request claims.
        if signed_at.abs_diff(now) > u64::from(self.signer.fudge()) {
            warn!(
                id,
                signed_at, now, "Refused an update signed outside the time window."
            );
            let ctx = self.signed_reply(id, now, mac, Some(TsigError::BadTime));
            return (Err(ResponseCode::NotAuth), Some(ctx));
        }
        (Ok(()), Some(self.signed_reply(id, now, mac, None)))
    }

    /// A response context that signs with the zone's key.
    fn signed_reply(
        &self,
        id: u16,
        now: u64,
        request_mac: Vec<u8>,
        error: Option<TsigError>,
    ) -> TSigResponseContext {
        TSigResponseContext::new(id, now, self.signer.clone(), request_mac, error)
    }

    /// Checks the zone section and prerequisites, then applies the updates.
    async fn apply(&self, request: &Request) -> Result<bool, ResponseCode> {
        let zone = request.zone().map_err(|_| ResponseCode::FormErr)?;
        if zone.name() != self.store.origin() {
            return Err(ResponseCode::NotAuth);
        }
        if zone.query_class() != self.store.class() {
            return Err(ResponseCode::NotAuth);
        }
        let _one_at_a_time = self.update_lock.lock().await;
        {
            let records = self.store.records().await;
            prereq::check(
                &records,
                self.store.origin(),
                self.store.class(),
                request.prerequisites(),
            )?;
        }
        self.store.pre_scan(request.updates()).await?;
        let changed = self.store.update_records(request.updates(), true).await?;
        let serial = self.store.serial().await;
        info!(zone = %self.store.origin(), changed, serial, updates = request.updates().len(), "Applied a DNS update.");
        Ok(changed)
    }
}

#[async_trait::async_trait]
impl ZoneHandler for DemoZone {
    fn zone_type(&self) -> ZoneType {
        ZoneType::Primary
    }

    fn axfr_policy(&self) -> AxfrPolicy {
        AxfrPolicy::Deny
    }

    async fn update(
        &self,
        request: &Request,
        now: u64,
    ) -> (Result<bool, ResponseCode>, Option<TSigResponseContext>) {
        match self.authorize(request, now) {
            (Ok(()), ctx) => (self.apply(request).await, ctx),
            (Err(code), ctx) => (Err(code), ctx),
        }
    }

    fn origin(&self) -> &LowerName {
        self.store.origin()
    }

    async fn lookup(
        &self,
        name: &LowerName,
        rtype: RecordType,
        request_info: Option<&RequestInfo<'_>>,
        lookup_options: LookupOptions,
    ) -> LookupControlFlow<AuthLookup> {
        self.store
            .lookup(name, rtype, request_info, lookup_options)
            .await
    }

    async fn search(
        &self,
        request: &Request,
        lookup_options: LookupOptions,
    ) -> (LookupControlFlow<AuthLookup>, Option<TSigResponseContext>) {
        self.store.search(request, lookup_options).await
    }

    async fn nsec_records(
        &self,
        name: &LowerName,
        lookup_options: LookupOptions,
    ) -> LookupControlFlow<AuthLookup> {
        self.store.nsec_records(name, lookup_options).await
    }

    async fn nsec3_records(
        &self,
        info: Nsec3QueryInfo<'_>,
        lookup_options: LookupOptions,
    ) -> LookupControlFlow<AuthLookup> {
        self.store.nsec3_records(info, lookup_options).await
    }

    fn nx_proof_kind(&self) -> Option<&NxProofKind> {
        self.store.nx_proof_kind()
    }
}
