//! The answer to one request on the transfer port: AXFR (RFC 5936), IXFR
//! (RFC 1995) or SOA, split into messages that fit, TSIG-signed as a chain.

use std::net::IpAddr;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::tsig::TsigError;
use hickory_proto::rr::{DNSClass, Record, RecordType, TSigner};
use hickory_proto::serialize::binary::BinEncodable;
use tracing::{debug, info, warn};

use super::history::{ZoneHistory, serial_lt, soa_serial};
use super::tsig::{Chain, Verdict, sign_with, verify};
use crate::Transport;

/// The largest DNS message over TCP (its length is two bytes).
pub const TCP_MESSAGE_LIMIT: usize = 65535;

/// Room kept in every message for its TSIG record (key and algorithm
/// names up to 255 bytes each, a 64-byte MAC, fixed fields).
const TSIG_ROOM: usize = 640;

/// Who may transfer the zone, and how large each answer message may be.
#[derive(Clone)]
pub struct TransferPolicy {
    /// The TSIG keys a transfer request may be signed with (at least one
    /// is needed: unsigned transfers are refused).
    pub keys: Vec<TSigner>,
    /// The addresses secondaries transfer from; empty means any address
    /// (a valid key is still needed).
    pub allowed: Vec<IpAddr>,
    /// The largest answer message in bytes, TSIG included (at most
    /// [`TCP_MESSAGE_LIMIT`]).
    pub max_message: usize,
}

impl TransferPolicy {
    /// Transfers signed with one of `keys`, from `allowed` (empty: any),
    /// in messages up to the TCP limit.
    pub fn new(keys: Vec<TSigner>, allowed: Vec<IpAddr>) -> Self {
        Self {
            keys,
            allowed,
            max_message: TCP_MESSAGE_LIMIT,
        }
    }

    fn allows(&self, from: IpAddr) -> bool {
        self.allowed.is_empty() || self.allowed.contains(&from)
    }
}

/// The messages that answer `request` (wire bytes) from `from`, received
/// over `transport` at `now` (seconds since the Unix epoch, for TSIG).
///
/// - SOA: the zone's SOA, signed when the request is.
/// - AXFR over TCP: SOA, every other record, SOA again, over as many
///   messages as [`TransferPolicy::max_message`] needs.
/// - IXFR: the changes since the client's serial when that version is
///   kept; the whole zone (AXFR form) when it is not; the SOA alone when
///   the client is current, or when the request came over UDP.
///
/// A transfer without a valid TSIG, or from an address not allowed, is
/// REFUSED (NOTAUTH with BADKEY / BADSIG / BADTIME when its TSIG fails).
/// Garbled requests get FORMERR when their header can be read; an empty
/// list means: send nothing (and close a TCP connection).
pub fn answer(
    history: &ZoneHistory,
    request: &[u8],
    from: IpAddr,
    transport: Transport,
    policy: &TransferPolicy,
    now: u64,
) -> Vec<Vec<u8>> {
    let msg = match Message::from_vec(request) {
        Ok(m) => m,
        Err(_) => return formerr(request),
    };
    if msg.metadata.message_type != MessageType::Query {
        return Vec::new();
    }
    let id = msg.metadata.id;
    if msg.metadata.op_code != OpCode::Query {
        return plain(error(&msg, ResponseCode::NotImp));
    }
    let [query] = msg.queries.as_slice() else {
        return plain(error(&msg, ResponseCode::FormErr));
    };
    if query.query_class() != DNSClass::IN {
        return plain(error(&msg, ResponseCode::Refused));
    }
    if query.name() != history.origin() {
        return plain(error(&msg, ResponseCode::NotAuth));
    }
    let qtype = query.query_type();
    let (signer, mac) = match verify(request, &msg, &policy.keys, now) {
        Verdict::Unsigned if qtype == RecordType::SOA => {
            return plain(soa_answer(&msg, history));
        }
        Verdict::Unsigned => {
            warn!(%from, id, kind = %qtype, "Refused an unsigned zone transfer.");
            return plain(error(&msg, ResponseCode::Refused));
        }
        Verdict::Bad {
            key,
            error: tsig_error,
            context,
        } => {
            warn!(%from, id, %key, error = tsig_name(&tsig_error), "Refused a request whose TSIG does not verify.");
            let mut reply = error(&msg, ResponseCode::NotAuth);
            return sign_with(context, &mut reply).into_iter().collect();
        }
        Verdict::Valid { signer, mac } => (signer, mac),
    };
    let mut chain = Chain::new(signer.clone(), id, now, mac);
    let messages = match qtype {
        RecordType::SOA => vec![soa_answer(&msg, history)],
        RecordType::AXFR | RecordType::IXFR if !policy.allows(from) => {
            warn!(%from, id, key = %signer.signer_name(), "Refused a zone transfer from an address not allowed.");
            vec![error(&msg, ResponseCode::Refused)]
        }
        RecordType::AXFR if transport == Transport::Udp => {
            vec![error(&msg, ResponseCode::FormErr)]
        }
        RecordType::AXFR => transfer(&msg, history, &signer, "AXFR", full(history), policy, from),
        RecordType::IXFR => ixfr(&msg, history, &signer, transport, policy, from),
        _ => vec![error(&msg, ResponseCode::Refused)],
    };
    let mut out = Vec::with_capacity(messages.len());
    for mut m in messages {
        match chain.sign(&mut m) {
            Ok(bytes) if bytes.len() <= TCP_MESSAGE_LIMIT => out.push(bytes),
            _ => {
                warn!(%from, id, "A transfer message does not encode; the transfer stops.");
                return Vec::new();
            }
        }
    }
    out
}

