//! HTTP(S) probes: one HTTP/1.1 request on a new connection to the endpoint's address, no redirects, no proxy.
//!
//! The request goes out on a connection this probe opens itself and drops
//! at its end: no pool, no spawned task, the TLS settings shared by every
//! endpoint with the same trust, and the request's bytes built once per
//! endpoint. The response is read by a small HTTP/1.1 reader of our own
//! (the head parsed by `httparse`, the body framed by its length, chunks or
//! the close): a probe in flight holds its socket, about a kilobyte of
//! buffer and its own state, where a general client's connection,
//! dispatch channel and read buffer took about 40 KB, which 5,000 probes
//! waiting out a timeout at once (a region that black-holes) multiplied.

use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use http::HeaderValue;
use http::uri::PathAndQuery;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_rustls::TlsConnector;

use super::connect::{connect_any, connect_error};
use super::lookup::Lookup;
use super::tls::TlsConfigs;
use super::{LocalFault, MAX_BODY, ProbeError, ProbeSpec};

const AGENT: &str = concat!("rtoguard/", env!("CARGO_PKG_VERSION"));

/// The longest response head (status line and headers) read.
const MAX_HEAD: usize = 16 * 1024;
/// The most header fields a response head may carry.
const MAX_HEADERS: usize = 100;
/// The first read's buffer; it grows only for a long head or a body read.
const FIRST_READ: usize = 1024;

/// One client for one (spec, endpoint): connects to the endpoint while the
/// Host header and SNI name `host`; never follows redirects; a new connection
/// per probe (no idle pool), so a dead endpoint cannot hide behind a kept-alive one.
#[derive(Debug)]
pub(super) struct HttpClient {
    /// An IP address, or a host name looked up at each probe.
    endpoint: String,
    port: u16,
    source: Option<IpAddr>,
    /// The resolvers a host-name endpoint is looked up through (never the
    /// system's when set).
    lookup: Option<Arc<Lookup>>,
    /// TLS settings and the name sent as SNI and verified; None for plain HTTP.
    tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    /// The request as sent: `GET`, the path, Host, User-Agent, Accept and
    /// `Connection: close`.
    request: Box<[u8]>,
}

impl HttpClient {
    pub(super) fn new(
        spec: &ProbeSpec,
        endpoint: &str,
        tls_configs: &TlsConfigs,
        source: Option<IpAddr>,
        lookup: Option<Arc<Lookup>>,
    ) -> Result<Self, ProbeError> {
        let ProbeSpec::Http {
            tls,
            port,
            path,
            host,
            ca_file,
            ..
        } = spec
        else {
            return Err(ProbeError::Config("not an HTTP probe".into()));
        };
        let bare = endpoint.trim_start_matches('[').trim_end_matches(']');
        let name = if host.is_empty() { bare } else { host.as_str() };
        let tls = if *tls {
            let server = ServerName::try_from(name.to_string()).map_err(|e| {
                ProbeError::Config(format!("{name:?} is not a TLS server name: {e}"))
            })?;
            Some((tls_configs.get(ca_file.as_deref())?, server))
        } else {
            None
        };
        let host = host_header(tls.is_some(), name, *port);
        HeaderValue::from_str(&host)
            .map_err(|_| ProbeError::Config(format!("{host:?} is not a valid Host header")))?;
        let path = PathAndQuery::from_str(&request_path(path))
            .map_err(|e| ProbeError::Config(format!("{path:?} is not a valid path: {e}")))?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
        Ok(Self {
            endpoint: endpoint.to_string(),
            port: *port,
            source,
            lookup,
            tls,
            request: request.into_bytes().into_boxed_slice(),
        })
    }

    /// One request; `Ok(detail)` when status, header and body all match.
    pub(super) async fn check(&self, spec: &ProbeSpec) -> Result<String, ProbeError> {
        let tcp = connect_any(
            &self.endpoint,
            self.port,
            self.source,
            self.lookup.as_deref(),
        )
        .await?;
        match &self.tls {
            None => self.exchange(tcp, spec).await,
            Some((config, server)) => {
                // On the heap: a TLS session's state is kilobytes, and a
                // plain probe's future would otherwise carry room for it.
                let stream =
                    Box::pin(TlsConnector::from(config.clone()).connect(server.clone(), tcp))
                        .await
                        .map_err(|e| tls_error(&e))?;
                Box::pin(self.exchange(Box::new(stream), spec)).await
            }
        }
    }

