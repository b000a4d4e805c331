//! The demo's caching resolver: forwards to the authority and keeps each answer for its TTL, handing out the TTL left, as a recursive resolver's cache does; a few clients keep it warm.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::{Name, RecordType};
use tokio::net::UdpSocket;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long the authority may take to answer a forwarded query.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the demo's clients look the record up (so the cache is warm
/// when the flip comes, as it is in front of real users).
const CLIENT_EVERY: Duration = Duration::from_millis(200);

/// One cached answer: the authority's reply, when it was stored, for how long.
struct Entry {
    reply: Message,
    stored: Instant,
    ttl: u32,
}

type Key = (Name, RecordType);

/// A running cache on 127.0.0.1 (UDP); stopped by [`CachingResolver::stop`].
#[derive(Debug)]
pub struct CachingResolver {
    pub addr: SocketAddr,
    cancel: CancellationToken,
    tasks: JoinSet<()>,
}

impl CachingResolver {
    /// Listen on 127.0.0.1 at a free port, forwarding misses to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let socket = Arc::new(UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?);
        let addr = socket.local_addr()?;
        let cancel = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let stop = cancel.clone();
        tasks.spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = serve(socket, upstream) => {}
            }
        });
        Ok(Self {
            addr,
            cancel,
            tasks,
        })
    }

    /// Clients that look `name` up through this cache every 200 ms.
    pub fn keep_warm(&mut self, name: Name, rtype: RecordType) {
        let (addr, stop) = (self.addr, self.cancel.clone());
        self.tasks.spawn(async move {
            let mut tick = tokio::time::interval(CLIENT_EVERY);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => {}
                }
                let query = rtoguard_dns::query(&name, rtype, true);
                // A lost answer is only a client that asks again next tick.
                let _ = rtoguard_dns::Exchange::new(addr, UPSTREAM_TIMEOUT)
                    .message(&query)
                    .await;
            }
        });
    }

    /// Stop answering and wait for the tasks.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Answer every query from the cache, or forward it and keep the answer.
async fn serve(socket: Arc<UdpSocket>, upstream: SocketAddr) {
    let mut cache: HashMap<Key, Entry> = HashMap::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        let Ok(query) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        let Some(reply) = answer(&mut cache, &query, upstream).await else {
            continue;
        };
        if let Ok(bytes) = reply.to_vec() {
            // A reply that cannot be sent is a query the client asks again.
            let _ = socket.send_to(&bytes, from).await;
        }
    }
}

/// The reply to `query`: from a live cache entry with the TTL left, or
/// from the authority (then cached for its smallest TTL).
async fn answer(
    cache: &mut HashMap<Key, Entry>,
    query: &Message,
    upstream: SocketAddr,
) -> Option<Message> {
    if query.metadata.message_type != MessageType::Query {
        return None;
    }
    let q = query.queries.first()?;
    let key = (q.name().to_lowercase(), q.query_type());
    let now = Instant::now();
    let fresh = cache.get(&key).and_then(|e| {
        let age = u32::try_from(now.duration_since(e.stored).as_secs()).unwrap_or(u32::MAX);
        (age < e.ttl).then(|| aged(&e.reply, age))
    });
    let mut reply = match fresh {
        Some(r) => r,
        None => match forward(q.name(), q.query_type(), upstream).await {
            Some(r) => {
                if let Some(ttl) = cacheable(&r) {
                    cache.insert(
                        key,
                        Entry {
                            reply: r.clone(),
                            stored: now,
                            ttl,
                        },
                    );
                }
                r
            }
            None => Message::error_msg(
                query.metadata.id,
                query.metadata.op_code,
                ResponseCode::ServFail,
            ),
        },
    };
    reply.metadata.id = query.metadata.id;
    reply.metadata.authoritative = false;
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.queries = query.queries.clone();
    Some(reply)
}

/// The stored reply with every TTL lowered by `age` seconds.
fn aged(reply: &Message, age: u32) -> Message {
    let mut r = reply.clone();
    for rec in r.answers.iter_mut().chain(r.authorities.iter_mut()) {
        rec.ttl = rec.ttl.saturating_sub(age);
    }
    r
}

/// How long to keep a reply: positive answers for their smallest TTL.
fn cacheable(reply: &Message) -> Option<u32> {
    if reply.metadata.response_code != ResponseCode::NoError {
        return None;
    }
    reply.answers.iter().map(|r| r.ttl).min().filter(|t| *t > 0)
}

async fn forward(name: &Name, rtype: RecordType, upstream: SocketAddr) -> Option<Message> {
    let query = rtoguard_dns::query(name, rtype, false);
    let reply = rtoguard_dns::Exchange::new(upstream, UPSTREAM_TIMEOUT)
        .message(&query)
        .await
        .ok()?;
    Some(reply.message)
}
