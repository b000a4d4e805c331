//! The exchange against a hostile server on loopback: forged replies are ignored and counted, TC goes to TCP.

use std::net::Ipv4Addr;
use std::str::FromStr;
use std::time::Duration;

use hickory_proto::rr::{Name, RData, RecordType};
use rtoguard_dns::{Exchange, ExchangeError, Reply, Transport, query};
use rtoguard_testkit::forger::{Forger, Forgery, Script};
use rtoguard_testkit::net::lo;

const CLAIM: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 66);
const TRUTH: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

fn forger(forgeries: &[Forgery], truth: Option<Ipv4Addr>) -> Forger {
    Forger::start(
        lo(1),
        Script {
            forgeries: forgeries.to_vec(),
            claim: CLAIM,
            truth,
        },
    )
}

async fn ask(f: &Forger, timeout: Duration) -> (Result<Reply, ExchangeError>, u64) {
    let name = Name::from_str("www.Example.test.").unwrap();
    let ex = Exchange::new(f.addr, timeout);
    let r = ex.message(&query(&name, RecordType::A, false)).await;
    (r, ex.ignored())
}

fn a_values(r: &Reply) -> Vec<Ipv4Addr> {
    r.message
        .answers
        .iter()
        .filter_map(|rec| match &rec.data {
            RData::A(a) => Some(a.0),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn forged_replies_are_ignored_and_the_true_one_is_taken() {
    let f = forger(&Forgery::HOSTILE, Some(TRUTH));
    let (r, ignored) = ask(&f, Duration::from_secs(5)).await;
    let r = r.expect("the true answer");
    assert_eq!(a_values(&r), [TRUTH]);
    assert_eq!(r.transport, Transport::Udp);
    // QR clear, other question, wrong ID and garbage reach the socket and are
    // counted; the other port's datagram is dropped by the connected socket.
    assert_eq!(ignored, 4);
}

#[tokio::test]
async fn each_forgery_alone_is_never_an_answer() {
    for forgery in Forgery::HOSTILE {
        let f = forger(&[forgery], None);
        let (r, ignored) = ask(&f, Duration::from_millis(400)).await;
        match r {
            Err(e @ ExchangeError::Timeout { .. }) => assert!(!e.is_local(), "{e}"),
            other => panic!("{forgery:?} was taken: {other:?}"),
        }
        assert_eq!(f.queries(), 1, "{forgery:?}: the query reached the forger");
        let want = u64::from(forgery != Forgery::OtherPort);
        assert_eq!(ignored, want, "{forgery:?}");
    }
}

#[tokio::test]
async fn a_truncated_answer_is_asked_again_over_tcp() {
    let mut forgeries = Forgery::HOSTILE.to_vec();
    forgeries.push(Forgery::Truncated);
    let f = forger(&forgeries, Some(TRUTH));
    let (r, ignored) = ask(&f, Duration::from_secs(5)).await;
    let r = r.expect("the answer over TCP");
    assert_eq!(r.transport, Transport::Tcp);
    assert_eq!(a_values(&r), [TRUTH]);
    assert_eq!(ignored, 4);
}

#[tokio::test]
async fn the_query_carries_edns_with_our_buffer_size() {
    let name = Name::from_str("www.example.test.").unwrap();
    let bytes = query(&name, RecordType::A, true).to_vec().unwrap();
    let back = hickory_proto::op::Message::from_vec(&bytes).unwrap();
    let edns = back.edns.expect("an OPT record");
    assert_eq!(edns.max_payload(), rtoguard_dns::EDNS_PAYLOAD);
    assert!(back.metadata.recursion_desired);
}