    /// Send the request on `io` and judge the response.
    async fn exchange<S>(&self, mut io: S, spec: &ProbeSpec) -> Result<String, ProbeError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        io.write_all(&self.request)
            .await
            .map_err(|e| io_error(&e, "sending the request"))?;
        io.flush()
            .await
            .map_err(|e| io_error(&e, "sending the request"))?;
        let mut buf = Vec::with_capacity(FIRST_READ);
        let head = loop {
            if let Some(head) = parse_head(&buf, spec)? {
                if head.interim {
                    // 100 Continue and the like: the final response follows.
                    buf.drain(..head.len);
                    continue;
                }
                break head;
            }
            if buf.len() >= MAX_HEAD {
                return Err(ProbeError::Http(format!(
                    "the response head is longer than {} KiB",
                    MAX_HEAD / 1024
                )));
            }
            if fill(&mut io, &mut buf, MAX_HEAD).await? == 0 {
                return Err(ProbeError::Http(if buf.is_empty() {
                    "the connection closed before a response".into()
                } else {
                    "the connection closed in the response head".into()
                }));
            }
        };
        judge(&head, spec)?;
        let ProbeSpec::Http {
            body_contains: Some(needle),
            ..
        } = spec
        else {
            return Ok(format!("status {}", head.status));
        };
        buf.drain(..head.len);
        let body = read_body(&mut io, buf, head.framing).await?;
        if !contains(&body, needle.as_bytes()) {
            return Err(ProbeError::Body(head.status));
        }
        Ok(format!("status {}", head.status))
    }
}

/// What the probe needs of a response head.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Head {
    status: u16,
    /// The head's length in bytes, its blank line included.
    len: usize,
    /// A 1xx response other than 101: another response follows.
    interim: bool,
    /// The spec's header: present with the expected value.
    header_ok: bool,
    framing: Framing,
}

/// How the body's end is known (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body (1xx, 204, 304).
    None,
    Length(u64),
    Chunked,
    /// Read until the server closes.
    Close,
}

/// The head at the start of `buf`, or None while it is incomplete.
fn parse_head(buf: &[u8], spec: &ProbeSpec) -> Result<Option<Head>, ProbeError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(ProbeError::Http(format!(
                "the response has more than {MAX_HEADERS} header fields"
            )));
        }
        Err(e) => return Err(ProbeError::Http(format!("not an HTTP/1 response: {e}"))),
    };
    let status = resp.code.unwrap_or_default();
    let wanted = match spec {
        ProbeSpec::Http {
            header: Some((name, value)),
            ..
        } => Some((name.as_str(), value.as_bytes())),
        _ => None,
    };
    let header_ok = wanted.is_none_or(|(name, value)| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .is_some_and(|h| h.value == value)
    });
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::None
    } else if let Some(te) = resp
        .headers
        .iter()
        .rev()
        .find(|h| h.name.eq_ignore_ascii_case("transfer-encoding"))
    {
        let last = te.value.rsplit(|b| *b == b',').next().unwrap_or_default();
        if last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
            Framing::Chunked
        } else {
            Framing::Close
        }
    } else if let Some(cl) = resp
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
    {
        let n = std::str::from_utf8(cl.value)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                ProbeError::Http("the response's Content-Length is not a number".into())
            })?;
        Framing::Length(n)
    } else {
        Framing::Close
    };
    Ok(Some(Head {
        status,
        len,
        interim: (100..200).contains(&status) && status != 101,
        header_ok,
        framing,
    }))
}

/// Status and header against the spec.
fn judge(head: &Head, spec: &ProbeSpec) -> Result<(), ProbeError> {
    let ProbeSpec::Http {
        expect_status,
        header,
        ..
    } = spec
    else {
        return Err(ProbeError::Config("not an HTTP probe".into()));
    };
    if !status_ok(expect_status, head.status) {
        return Err(ProbeError::Status(head.status));
    }
    if let Some((name, _)) = header
        && !head.header_ok
    {
        return Err(ProbeError::Header(head.status, name.clone()));
    }
    Ok(())
}

/// Read more of the response into `buf` (at most up to `limit` bytes in
/// all); the count read, 0 at the end of the stream.
///
/// A TLS server that closes without `close_notify` (many do after a
/// close-delimited body) ends the stream as an unexpected EOF: that is the
/// end here too, and a body it cut short is refused by its framing.
async fn fill<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut Vec<u8>,
    limit: usize,
) -> Result<usize, ProbeError> {
    let room = limit
        .saturating_sub(buf.len())
        .min(buf.capacity().max(FIRST_READ));
    let at = buf.len();
    buf.resize(at + room, 0);
    let n = match io.read(&mut buf[at..]).await {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
        other => other,
    };
    buf.truncate(at + *n.as_ref().unwrap_or(&0));
    n.map_err(|e| io_error(&e, "reading the response"))
}

