//! The demo's stage: a scratch directory, the two regions, the authoritative server (the controller's own embedded one, or the RFC 2136 authority), and the config that ties them to the daemon.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rand::Rng;

use super::cache::CachingResolver;
use super::{Authority, AuthorityConfig, DemoProvider, DemoRegion, loopback_plan};

/// The demo zone.
pub const ZONE: &str = "demo.rtoguard.test.";
/// The record the demo flips.
pub const RECORD: &str = "www.demo.rtoguard.test.";
/// The demo's service name.
pub const SERVICE: &str = "www";
/// The TSIG key the daemon signs its updates with.
const KEY_NAME: &str = "rtoguard-demo.";
/// The record's normal TTL in seconds.
pub const NORMAL_TTL: u32 = 10;
/// The TTL it is lowered to ahead of a switch, in seconds.
pub const LOWERED_TTL: u32 = 2;
/// Tries at finding one port free on both region addresses.
const PORT_TRIES: usize = 20;

/// A scratch directory, removed on drop.
#[derive(Debug)]
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    /// Creates `$TMPDIR/rtoguard-demo.PID.RANDOM`, readable by this user only.
    pub fn create() -> anyhow::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = std::env::temp_dir().join(format!(
            "rtoguard-demo.{}.{:08x}",
            std::process::id(),
            rand::rng().next_u32()
        ));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self { dir })
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    pub fn socket_path(&self) -> PathBuf {
        self.dir.join("control.sock")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.join("state")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The running peers: two regions, the authority, and the caching resolver
/// the demo's clients ask.
#[derive(Debug)]
pub struct Peers {
    pub primary: DemoRegion,
    pub standby: DemoRegion,
    /// Which provider the controller flips through.
    pub provider: DemoProvider,
    /// Where the zone is served, over UDP and TCP: the controller's own
    /// embedded server (it starts with the controller), or the RFC 2136
    /// authority.
    pub dns: SocketAddr,
    /// The RFC 2136 authority, when the demo runs on it.
    pub authority: Option<Authority>,
    pub resolver: CachingResolver,
    /// The port both regions listen on (the probe and client port).
    pub port: u16,
}

impl Peers {
    /// Starts both regions on one port and, for RFC 2136, the authority
    /// serving `www` → primary (the embedded server starts with the
    /// controller, on a port free now, and serves the first pool).
    pub async fn start(scratch: &Scratch, provider: DemoProvider) -> anyhow::Result<Self> {
        let (primary, standby) = start_regions().await?;
        let port = primary.addr.port();
        let (dns, authority) = match provider {
            DemoProvider::Embedded => (free_dns_addr().await?, None),
            DemoProvider::Rfc2136 => {
                let a = start_authority(scratch, &primary).await?;
                (a.addr, Some(a))
            }
        };
        let mut resolver = CachingResolver::start(dns)
            .await
            .context("cannot start the demo's caching resolver")?;
        let name = hickory_proto::rr::Name::from_ascii(RECORD).context("the demo record's name")?;
        resolver.keep_warm(name, hickory_proto::rr::RecordType::A);
        Ok(Self {
            primary,
            standby,
            provider,
            dns,
            authority,
            resolver,
            port,
        })
    }

    /// Stops the resolver and the authority; the regions close when dropped.
    pub async fn stop(self) {
        let Self {
            mut primary,
            mut standby,
            authority,
            resolver,
            ..
        } = self;
        primary.kill().await;
        standby.kill().await;
        resolver.stop().await;
        if let Some(authority) = authority {
            authority.stop().await;
        }
    }
}

/// The RFC 2136 authority serving `www` → the primary, its TSIG secret
/// written to the scratch directory for the daemon.
async fn start_authority(scratch: &Scratch, primary: &DemoRegion) -> anyhow::Result<Authority> {
    let secret = random_secret();
    write_secret(&scratch.dir.join("tsig.secret"), &secret)?;
    Authority::start(AuthorityConfig {
        zone: ZONE.into(),
        records: vec![("www".into(), NORMAL_TTL, primary.addr.ip())],
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        tsig_key_name: KEY_NAME.into(),
        tsig_secret: secret,
        state_dir: scratch.dir.join("authority"),
    })
    .await
    .context("cannot start the demo authority")
}

/// A port of 127.0.0.1 free now for both UDP and TCP, for the controller's
/// embedded server (bound, then released for the controller to bind).
async fn free_dns_addr() -> anyhow::Result<SocketAddr> {
    let (udp, _tcp) = super::authority::bind_pair(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .context("cannot find a free port for the embedded server")?;
    Ok(udp.local_addr()?)
}

/// Both regions on the same port: the config has one probe port per service.
async fn start_regions() -> anyhow::Result<(DemoRegion, DemoRegion)> {
    let (a, b) = loopback_plan();
    if a == b {
        bail!(
            "the demo needs two loopback addresses (127.0.0.2 and 127.0.0.3) \
             and this machine lets us bind only {a}"
        );
    }
    let mut last = None;
    for _ in 0..PORT_TRIES {
        let primary = DemoRegion::start(SocketAddr::new(a, 0), "primary")
            .await
            .with_context(|| format!("cannot start the primary region on {a}"))?;
        match DemoRegion::start(SocketAddr::new(b, primary.addr.port()), "standby").await {
            Ok(standby) => return Ok((primary, standby)),
            Err(e) => last = Some(e),
        }
    }
    Err(anyhow::anyhow!(
        "no port free on both {a} and {b}: {}",
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}

fn random_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    secret
}

/// Writes the secret as base64, readable by this user only.
fn write_secret(path: &Path, secret: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writeln!(f, "{}", base64(secret)).with_context(|| format!("cannot write {}", path.display()))
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The provider's name in the demo's config.
pub fn provider_name(provider: DemoProvider) -> &'static str {
    match provider {
        DemoProvider::Embedded => "demo-embedded",
        DemoProvider::Rfc2136 => "demo-authority",
    }
}

/// The provider's table: the controller's own server on the demo's DNS
/// address (no rate limit: the demo's clients ask often), or the RFC 2136
/// authority with the TSIG key written for it.
fn provider_table(scratch: &Scratch, peers: &Peers) -> String {
    let dns = peers.dns;
    let name = provider_name(peers.provider);
    match peers.provider {
        DemoProvider::Embedded => format!(
            r#"[providers.{name}]
type = "embedded"
listen = ["{dns}"]
rate_limit = 0

[[providers.{name}.zones]]
name = "{ZONE}"
name_servers = [{{ name = "ns", addresses = ["{ip}"] }}]
"#,
            ip = dns.ip(),
        ),
        DemoProvider::Rfc2136 => format!(
            r#"[providers.{name}]
type = "rfc2136"
server = "{dns}"
tsig_key_name = "{KEY_NAME}"
tsig_algorithm = "hmac-sha256"
tsig_secret_file = "{secret}"
timeout = "2s"
"#,
            secret = scratch.dir.join("tsig.secret").display(),
        ),
    }
}

/// The daemon's config for the demo peers.
pub fn config(scratch: &Scratch, peers: &Peers) -> String {
    let auth = peers.dns;
    let cache = peers.resolver.addr;
    let port = peers.port;
    let mut c = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        c,
        r#"# Written by `rtoguard demo`.
[controller]
id = "demo"
state_dir = "{state}"
control_socket = "{socket}"

{provider}
[[services]]
name = "{SERVICE}"
provider = "{provider_name}"
zone = "{ZONE}"
record = "{RECORD}"
type = "A"
rto = "30s"
ttl = {{ normal = "{NORMAL_TTL}s", lowered = "{LOWERED_TTL}s", restore_after = "3s" }}
failback = {{ mode = "manual" }}
probe = {{ type = "http", port = {port}, path = "/", timeout = "400ms" }}
health = {{ interval = "500ms", rise = 2, fall = 2 }}
damping = {{ hold_down = "1s", max_flips = 10, flip_window = "1h" }}

[[services.pools]]
name = "primary"
region = "loopback-a"
endpoints = ["{primary}"]
marker = {{ header = "x-region", value = "primary" }}

[[services.pools]]
name = "standby"
region = "loopback-b"
endpoints = ["{standby}"]
marker = {{ header = "x-region", value = "standby" }}

[services.propagation]
authoritatives = [ {{ name = "{provider_name}", address = "{auth}" }} ]
# The demo's caching resolver, which its clients keep warm: it hands out
# the answer it holds until that answer's TTL runs out.
resolvers = [ {{ name = "demo-resolver", address = "{cache}" }} ]
client_url = "http://www.demo.rtoguard.test:{port}/"
deadline = "40s"
"#,
        state = scratch.state_dir().display(),
        socket = scratch.socket_path().display(),
        provider = provider_table(scratch, peers),
        provider_name = provider_name(peers.provider),
        primary = ip(peers.primary.addr.ip()),
        standby = ip(peers.standby.addr.ip()),
    );
    c
}

fn ip(ip: IpAddr) -> String {
    ip.to_string()
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), enc, "{raw:?}");
        }
    }
}
