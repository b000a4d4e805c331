//! Arbitrary bytes as the reply to a fixed query: never a panic, and a reply
//! is taken only when its ID, QR bit, opcode and question are the query's.
#![no_main]

use hickory_proto::op::MessageType;
use hickory_proto::rr::{Name, RecordType};
use libfuzzer_sys::fuzz_target;
use rtoguard_dns::Expected;

fuzz_target!(|data: &[u8]| {
    // The query's ID comes from the input, so matching IDs are reachable.
    let id = data.get(..2).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    // A constant, valid name: from_ascii cannot fail on it.
    let name = Name::from_ascii("www.example.test.").unwrap();
    let mut query = rtoguard_dns::query(&name, RecordType::A, false);
    query.metadata.id = id;
    let expected = Expected::from_message(&query);
    if let Ok(reply) = expected.check(data) {
        assert_eq!(reply.metadata.id, id);
        assert_eq!(reply.metadata.message_type, MessageType::Response);
        assert_eq!(reply.queries.len(), 1);
        assert_eq!(reply.queries[0].query_type(), RecordType::A);
        // hickory compares names without regard to case, as the check must.
        assert!(reply.queries[0].name() == &name);
    }
});