/// The first [`MAX_BODY`] bytes of the body, `buf` holding what was read
/// past the head.
async fn read_body<S: AsyncRead + Unpin>(
    io: &mut S,
    mut buf: Vec<u8>,
    framing: Framing,
) -> Result<Vec<u8>, ProbeError> {
    match framing {
        Framing::None => Ok(Vec::new()),
        Framing::Length(n) => {
            let want = usize::try_from(n).unwrap_or(usize::MAX).min(MAX_BODY);
            while buf.len() < want {
                if fill(io, &mut buf, want).await? == 0 {
                    return Err(ProbeError::Http(
                        "the body ended before its Content-Length".into(),
                    ));
                }
            }
            buf.truncate(want);
            Ok(buf)
        }
        Framing::Close => {
            while buf.len() < MAX_BODY && fill(io, &mut buf, MAX_BODY).await? > 0 {}
            buf.truncate(MAX_BODY);
            Ok(buf)
        }
        Framing::Chunked => {
            let mut body = Vec::new();
            // The chunks' framing may take more room than their data: read
            // at most the body's bound and as much again.
            let limit = 2 * MAX_BODY + MAX_HEAD;
            loop {
                match dechunk(&buf, &mut body)? {
                    Dechunked::Done => break,
                    Dechunked::More if body.len() >= MAX_BODY => break,
                    Dechunked::More => {}
                }
                if buf.len() >= limit {
                    return Err(ProbeError::Http(
                        "the chunked body is framed too loosely".into(),
                    ));
                }
                if fill(io, &mut buf, limit).await? == 0 {
                    return Err(ProbeError::Http(
                        "the connection closed in a chunked body".into(),
                    ));
                }
            }
            body.truncate(MAX_BODY);
            Ok(body)
        }
    }
}

/// What [`dechunk`] made of the bytes so far.
#[derive(Debug, PartialEq, Eq)]
enum Dechunked {
    /// The last chunk was read.
    Done,
    /// More bytes are needed.
    More,
}

