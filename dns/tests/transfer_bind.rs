//! BIND 9 as a secondary of our transfer responder: AXFR first, then NOTIFY
//! and IXFR; a secondary without the key is refused; garbage on the
//! transfer port does not stop it.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::tsig::TsigAlgorithm;
use hickory_proto::rr::rdata::{A, NS, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType, TSigner};
use rtoguard_dns::notify::{Notifier, NotifyError, NotifyPolicy};
use rtoguard_dns::transfer::{
    TransferPolicy, Transfers, ZoneHistory, serve_transfers, serve_transfers_udp,
};
use rtoguard_testkit::bind::{Bind, TsigKey, assert_unkeyed_secondary_refused};
use rtoguard_testkit::eventually;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

const ZONE: &str = "hidden.test.";
const WWW: &str = "www.hidden.test.";
const HOSTS: u8 = 60;
/// Small messages, so that BIND checks the TSIG chain over several.
const MAX_MESSAGE: usize = 1024;

fn name(s: &str) -> Name {
    Name::from_str(s).expect("valid name")
}

fn zone(www: u8) -> Vec<Record> {
    let soa = SOA::new(
        name("ns1.hidden.test."),
        name("hostmaster.hidden.test."),
        1,
        60,
        30,
        600,
        5,
    );
    let mut records = vec![
        Record::from_rdata(name(ZONE), 300, RData::SOA(soa)),
        Record::from_rdata(name(ZONE), 300, RData::NS(NS(name("ns1.hidden.test.")))),
        Record::from_rdata(
            name("ns1.hidden.test."),
            300,
            RData::A(A::new(127, 0, 0, 1)),
        ),
        Record::from_rdata(name(WWW), 60, RData::A(A::new(192, 0, 2, www))),
    ];
    // Enough records that a transfer takes several messages of MAX_MESSAGE
    // bytes, all of them changed by the next version.
    records.extend((0..HOSTS).map(|i| {
        let owner = name(&format!("host{i}.{ZONE}"));
        Record::from_rdata(owner, 60, RData::A(A::new(198, 51, www, i)))
    }));
    records
}

/// A fresh key, as BIND's config and as our signer.
fn key() -> (TsigKey, TSigner) {
    let secret: [u8; 32] = rand::random();
    let tsig = TsigKey {
        name: "xfr-test.".into(),
        algorithm: "hmac-sha256".into(),
        secret: rtoguard_testkit::base64(&secret),
    };
    let signer = TSigner::new(
        secret.to_vec(),
        TsigAlgorithm::HmacSha256,
        name("xfr-test."),
        300,
    )
    .expect("signer");
    (tsig, signer)
}

/// Our hidden primary: transfers over TCP, SOA over UDP, on one port.
struct Primary {
    addr: SocketAddr,
    transfers: Arc<Transfers>,
    tasks: Vec<JoinHandle<()>>,
}

