//! The UDP and TCP listeners (hickory-server) and the request handler.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Edns, Header, HeaderCounts, MessageType, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RecordType};
use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::Mutex;
use tracing::{debug, info, warn};

use crate::limit::{Limiter, Verdict};
use crate::settings::EmbeddedSettings;
use crate::store::Store;
use crate::zone::Answer;

/// Idle TCP connections are closed after this long.
const TCP_TIMEOUT: Duration = Duration::from_secs(10);
/// Open TCP connections per listener at most.
const TCP_MAX: usize = 256;
/// The UDP payload we accept and advertise (the DNS flag day 2020 size).
const UDP_PAYLOAD: u16 = 1232;
/// How often the rate limiter forgets idle prefixes.
const FORGET_EVERY: Duration = Duration::from_secs(30);
/// How long [`Embedded::stop`] waits for the listeners to end.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A running embedded server: its store and its listeners. The listeners
/// stop on [`Embedded::stop`] or when it is dropped.
pub struct Embedded {
    name: String,
    store: Arc<Store>,
    addrs: Vec<SocketAddr>,
    /// Each transfer address (ports resolved), by zone apex.
    transfer_addrs: Vec<(Name, SocketAddr)>,
    server: Mutex<Server<Handler>>,
    /// The listeners' shutdown token.
    cancel: tokio_util::sync::CancellationToken,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded")
            .field("name", &self.name)
            .field("addrs", &self.addrs)
            .finish_non_exhaustive()
    }
}

