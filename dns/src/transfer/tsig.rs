//! TSIG for transfers (RFC 8945): check a request against the configured
//! keys, and sign every message of the answer as one chain (§5.3.1).

use hickory_proto::ProtoError;
use hickory_proto::op::Message;
use hickory_proto::rr::rdata::tsig::{TSIG, TsigError, make_tsig_record};
use hickory_proto::rr::{Name, TSigResponseContext, TSigner};
use hickory_proto::serialize::binary::BinEncoder;

/// What a request's TSIG record says.
pub(crate) enum Verdict {
    /// No TSIG record.
    Unsigned,
    /// Signed with `signer`'s key, inside the time window.
    Valid { signer: TSigner, mac: Vec<u8> },
    /// Unknown key, bad MAC or outside the time window: the answer is
    /// NOTAUTH with this TSIG (unsigned for BADKEY and BADSIG, RFC 8945 §5.2).
    Bad {
        key: Name,
        error: TsigError,
        context: TSigResponseContext,
    },
}

/// Checks `request` (its bytes, and the decoded `msg`) against `keys` at `now`.
pub(crate) fn verify(request: &[u8], msg: &Message, keys: &[TSigner], now: u64) -> Verdict {
    let Some(tsig) = msg.signature() else {
        return Verdict::Unsigned;
    };
    let id = msg.metadata.id;
    let key = tsig.name.clone();
    let Some(signer) = keys
        .iter()
        .find(|k| *k.signer_name() == tsig.name && *k.algorithm() == tsig.data.algorithm)
    else {
        let context = TSigResponseContext::unknown_key(id, now, key.clone());
        return Verdict::Bad {
            key,
            error: TsigError::BadKey,
            context,
        };
    };
    let Ok((mac, signed_at, _)) = signer.verify_message_byte(request, None, true) else {
        let context = TSigResponseContext::bad_signature(id, now, signer.clone());
        return Verdict::Bad {
            key,
            error: TsigError::BadSig,
            context,
        };
    };
    // The window is our own fudge, not the one the request claims.
    if signed_at.abs_diff(now) > u64::from(signer.fudge()) {
        let context =
            TSigResponseContext::new(id, now, signer.clone(), mac, Some(TsigError::BadTime));
        return Verdict::Bad {
            key,
            error: TsigError::BadTime,
            context,
        };
    }
    Verdict::Valid {
        signer: signer.clone(),
        mac,
    }
}

/// Signs the messages of one answer in order: the first over the request's
/// MAC and the full TSIG variables, each next one over the previous MAC and
/// the timers only (RFC 8945 §5.3.1).
pub(crate) struct Chain {
    signer: TSigner,
    id: u16,
    now: u64,
    previous_mac: Vec<u8>,
    first: bool,
}

impl Chain {
    pub(crate) fn new(signer: TSigner, id: u16, now: u64, request_mac: Vec<u8>) -> Self {
        Self {
            signer,
            id,
            now,
            previous_mac: request_mac,
            first: true,
        }
    }

    /// Signs `msg` (which must not carry a TSIG yet) and returns its bytes.
    pub(crate) fn sign(&mut self, msg: &mut Message) -> Result<Vec<u8>, ProtoError> {
        let unsigned = msg.to_vec()?;
        let record = if self.first {
            let context = TSigResponseContext::new(
                self.id,
                self.now,
                self.signer.clone(),
                self.previous_mac.clone(),
                None,
            );
            context.sign(&unsigned)?
        } else {
            Box::new(self.next(&unsigned)?)
        };
        self.first = false;
        self.previous_mac.clone_from(&record.data.mac);
        msg.set_signature(record);
        msg.to_vec()
    }

    /// The TSIG record of a message after the first.
    fn next(&self, unsigned: &[u8]) -> Result<hickory_proto::rr::Record<TSIG>, ProtoError> {
        let mut tbs = Vec::with_capacity(unsigned.len() + self.previous_mac.len() + 10);
        let mut encoder = BinEncoder::new(&mut tbs);
        let len = u16::try_from(self.previous_mac.len())
            .map_err(|_| ProtoError::from("MAC longer than 65535 bytes"))?;
        encoder.emit_u16(len)?;
        encoder.emit_vec(&self.previous_mac)?;
        encoder.emit_vec(unsigned)?;
        // 48-bit time signed, then fudge.
        encoder.emit_u16((self.now >> 32) as u16)?;
        encoder.emit_u32(self.now as u32)?;
        encoder.emit_u16(self.signer.fudge())?;
        let mac = self
            .signer
            .sign(&tbs)
            .map_err(|e| ProtoError::from(e.to_string()))?;
        let tsig = TSIG::new(
            self.signer.algorithm().clone(),
            self.now,
            self.signer.fudge(),
            mac,
            self.id,
            None,
            Vec::new(),
        );
        Ok(make_tsig_record(self.signer.signer_name().clone(), tsig))
    }
}

/// Signs a single error answer with `context` and returns its bytes.
pub(crate) fn sign_with(
    context: TSigResponseContext,
    msg: &mut Message,
) -> Result<Vec<u8>, ProtoError> {
    let record = context.sign(&msg.to_vec()?)?;
    msg.set_signature(record);
    msg.to_vec()
}