impl Primary {
    async fn start(signer: TSigner) -> Self {
        let history = ZoneHistory::new(name(ZONE), zone(1), 8).expect("zone");
        let mut policy = TransferPolicy::new(vec![signer], vec!["127.0.0.1".parse().expect("ip")]);
        policy.max_message = MAX_MESSAGE;
        let transfers = Arc::new(Transfers {
            history: Arc::new(RwLock::new(history)),
            policy,
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind TCP");
        let addr = listener.local_addr().expect("addr");
        let udp = UdpSocket::bind(addr)
            .await
            .expect("bind UDP on the same port");
        let tcp_task = tokio::spawn({
            let transfers = Arc::clone(&transfers);
            async move {
                let _ = serve_transfers(listener, transfers).await;
            }
        });
        let udp_task = tokio::spawn({
            let transfers = Arc::clone(&transfers);
            async move {
                let _ = serve_transfers_udp(udp, transfers).await;
            }
        });
        Self {
            addr,
            transfers,
            tasks: vec![tcp_task, udp_task],
        }
    }

    fn commit(&self, records: Vec<Record>) -> Record {
        let mut h = self.transfers.history.write().expect("lock");
        h.commit(records).expect("commit");
        h.soa().clone()
    }
}

impl Drop for Primary {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn policy() -> NotifyPolicy {
    NotifyPolicy {
        attempts: 3,
        first_wait: Duration::from_millis(200),
        timeout: Duration::from_secs(2),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_secondary_gets_axfr_then_notify_and_ixfr() {
    let (tsig, signer) = key();
    let primary = Primary::start(signer.clone()).await;
    let secondary = tokio::task::spawn_blocking({
        let tsig = tsig.clone();
        let addr = primary.addr;
        move || {
            Bind::builder(ZONE)
                .key(tsig)
                .signed_transfers()
                .debug(3)
                .secondary_of(addr)
                .start()
        }
    })
    .await
    .expect("start BIND");
    assert_eq!(
        secondary.query(WWW, RecordType::A).values,
        vec!["192.0.2.1"]
    );
    assert_eq!(secondary.serial(), 1);

    let soa = primary.commit(zone(2));
    let notifier = Notifier {
        zone: name(ZONE),
        targets: vec![secondary.addr],
        signer: Some(signer),
        policy: policy(),
    };
    let outcomes = notifier.notify(&soa).await;
    assert_eq!(outcomes.len(), 1);
    assert!(outcomes[0].error.is_none(), "{}", outcomes[0]);
    assert!(
        eventually(|| secondary.query(WWW, RecordType::A).values == ["192.0.2.2"]).await,
        "BIND serves the new value:\n{}",
        secondary.log()
    );
    assert_eq!(secondary.serial(), 2);
    // BIND's own account: AXFR for the first version, IXFR for the second.
    let log = secondary.log();
    let mut from = 0;
    for line in [
        "requesting AXFR of initial version",
        "got nonincremental response",
        "requesting IXFR for serial 1",
        "got incremental response",
    ] {
        let at = log[from..].find(line).map(|i| from + i);
        from = at.unwrap_or_else(|| panic!("no {line:?} after byte {from} of:\n{log}"));
    }
    assert_eq!(log.matches("nonincremental").count(), 1, "{log}");
    let messages: Vec<u32> = log
        .lines()
        .filter_map(|l| {
            l.split("Transfer completed: ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .collect();
    assert_eq!(messages.len(), 2, "{log}");
    assert!(
        messages.iter().all(|&n| n > 2),
        "each transfer took several signed messages: {messages:?}"
    );

    // A NOTIFY signed with a key BIND does not know is refused, and the
    // outcome says so without the secret.
    let secret = b"notify-secret-not-for-logs";
    let stranger = TSigner::new(
        secret.to_vec(),
        TsigAlgorithm::HmacSha256,
        name("stranger."),
        300,
    )
    .expect("signer");
    let wrong = Notifier {
        signer: Some(stranger),
        policy: NotifyPolicy {
            attempts: 2,
            ..policy()
        },
        ..notifier
    };
    let outcome = wrong.notify_one(secondary.addr, &soa).await;
    assert_eq!(outcome.attempts, 2, "{outcome}");
    assert!(
        matches!(
            outcome.error,
            Some(NotifyError::Rcode(ResponseCode::NotAuth))
        ),
        "{outcome}"
    );
    let told = outcome.to_string();
    assert!(told.contains("did not acknowledge serial 2"), "{told}");
    assert!(
        !told.contains("notify-secret") && !told.contains(&rtoguard_testkit::base64(secret)),
        "{told}"
    );
}

#[tokio::test]
async fn notify_to_a_silent_secondary_gives_up_after_its_attempts() {
    let silent = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let (_, signer) = key();
    let notifier = Notifier {
        zone: name(ZONE),
        targets: vec![silent.local_addr().expect("addr")],
        signer: Some(signer),
        policy: NotifyPolicy {
            attempts: 3,
            first_wait: Duration::from_millis(10),
            timeout: Duration::from_millis(100),
        },
    };
    let soa = zone(1).remove(0);
    let outcomes = notifier.notify(&soa).await;
    assert_eq!(outcomes[0].attempts, 3);
    assert!(
        matches!(&outcomes[0].error, Some(NotifyError::Exchange(e)) if e.is_timeout()),
        "{}",
        outcomes[0]
    );
    // Each attempt reached the secondary.
    let mut buf = [0u8; 512];
    for _ in 0..3 {
        let (n, _) = silent
            .try_recv_from(&mut buf)
            .expect("a NOTIFY was received");
        let msg = Message::from_vec(&buf[..n]).expect("decodes");
        assert_eq!(msg.metadata.op_code, OpCode::Notify);
        assert!(msg.signature().is_some(), "signed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_secondary_without_the_key_is_refused() {
    let (_, signer) = key();
    let primary = Primary::start(signer).await;
    let addr = primary.addr;
    assert_unkeyed_secondary_refused(ZONE, addr, WWW).await;
}

async fn send(stream: &mut TcpStream, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).expect("short");
    stream.write_all(&len.to_be_bytes()).await.expect("write");
    stream.write_all(bytes).await.expect("write");
}

/// Reads one length-prefixed message, or `None` when the server closed.
async fn receive(stream: &mut TcpStream) -> Option<Message> {
    receive_bytes(stream).await.map(|(m, _)| m)
}

/// One length-prefixed message, decoded and as received.
async fn receive_bytes(stream: &mut TcpStream) -> Option<(Message, Vec<u8>)> {
    let mut len = [0u8; 2];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut len))
        .await
        .expect("an answer or a close")
        .ok()?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut buf).await.ok()?;
    Some((Message::from_vec(&buf).expect("our answers decode"), buf))
}

#[tokio::test]
async fn garbage_on_the_transfer_port_gets_errors_and_the_server_keeps_serving() {
    let (_, signer) = key();
    let primary = Primary::start(signer.clone()).await;
    for _ in 0..50 {
        let mut stream = TcpStream::connect(primary.addr).await.expect("connect");
        let size = rand::random_range(0..300usize);
        let junk: Vec<u8> = (0..size).map(|_| rand::random()).collect();
        send(&mut stream, &junk).await;
        if let Some(reply) = receive(&mut stream).await {
            assert!(reply.answers.is_empty(), "no zone data for junk");
        }
    }
    // A length prefix promising more than is sent, then a close.
    let mut stream = TcpStream::connect(primary.addr).await.expect("connect");
    stream
        .write_all(&[0xff, 0xff, 1, 2, 3])
        .await
        .expect("write");
    drop(stream);

    let mut stream = TcpStream::connect(primary.addr).await.expect("connect");
    let mut axfr = Message::new(99, MessageType::Query, OpCode::Query);
    axfr.add_query(Query::query(name(ZONE), RecordType::AXFR));
    let mut verifier = axfr
        .finalize(
            &signer,
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs(),
        )
        .expect("sign")
        .expect("verifier");
    send(&mut stream, &axfr.to_vec().expect("encode")).await;
    let mut records = Vec::new();
    while records.len() < 2 || records.last().map(Record::record_type) != Some(RecordType::SOA) {
        let (reply, bytes) = receive_bytes(&mut stream).await.expect("an AXFR answer");
        assert!(bytes.len() <= MAX_MESSAGE, "{} bytes", bytes.len());
        verifier.verify(&bytes).expect("signed in the chain");
        records.extend(reply.answers);
    }
    assert_eq!(records.len(), zone(1).len() + 1);
}
