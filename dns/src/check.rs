//! Does this reply answer this request: the pure check every received message passes before it counts.

use hickory_proto::op::{Message, MessageType, OpCode, Query};

/// Why a received message is not the answer to our request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("not a DNS message")]
    Malformed,
    #[error("another message ID")]
    Id,
    #[error("not a response (QR clear)")]
    NotResponse,
    #[error("another opcode")]
    OpCode,
    #[error("another question")]
    Question,
}

/// What a reply must echo, read from the request as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    id: u16,
    op_code: OpCode,
    questions: Vec<Query>,
}

impl Expected {
    /// Read the ID, opcode and question (zone, for an UPDATE) of an encoded
    /// request. `None` when the bytes are not a DNS message.
    pub fn from_request(request: &[u8]) -> Option<Self> {
        let msg = Message::from_vec(request).ok()?;
        Some(Self::from_message(&msg))
    }

    /// The same, from a message before it is encoded.
    pub fn from_message(msg: &Message) -> Self {
        Self {
            id: msg.metadata.id,
            op_code: msg.metadata.op_code,
            questions: msg.queries.clone(),
        }
    }

    /// The request's message ID.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The parsed reply when `reply` answers the request: the whole message
    /// decodes, its ID and opcode are ours, QR is set, and its question
    /// section is ours (names compared without regard to case, then type
    /// and class).
    pub fn check(&self, reply: &[u8]) -> Result<Message, Mismatch> {
        let msg = Message::from_vec(reply).map_err(|_| Mismatch::Malformed)?;
        let meta = &msg.metadata;
        if meta.id != self.id {
            return Err(Mismatch::Id);
        }
        if meta.message_type != MessageType::Response {
            return Err(Mismatch::NotResponse);
        }
        if meta.op_code != self.op_code {
            return Err(Mismatch::OpCode);
        }
        if !same_questions(&msg.queries, &self.questions) {
            return Err(Mismatch::Question);
        }
        Ok(msg)
    }
}

/// Same length and pairwise the same name (case-insensitive), type and class.
fn same_questions(got: &[Query], want: &[Query]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| {
            // `Name`'s equality ignores ASCII case (RFC 4343).
            g.name() == w.name()
                && g.name().is_fqdn() == w.name().is_fqdn()
                && g.query_type() == w.query_type()
                && g.query_class() == w.query_class()
        })
}

/// Whether `reply` answers `request` (both encoded). `false` when either is
/// not a DNS message. The entry point for fuzzing the check.
pub fn answers(request: &[u8], reply: &[u8]) -> bool {
    Expected::from_request(request).is_some_and(|e| e.check(reply).is_ok())
}
