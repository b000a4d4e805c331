//! HTTP(S) probes: a reqwest client pinned to the endpoint's address, no redirects, no proxy.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::connect::endpoint_addrs;
use super::lookup::Lookup;
use super::tls::{self, TlsConfigs};
use super::{LocalFault, MAX_BODY, ProbeError, ProbeSpec};

/// One client for one (spec, endpoint): connects to the endpoint while the URL,
/// Host header and SNI name `host`; never follows redirects; a new connection
/// per probe (no idle pool), so a dead endpoint cannot hide behind a kept-alive one.
#[derive(Debug)]
pub(super) struct HttpClient {
    client: reqwest::Client,
    url: String,
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
        let url = url(*tls, host, endpoint, *port, path);
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .pool_max_idle_per_host(0)
            .local_address(source)
            .user_agent(concat!("rtoguard/", env!("CARGO_PKG_VERSION")));
        match IpAddr::from_str(endpoint.trim_start_matches('[').trim_end_matches(']')) {
            Ok(ip) if !host.is_empty() => b = b.resolve(host, SocketAddr::new(ip, *port)),
            Ok(_) => {}
            Err(_) => {
                b = b.dns_resolver(Arc::new(EndpointResolver {
                    endpoint: endpoint.to_string(),
                    lookup,
                }))
            }
        }
        let tls_config = if *tls {
            tls_configs.get(ca_file.as_deref())?
        } else {
            tls::trust_nothing()?
        };
        b = b.tls_backend_preconfigured(tls_config);
        let client = b
            .build()
            .map_err(|e| ProbeError::Config(format!("cannot build HTTP client: {e}")))?;
        Ok(Self { client, url })
    }

    /// One request; `Ok(detail)` when status, header and body all match.
    pub(super) async fn check(&self, spec: &ProbeSpec) -> Result<String, ProbeError> {
        let ProbeSpec::Http {
            expect_status,
            body_contains,
            header,
            ..
        } = spec
        else {
            return Err(ProbeError::Config("not an HTTP probe".into()));
        };
        let mut resp = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(send_error)?;
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
            let body = read_bounded(&mut resp).await?;
            if !contains(&body, needle.as_bytes()) {
                return Err(ProbeError::Body(status));
            }
        }
        Ok(format!("status {status}"))
    }
}

/// `scheme://host:port/path`, the host being `host`, or the endpoint when empty.
fn url(tls: bool, host: &str, endpoint: &str, port: u16, path: &str) -> String {
    let scheme = if tls { "https" } else { "http" };
    let url_host = if host.is_empty() {
        bracket(endpoint)
    } else {
        host.to_string()
    };
    let slash = if path.starts_with('/') { "" } else { "/" };
    format!("{scheme}://{url_host}:{port}{slash}{path}")
}

/// An empty list accepts any 2xx.
fn status_ok(expect: &[(u16, u16)], status: u16) -> bool {
    if expect.is_empty() {
        return (200..300).contains(&status);
    }
    expect.iter().any(|(lo, hi)| (*lo..=*hi).contains(&status))
}

async fn read_bounded(resp: &mut reqwest::Response) -> Result<Vec<u8>, ProbeError> {
    let mut body = Vec::new();
    while body.len() < MAX_BODY {
        match resp.chunk().await {
            Ok(Some(c)) => body.extend_from_slice(&c[..c.len().min(MAX_BODY - body.len())]),
            Ok(None) => break,
            Err(e) => return Err(ProbeError::Http(format!("reading body: {}", chain(&e)))),
        }
    }
    Ok(body)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fn send_error(e: reqwest::Error) -> ProbeError {
    if let Some(l) = LocalFault::in_chain(&e) {
        return ProbeError::Local(l);
    }
    let text = chain(&e);
    if e.is_timeout() {
        return ProbeError::Http(text);
    }
    if e.is_connect() {
        let causes = causes(&e);
        if let Some(tls) = causes
            .iter()
            .find_map(|c| c.downcast_ref::<rustls::Error>())
        {
            return ProbeError::Tls(tls.to_string());
        }
        if let Some(io) = causes
            .iter()
            .rev()
            .find_map(|c| c.downcast_ref::<std::io::Error>())
        {
            return super::connect::connect_error(io);
        }
        return ProbeError::Connect(text);
    }
    ProbeError::Http(text)
}

/// The error and its causes, looking inside io::Errors (where rustls and
/// hyper put theirs).
fn causes<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(e);
    while let Some(c) = next {
        out.push(c);
        next = match c
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => c.source(),
        };
    }
    out
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

fn bracket(endpoint: &str) -> String {
    match IpAddr::from_str(endpoint) {
        Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
        _ => endpoint.to_string(),
    }
}

/// Resolves every name to the endpoint's own addresses (for endpoints given
/// as host names, through `lookup` when set), so the URL's host is never
/// looked up.
struct EndpointResolver {
    endpoint: String,
    lookup: Option<Arc<Lookup>>,
}

impl Resolve for EndpointResolver {
    fn resolve(&self, _name: Name) -> Resolving {
        let (endpoint, lookup) = (self.endpoint.clone(), self.lookup.clone());
        Box::pin(async move {
            let addrs = endpoint_addrs(&endpoint, 0, lookup.as_deref()).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_names_the_host_or_the_endpoint() {
        let u = url(true, "svc.example.test", "192.0.2.10", 443, "/healthz");
        assert_eq!(u, "https://svc.example.test:443/healthz");
        assert_eq!(
            url(false, "", "2001:db8::1", 80, "up"),
            "http://[2001:db8::1]:80/up"
        );
        assert_eq!(
            url(false, "", "lb.example.net", 8080, "/"),
            "http://lb.example.net:8080/"
        );
    }

    #[test]
    fn contains_finds_substrings_only() {
        assert!(contains(b"region us-east-1\n", b"us-east"));
        assert!(!contains(b"region", b"region us"));
        assert!(contains(b"", b""));
    }
}