impl Embedded {
    /// Build the zones, bind every listen address (UDP and TCP) and serve.
    pub async fn start(settings: &EmbeddedSettings) -> Result<Arc<Self>, crate::Error> {
        if settings.listen.is_empty() {
            return Err(crate::Error::NoListen);
        }
        let store = Arc::new(Store::new(&settings.zones, settings.state_file.clone())?);
        let limiter = Limiter::new(settings.rate_limit).map(Arc::new);
        let handler = Handler {
            store: store.clone(),
            limiter: limiter.clone(),
        };
        let mut server = Server::new(handler);
        let mut addrs = Vec::new();
        for listen in &settings.listen {
            let (udp, tcp) = bind_pair(*listen).await?;
            let addr = udp.local_addr().map_err(|source| crate::Error::Bind {
                addr: *listen,
                proto: "UDP",
                source,
            })?;
            server.register_socket(udp);
            server.register_listener(tcp, TCP_TIMEOUT, TCP_MAX);
            addrs.push(addr);
        }
        let cancel = server.shutdown_token().clone();
        // Zones with the same transfer address share one listener.
        let mut by_listen: std::collections::BTreeMap<SocketAddr, Vec<(&Name, _)>> =
            std::collections::BTreeMap::new();
        for (apex, t) in store.transfers() {
            by_listen.entry(t.listen()).or_default().push((apex, t));
        }
        let mut transfer_addrs = Vec::new();
        for (listen, zones) in by_listen {
            let served = rtoguard_dns::transfer::TransferZones(
                zones.iter().map(|(_, t)| t.transfers().clone()).collect(),
            );
            let addr = serve_transfers(listen, Arc::new(served), &cancel).await?;
            for (apex, _) in zones {
                info!(provider = %settings.name, zone = %apex, %addr, "Zone transfers are served.");
                transfer_addrs.push((apex.clone(), addr));
            }
        }
        if let Some(l) = limiter {
            let stop = cancel.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(FORGET_EVERY) => l.forget_idle(),
                    }
                }
            });
        }
        let zones: Vec<String> = settings.zones.iter().map(|z| z.name.clone()).collect();
        info!(provider = %settings.name, addrs = ?addrs, zones = %zones.join(", "), "Embedded authoritative server is serving.");
        Ok(Arc::new(Self {
            name: settings.name.clone(),
            store,
            addrs,
            transfer_addrs,
            server: Mutex::new(server),
            cancel,
        }))
    }

    /// The provider's name in the config.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The addresses it answers on (ports resolved), UDP and TCP alike.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Where secondaries transfer `zone` from (port resolved), if they may.
    pub fn transfer_addr(&self, zone: &str) -> Option<SocketAddr> {
        let apex = crate::zone::parse_name(zone, &Name::root()).ok()?;
        self.transfer_addrs
            .iter()
            .find(|(a, _)| *a == apex)
            .map(|(_, addr)| *addr)
    }

    /// What it serves.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Stop listening now, without waiting (a replacement is starting).
    pub fn halt(&self) {
        self.cancel.cancel();
    }

    /// Stop listening; waits a few seconds at most for the listeners to end.
    pub async fn stop(&self) {
        let mut server = self.server.lock().await;
        match tokio::time::timeout(STOP_GRACE, server.shutdown_gracefully()).await {
            Ok(Ok(())) => info!(provider = %self.name, "Embedded authoritative server stopped."),
            Ok(Err(error)) => {
                warn!(provider = %self.name, %error, "Embedded authoritative server stopped with an error.")
            }
            Err(_) => {
                warn!(provider = %self.name, "Embedded authoritative server did not stop in time.")
            }
        }
        // The transfer listeners end with the same token.
        self.cancel.cancel();
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Answers every request from the store's current snapshot.
pub struct Handler {
    store: Arc<Store>,
    limiter: Option<Arc<Limiter>>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut handle: R,
    ) -> ResponseInfo {
        let limited = match (&self.limiter, request.protocol()) {
            (Some(l), Protocol::Udp) => l.check(request.src().ip()),
            _ => Verdict::Answer,
        };
        if limited == Verdict::Drop {
            debug!(client = %request.src(), "Rate limit: response dropped.");
            return header_only(request, ResponseCode::Refused);
        }
        let mut edns = None;
        if let Some(req) = &request.edns {
            let mut e = Edns::new();
            e.set_max_payload(req.max_payload().clamp(512, UDP_PAYLOAD));
            e.set_version(0);
            if req.version() > 0 {
                return send_error(request, ResponseCode::BADVERS, Some(&e), handle).await;
            }
            edns = Some(e);
        }
        let edns = edns.as_ref();
        if limited == Verdict::Slip {
            return send_truncated(request, edns, handle).await;
        }
        if request.metadata.message_type != MessageType::Query {
            return header_only(request, ResponseCode::FormErr);
        }
        if request.metadata.op_code != OpCode::Query {
            return send_error(request, ResponseCode::NotImp, edns, handle).await;
        }
        let [query] = request.queries.queries() else {
            return send_error(request, ResponseCode::FormErr, edns, handle).await;
        };
        let qtype = query.query_type();
        if matches!(qtype, RecordType::AXFR | RecordType::IXFR) {
            return self.transfer(request, edns, handle).await;
        }
        if query.query_class() != DNSClass::IN {
            return send_error(request, ResponseCode::Refused, edns, handle).await;
        }
        let qname: Name = query.name().into();
        let snapshot = self.store.snapshot();
        let Some(zone) = snapshot.zone_for(&qname) else {
            return send_error(request, ResponseCode::Refused, edns, handle).await;
        };
        let answer: Answer = zone.answer(&qname, qtype);
        let mut meta = Metadata::response_from_request(&request.metadata);
        meta.authoritative = true;
        meta.recursion_available = false;
        meta.response_code = answer.rcode;
        let mut builder = MessageResponseBuilder::new(&request.queries, None);
        if let Some(e) = edns {
            builder.edns(e);
        }
        let response = builder.build(
            meta,
            answer.answers.iter(),
            answer.authorities.iter(),
            std::iter::empty(),
            answer.additionals.iter(),
        );
        match handle.send_response(response).await {
            Ok(info) => info,
            Err(error) => {
                debug!(%error, client = %request.src(), "Cannot send a response.");
                header_only(request, ResponseCode::ServFail)
            }
        }
    }
}

impl Handler {
    /// AXFR and IXFR on the query address: refused. Transfers are served
    /// on each zone's own transfer address (TSIG needs the request's bytes
    /// as received), see [`serve_transfers`].
    async fn transfer<R: ResponseHandler>(
        &self,
        request: &Request,
        edns: Option<&Edns>,
        handle: R,
    ) -> ResponseInfo {
        debug!(client = %request.src(), "Zone transfer refused.");
        send_error(request, ResponseCode::Refused, edns, handle).await
    }
}

async fn send_error<R: ResponseHandler>(
    request: &Request,
    rcode: ResponseCode,
    edns: Option<&Edns>,
    mut handle: R,
) -> ResponseInfo {
    let mut builder = MessageResponseBuilder::new(&request.queries, None);
    if let Some(e) = edns {
        builder.edns(e);
    }
    let response = builder.error_msg(&request.metadata, rcode);
    match handle.send_response(response).await {
        Ok(info) => info,
        Err(_) => header_only(request, rcode),
    }
}

