//! HTTP(S) probes: one HTTP/1.1 request on a new connection to the endpoint's address, no redirects, no proxy.
//!
//! The request goes over hyper's connection API on a connection this probe
//! opens itself (and drops at its end): no pool, no spawned task, the TLS
//! settings shared by every endpoint with the same trust, and the request's
//! parts built once per endpoint.

use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use http::header::{ACCEPT, HOST, HeaderValue, USER_AGENT};
use http::uri::PathAndQuery;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;

use super::connect::{connect_any, connect_error};
use super::lookup::Lookup;
use super::tls::TlsConfigs;
use super::{LocalFault, MAX_BODY, ProbeError, ProbeSpec};

const AGENT: &str = concat!("rtoguard/", env!("CARGO_PKG_VERSION"));

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
    /// The Host header: the host, with the port unless it is the scheme's own.
    host: HeaderValue,
    path: PathAndQuery,
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
        let host = HeaderValue::from_str(&host)
            .map_err(|_| ProbeError::Config(format!("{host:?} is not a valid Host header")))?;
        let path = PathAndQuery::from_str(&request_path(path))
            .map_err(|e| ProbeError::Config(format!("{path:?} is not a valid path: {e}")))?;
        Ok(Self {
            endpoint: endpoint.to_string(),
            port: *port,
            source,
            lookup,
            tls,
            host,
            path,
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
                let stream = TlsConnector::from(config.clone())
                    .connect(server.clone(), tcp)
                    .await
                    .map_err(|e| tls_error(&e))?;
                self.exchange(stream, spec).await
            }
        }
    }

    /// Send the request on `io` and judge the response, driving the
    /// connection in this task until the verdict.
    async fn exchange<S>(&self, io: S, spec: &ProbeSpec) -> Result<String, ProbeError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| http_error(&e))?;
        let request = http::Request::get(self.path.clone())
            .header(HOST, self.host.clone())
            .header(USER_AGENT, HeaderValue::from_static(AGENT))
            .header(ACCEPT, HeaderValue::from_static("*/*"))
            .body(Empty::<Bytes>::new())
            .map_err(|e| ProbeError::Config(format!("cannot build the request: {e}")))?;
        let mut conn = std::pin::pin!(conn);
        let mut ask = std::pin::pin!(async {
            let resp = sender
                .send_request(request)
                .await
                .map_err(|e| http_error(&e))?;
            judge(resp, spec).await
        });
        tokio::select! {
            biased;
            verdict = &mut ask => return verdict,
            ended = &mut conn => ended.map_err(|e| http_error(&e))?,
        }
        // The connection ended cleanly: what it delivered is in the request's hands.
        ask.await
    }
}

/// Status, header and body of a response against the spec.
async fn judge(resp: http::Response<Incoming>, spec: &ProbeSpec) -> Result<String, ProbeError> {
    let ProbeSpec::Http {
        expect_status,
        body_contains,
        header,
        ..
    } = spec
    else {
        return Err(ProbeError::Config("not an HTTP probe".into()));
    };
    let status = resp.status().as_u16();
    if !status_ok(expect_status, status) {
        return Err(ProbeError::Status(status));
    }
    if let Some((name, want)) = header {
        let got = resp.headers().get(name.as_str()).map(|v| v.as_bytes());
        if got != Some(want.as_bytes()) {
            return Err(ProbeError::Header(status, name.clone()));
        }
    }
    if let Some(needle) = body_contains {
        let body = read_bounded(resp.into_body()).await?;
        if !contains(&body, needle.as_bytes()) {
            return Err(ProbeError::Body(status));
        }
    }
    Ok(format!("status {status}"))
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

async fn read_bounded(mut body: Incoming) -> Result<Vec<u8>, ProbeError> {
    let mut out = Vec::new();
    while out.len() < MAX_BODY {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(c) = frame.data_ref() {
                    out.extend_from_slice(&c[..c.len().min(MAX_BODY - out.len())]);
                }
            }
            None => break,
            Some(Err(e)) => return Err(ProbeError::Http(format!("reading body: {}", chain(&e)))),
        }
    }
    Ok(out)
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

/// A failed exchange on an open connection.
fn http_error(e: &hyper::Error) -> ProbeError {
    match LocalFault::in_chain(e) {
        Some(l) => ProbeError::Local(l),
        None => ProbeError::Http(chain(e)),
    }
}

/// The error and its causes, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
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
    fn contains_finds_substrings_only() {
        assert!(contains(b"region us-east-1\n", b"us-east"));
        assert!(!contains(b"region", b"region us"));
        assert!(contains(b"", b""));
    }
}
