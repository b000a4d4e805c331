//! The query message every caller sends: random ID, one question, EDNS(0) with our buffer size.

use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::{Name, RecordType};

/// The UDP payload size advertised in EDNS(0): the DNS Flag Day 2020 value,
/// which avoids IP fragmentation on common paths.
pub const EDNS_PAYLOAD: u16 = 1232;

/// A query for `name`/`rtype` in class IN with a random ID, RD set when
/// `recurse`, and an EDNS(0) OPT record advertising [`EDNS_PAYLOAD`].
pub fn query(name: &Name, rtype: RecordType, recurse: bool) -> Message {
    let mut msg = Message::query();
    msg.metadata.id = rand::random();
    msg.metadata.recursion_desired = recurse;
    msg.add_query(Query::query(name.clone(), rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    msg.set_edns(edns);
    msg
}