/// Decode the chunked body `raw` (from its start) into `body`, afresh on
/// every call: the data of every complete chunk (RFC 9112 §7.1; extensions
/// and trailers ignored).
fn dechunk(raw: &[u8], body: &mut Vec<u8>) -> Result<Dechunked, ProbeError> {
    body.clear();
    let bad = |what: &str| ProbeError::Http(format!("bad chunked body: {what}"));
    let mut at = 0;
    loop {
        let Some(eol) = find_crlf(&raw[at..]) else {
            return Ok(Dechunked::More);
        };
        let line = &raw[at..at + eol];
        let size = line
            .split(|b| *b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        let size = std::str::from_utf8(size)
            .ok()
            .filter(|s| !s.is_empty() && s.len() <= 16)
            .and_then(|s| u64::from_str_radix(s, 16).ok())
            .ok_or_else(|| bad("a chunk size is not hexadecimal"))?;
        at += eol + 2;
        if size == 0 {
            return Ok(Dechunked::Done);
        }
        let size = usize::try_from(size).map_err(|_| bad("a chunk is too large"))?;
        let Some(end) = at.checked_add(size) else {
            return Err(bad("a chunk is too large"));
        };
        if raw.len() < end {
            body.extend_from_slice(&raw[at..]);
            return Ok(Dechunked::More);
        }
        body.extend_from_slice(&raw[at..end]);
        if raw.len() < end + 2 {
            return Ok(Dechunked::More);
        }
        if &raw[end..end + 2] != b"\r\n" {
            return Err(bad("a chunk does not end with CRLF"));
        }
        at = end + 2;
    }
}

fn find_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

/// A failed read or write on an open connection: this host's own trouble,
/// or the exchange's.
fn io_error(e: &std::io::Error, doing: &str) -> ProbeError {
    match LocalFault::from_io(e) {
        Some(l) => ProbeError::Local(l),
        None => ProbeError::Http(format!("{doing}: {e}")),
    }
}

/// The Host header for `host` on `port`: the port is left out when it is
/// the scheme's own (80, or 443 with TLS); an IPv6 address is bracketed.
fn host_header(tls: bool, host: &str, port: u16) -> String {
    let host = bracket(host);
    if port == if tls { 443 } else { 80 } {
        host
    } else {
        format!("{host}:{port}")
    }
}

/// The path as sent: from its leading `/`, without a fragment, and with
/// bytes a request line cannot carry percent-encoded.
fn request_path(path: &str) -> String {
    let path = path.split('#').next().unwrap_or_default();
    let mut out = String::with_capacity(path.len() + 1);
    if !path.starts_with('/') {
        out.push('/');
    }
    for b in path.bytes() {
        if b.is_ascii_graphic() && !matches!(b, b'"' | b'<' | b'>' | b'`' | b'{' | b'}') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An empty list accepts any 2xx.
fn status_ok(expect: &[(u16, u16)], status: u16) -> bool {
    if expect.is_empty() {
        return (200..300).contains(&status);
    }
    expect.iter().any(|(lo, hi)| (*lo..=*hi).contains(&status))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// A failed TLS handshake: the certificate or protocol's fault as `tls:`,
/// this host's own trouble as local, anything else as a failed connect.
fn tls_error(e: &std::io::Error) -> ProbeError {
    if let Some(l) = LocalFault::in_chain(e) {
        return ProbeError::Local(l);
    }
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(tls) => ProbeError::Tls(tls.to_string()),
        None => connect_error(e),
    }
}

fn bracket(host: &str) -> String {
    match IpAddr::from_str(host) {
        Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
        _ => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_header_names_the_host_and_a_port_of_its_own() {
        assert_eq!(
            host_header(true, "svc.example.test", 443),
            "svc.example.test"
        );
        assert_eq!(
            host_header(false, "svc.example.test", 443),
            "svc.example.test:443"
        );
        assert_eq!(host_header(false, "2001:db8::1", 80), "[2001:db8::1]");
        assert_eq!(
            host_header(false, "lb.example.net", 8080),
            "lb.example.net:8080"
        );
    }

    #[test]
    fn the_path_is_sent_as_a_request_line_can_carry_it() {
        assert_eq!(request_path("/healthz?deep=1"), "/healthz?deep=1");
        assert_eq!(request_path("up"), "/up");
        assert_eq!(request_path("/a b#frag"), "/a%20b");
    }

    #[test]
    fn a_chunked_body_decodes_the_same_from_any_prefix() {
        let raw = b"5;x=y\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\ntrailer: 1\r\n\r\n";
        let mut body = Vec::new();
        assert_eq!(dechunk(raw, &mut body).unwrap(), Dechunked::Done);
        assert_eq!(body, b"hello 0123456789");
        for cut in 0..raw.len() {
            let mut part = Vec::new();
            let got = dechunk(&raw[..cut], &mut part).unwrap();
            assert!(body.starts_with(&part), "cut {cut}: {part:?}");
            // Done only once the last chunk's size line is whole.
            assert_eq!(got == Dechunked::Done, cut >= 38, "cut {cut}");
        }
    }

    #[test]
    fn a_chunked_body_with_bad_framing_is_an_error() {
        let mut body = Vec::new();
        for raw in [
            &b"x\r\n"[..],
            b"\r\n",
            b"2\r\nabXY",
            b"fffffffffffffffff\r\n",
        ] {
            assert!(dechunk(raw, &mut body).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn the_head_says_how_the_body_ends() {
        let spec = ProbeSpec::Http {
            tls: false,
            port: 80,
            path: "/".into(),
            host: String::new(),
            expect_status: vec![],
            body_contains: None,
            header: Some(("x-region".into(), "a".into())),
            ca_file: None,
        };
        let head = |raw: &str| parse_head(raw.as_bytes(), &spec).unwrap().unwrap();
        let h = head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX-Region: a\r\n\r\nbody");
        assert_eq!(
            (h.status, h.len, h.framing, h.header_ok),
            (200, 52, Framing::Length(12), true)
        );
        let h = head(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\ncontent-length: 3\r\n\r\n",
        );
        assert_eq!((h.framing, h.header_ok), (Framing::Chunked, false));
        assert_eq!(head("HTTP/1.0 200 OK\r\n\r\n").framing, Framing::Close);
        assert_eq!(
            head("HTTP/1.1 204 No Content\r\ncontent-length: 9\r\n\r\n").framing,
            Framing::None
        );
        assert!(head("HTTP/1.1 100 Continue\r\n\r\n").interim);
        assert!(!head("HTTP/1.1 101 Switching Protocols\r\n\r\n").interim);
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\ncontent-le", &spec)
                .unwrap()
                .is_none()
        );
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n", &spec).is_err());
    }

    /// Bytes, then the stream ends as rustls ends one closed without
    /// `close_notify`.
    struct CutTls(&'static [u8]);

    impl AsyncRead for CutTls {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            if self.0.is_empty() {
                return std::task::Poll::Ready(Err(std::io::ErrorKind::UnexpectedEof.into()));
            }
            let n = self.0.len().min(buf.remaining());
            buf.put_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_tls_close_without_close_notify_ends_the_body() {
        let body = read_body(&mut CutTls(b"region us-east-1"), Vec::new(), Framing::Close)
            .await
            .unwrap();
        assert_eq!(body, b"region us-east-1");
        let short = read_body(&mut CutTls(b"region"), Vec::new(), Framing::Length(20)).await;
        assert_eq!(
            short.unwrap_err().to_string(),
            "http: the body ended before its Content-Length"
        );
    }

    #[test]
    fn contains_finds_substrings_only() {
        assert!(contains(b"region us-east-1\n", b"us-east"));
        assert!(!contains(b"region", b"region us"));
        assert!(contains(b"", b""));
    }
}