/// An empty reply with TC set: "ask again over TCP" (the rate limiter's slip).
async fn send_truncated<R: ResponseHandler>(
    request: &Request,
    edns: Option<&Edns>,
    mut handle: R,
) -> ResponseInfo {
    let mut meta = Metadata::response_from_request(&request.metadata);
    meta.truncation = true;
    let mut builder = MessageResponseBuilder::new(&request.queries, None);
    if let Some(e) = edns {
        builder.edns(e);
    }
    match handle.send_response(builder.build_no_records(meta)).await {
        Ok(info) => info,
        Err(_) => header_only(request, ResponseCode::NoError),
    }
}

/// The header of a response that was not sent.
fn header_only(request: &Request, rcode: ResponseCode) -> ResponseInfo {
    let mut metadata = Metadata::response_from_request(&request.metadata);
    metadata.response_code = rcode;
    ResponseInfo::from(Header {
        metadata,
        counts: HeaderCounts::default(),
    })
}

/// Bind a transfer address (TCP for AXFR/IXFR, UDP for the SOA query
/// before one) and serve the zones transferred there until `cancel`; the
/// address bound.
async fn serve_transfers(
    listen: SocketAddr,
    zones: Arc<rtoguard_dns::transfer::TransferZones>,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<SocketAddr, crate::Error> {
    let (udp, tcp) = bind_pair(listen).await?;
    let addr = udp.local_addr().map_err(|source| crate::Error::Bind {
        addr: listen,
        proto: "UDP",
        source,
    })?;
    let tcp_task = rtoguard_dns::transfer::serve_transfers(tcp, zones.clone());
    let udp_task = rtoguard_dns::transfer::serve_transfers_udp(udp, zones);
    for (task, proto) in [
        (
            Box::pin(tcp_task) as std::pin::Pin<Box<dyn Future<Output = _> + Send>>,
            "TCP",
        ),
        (Box::pin(udp_task), "UDP"),
    ] {
        let stop = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                r = task => if let Err(error) = r {
                    warn!(%addr, proto, %error, "The zone transfer listener stopped.");
                }
            }
        });
    }
    Ok(addr)
}

/// UDP and TCP on the same address; for port 0, the same free port. A fixed
/// port still held by the server this one replaces (a reload) is retried
/// for [`REBIND_FOR`].
async fn bind_pair(listen: SocketAddr) -> Result<(UdpSocket, TcpListener), crate::Error> {
    let attempts = if listen.port() == 0 { 20 } else { 1 };
    let mut last = None;
    for _ in 0..attempts {
        let udp = bind_retrying(listen.port() != 0, || bind_udp(listen))
            .await
            .map_err(|source| crate::Error::Bind {
                addr: listen,
                proto: "UDP",
                source,
            })?;
        let addr = udp.local_addr().map_err(|source| crate::Error::Bind {
            addr: listen,
            proto: "UDP",
            source,
        })?;
        match bind_retrying(listen.port() != 0, || bind_tcp(addr)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(source) => last = Some(source),
        }
    }
    Err(crate::Error::Bind {
        addr: listen,
        proto: "TCP",
        source: last.unwrap_or_else(|| std::io::Error::other("no attempt")),
    })
}

/// How long a listen address still in use is tried again.
const REBIND_FOR: Duration = Duration::from_secs(3);

async fn bind_retrying<T>(
    retry: bool,
    bind: impl Fn() -> std::io::Result<T>,
) -> std::io::Result<T> {
    let deadline = tokio::time::Instant::now() + if retry { REBIND_FOR } else { Duration::ZERO };
    loop {
        match bind() {
            Err(e)
                if e.kind() == std::io::ErrorKind::AddrInUse
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

fn socket(addr: SocketAddr, ty: socket2::Type) -> std::io::Result<socket2::Socket> {
    let s = socket2::Socket::new(socket2::Domain::for_address(addr), ty, None)?;
    if addr.is_ipv6() {
        // `[::]` next to `0.0.0.0` on the same port: each family its own socket.
        s.set_only_v6(true)?;
    }
    if ty == socket2::Type::STREAM {
        s.set_reuse_address(true)?;
    }
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    Ok(s)
}

fn bind_udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    UdpSocket::from_std(socket(addr, socket2::Type::DGRAM)?.into())
}

fn bind_tcp(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let s = socket(addr, socket2::Type::STREAM)?;
    s.listen(1024)?;
    TcpListener::from_std(s.into())
}
