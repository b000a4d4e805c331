//! Property tests of the reply check over random and mutated reply bytes: no panic, and a reply is accepted only when every field matches.

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use proptest::prelude::*;
use rtoguard_dns::{Expected, Mismatch, answers, query};

fn name() -> impl Strategy<Value = Name> {
    prop::collection::vec("[a-z0-9]{1,12}", 1..4).prop_map(|labels| {
        Name::from_ascii(format!("{}.", labels.join("."))).expect("valid labels")
    })
}

fn rtype() -> impl Strategy<Value = RecordType> {
    prop::sample::select(vec![
        RecordType::A,
        RecordType::AAAA,
        RecordType::CNAME,
        RecordType::NS,
        RecordType::SOA,
        RecordType::TXT,
    ])
}

/// Flip the case of the letters chosen by `mask`.
fn recase(name: &Name, mask: u64) -> Name {
    let s: String = name
        .to_ascii()
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    Name::from_ascii(s).expect("same name, other case")
}

/// A true reply to `q`: its ID, opcode and question (recased), QR set.
fn reply_to(q: &Message, mask: u64) -> Message {
    let mut r = Message::response(q.metadata.id, q.metadata.op_code);
    for qq in &q.queries {
        let mut echoed = Query::query(recase(qq.name(), mask), qq.query_type());
        echoed.set_query_class(qq.query_class());
        r.add_query(echoed);
    }
    let owner = q.queries[0].name().clone();
    r.add_answer(Record::from_rdata(
        owner,
        60,
        RData::A(A::new(127, 0, 0, 2)),
    ));
    r
}

/// An independent reading of the fields: what a correct check must see.
fn every_field_matches(request: &Message, reply: &[u8]) -> bool {
    let Ok(r) = Message::from_vec(reply) else {
        return false;
    };
    let (id, qr, opcode) = (
        u16::from_be_bytes([reply[0], reply[1]]),
        reply[2] & 0x80 != 0,
        (reply[2] >> 3) & 0x0f,
    );
    id == request.metadata.id
        && qr
        && opcode == u8::from(request.metadata.op_code)
        && r.queries.len() == request.queries.len()
        && r.queries.iter().zip(&request.queries).all(|(a, b)| {
            a.name()
                .to_ascii()
                .eq_ignore_ascii_case(&b.name().to_ascii())
                && a.query_type() == b.query_type()
                && a.query_class() == b.query_class()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_true_reply_is_accepted(n in name(), t in rtype(), rd: bool, mask: u64) {
        let q = query(&n, t, rd);
        let reply = reply_to(&q, mask).to_vec().unwrap();
        prop_assert!(answers(&q.to_vec().unwrap(), &reply));
    }

    #[test]
    fn one_wrong_field_is_refused(n in name(), other in name(), t in rtype(), field in 0..5u8) {
        let q = query(&n, t, false);
        let mut r = reply_to(&q, 0);
        let want = match field {
            0 => { r.metadata.id = r.metadata.id.wrapping_add(1); Mismatch::Id }
            1 => { r.metadata.message_type = MessageType::Query; Mismatch::NotResponse }
            2 => { r.metadata.op_code = OpCode::Notify; Mismatch::OpCode }
            3 => { r.queries[0].set_query_class(DNSClass::CH); Mismatch::Question }
            _ => {
                prop_assume!(other != n);
                r.queries[0].set_name(other);
                Mismatch::Question
            }
        };
        let got = Expected::from_message(&q).check(&r.to_vec().unwrap());
        prop_assert_eq!(got.err(), Some(want));
    }

    #[test]
    fn mutated_replies_never_fool_the_check(
        n in name(), t in rtype(), mask: u64,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let q = query(&n, t, true);
        let mut reply = reply_to(&q, mask).to_vec().unwrap();
        for (at, byte) in edits {
            let i = at.index(reply.len());
            reply[i] = byte;
        }
        reply.truncate(cut.index(reply.len()) + 1);
        if answers(&q.to_vec().unwrap(), &reply) {
            prop_assert!(every_field_matches(&q, &reply));
        }
    }

    #[test]
    fn random_bytes_never_fool_the_check(
        n in name(), t in rtype(),
        bytes in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let q = query(&n, t, false);
        if answers(&q.to_vec().unwrap(), &bytes) {
            prop_assert!(every_field_matches(&q, &bytes));
        }
    }
}