/// The IXFR answer for `msg`: incremental, full, or the SOA alone.
fn ixfr(
    msg: &Message,
    history: &ZoneHistory,
    signer: &TSigner,
    transport: Transport,
    policy: &TransferPolicy,
    from: IpAddr,
) -> Vec<Message> {
    let Some(client) = msg.authorities.iter().find_map(soa_serial) else {
        return vec![error(msg, ResponseCode::FormErr)];
    };
    let current = history.serial();
    if client == current || serial_lt(current, client) || transport == Transport::Udp {
        debug!(%from, client, current, "IXFR: the SOA alone.");
        return vec![soa_answer(msg, history)];
    }
    let Some(steps) = history.changes_since(client) else {
        return transfer(
            msg,
            history,
            signer,
            "IXFR (whole zone)",
            full(history),
            policy,
            from,
        );
    };
    let soa = history.soa().clone();
    let mut stream = vec![soa.clone()];
    for step in steps {
        stream.push(step.from.clone());
        stream.extend(step.removed.iter().cloned());
        stream.push(step.to.clone());
        stream.extend(step.added.iter().cloned());
    }
    stream.push(soa);
    transfer(msg, history, signer, "IXFR", stream, policy, from)
}

/// The whole zone as an AXFR stream: SOA, every other record, SOA.
fn full(history: &ZoneHistory) -> Vec<Record> {
    let mut stream = history.records().to_vec();
    stream.push(history.soa().clone());
    stream
}

/// Splits `stream` into answer messages for `msg` and logs the transfer.
fn transfer(
    msg: &Message,
    history: &ZoneHistory,
    signer: &TSigner,
    kind: &str,
    stream: Vec<Record>,
    policy: &TransferPolicy,
    from: IpAddr,
) -> Vec<Message> {
    let records = stream.len();
    match split(msg, stream, policy.max_message) {
        Some(messages) => {
            info!(%from, zone = %history.origin(), serial = history.serial(), key = %signer.signer_name(), kind, records, messages = messages.len(), "Served a zone transfer.");
            messages
        }
        None => vec![error(msg, ResponseCode::ServFail)],
    }
}

/// Packs `stream` into messages of at most `max` bytes (TSIG room kept),
/// the question in the first one only. Sizes are counted without name
/// compression, so the encoded messages are never larger.
pub(crate) fn split(msg: &Message, stream: Vec<Record>, max: usize) -> Option<Vec<Message>> {
    let question: usize = msg
        .queries
        .iter()
        .map(|q| q.to_bytes().map(|b| b.len()).unwrap_or(512))
        .sum();
    let budget = max.min(TCP_MESSAGE_LIMIT).saturating_sub(TSIG_ROOM + 12);
    let mut messages = Vec::new();
    let mut current = response(msg, true);
    let mut used = question;
    for record in stream {
        let size = record.to_bytes().ok()?.len();
        if !current.answers.is_empty() && used + size > budget {
            messages.push(std::mem::replace(&mut current, response(msg, false)));
            used = 0;
        }
        used += size;
        current.answers.push(record);
    }
    messages.push(current);
    Some(messages)
}

/// An authoritative answer to `msg` with no records, the question copied
/// when `question`.
fn response(msg: &Message, question: bool) -> Message {
    let mut reply = Message::response(msg.metadata.id, msg.metadata.op_code);
    reply.metadata.authoritative = true;
    reply.metadata.recursion_desired = msg.metadata.recursion_desired;
    if question {
        reply.queries.clone_from(&msg.queries);
    }
    reply
}

fn soa_answer(msg: &Message, history: &ZoneHistory) -> Message {
    let mut reply = response(msg, true);
    reply.add_answer(history.soa().clone());
    reply
}

fn error(msg: &Message, code: ResponseCode) -> Message {
    let mut reply = response(msg, true);
    reply.metadata.authoritative = false;
    reply.metadata.response_code = code;
    reply
}

fn plain(msg: Message) -> Vec<Vec<u8>> {
    msg.to_vec().into_iter().collect()
}

/// FORMERR for a request that does not decode, when its header can be
/// read and it is a query; nothing otherwise.
fn formerr(request: &[u8]) -> Vec<Vec<u8>> {
    let [a, b, flags, ..] = *request else {
        return Vec::new();
    };
    if request.len() < 12 || flags & 0x80 != 0 {
        return Vec::new();
    }
    let id = u16::from_be_bytes([a, b]);
    let reply = Message::error_msg(id, OpCode::Query, ResponseCode::FormErr);
    plain(reply)
}

/// The TSIG error's name, for logs.
fn tsig_name(error: &TsigError) -> &'static str {
    match error {
        TsigError::BadKey => "BADKEY",
        TsigError::BadSig => "BADSIG",
        TsigError::BadTime => "BADTIME",
        _ => "other",
    }
}
