//! The embedded providers of this process: one running server per
//! `[providers.NAME] type = "embedded"`, shared by every service on it and
//! replaced when its settings change (a reload).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Where a client on this host reaches a server listening on `addr`: the
/// loopback address of its family when it listens on every address.
pub fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}

#[cfg(feature = "embedded")]
pub use running::provider;

#[cfg(feature = "embedded")]
mod running {
    use std::collections::BTreeMap;
    use std::sync::{Arc, LazyLock, Weak};

    use rtoguard_embedded::{
        Embedded, EmbeddedProvider, EmbeddedSettings, StaticRecord, TransferKey, TransferSettings,
    };
    use rtoguard_provider_api::Provider;
    use tokio::sync::Mutex;

    use crate::config::{Config, EmbeddedConfig, EmbeddedTransfer};

    /// The servers running in this process, by provider name, with the
    /// settings each was started with.
    static RUNNING: LazyLock<Mutex<BTreeMap<String, Running>>> = LazyLock::new(Mutex::default);

    /// A server's settings and a handle that does not keep it alive.
    type Running = (EmbeddedSettings, Weak<Embedded>);

    /// The provider `name`: a handle on its server, started now unless one
    /// with the same settings runs already.
    pub async fn provider(
        cfg: &Config,
        name: &str,
        c: &EmbeddedConfig,
    ) -> Result<Arc<dyn Provider>, String> {
        let settings = settings(cfg, name, c)?;
        let mut running = RUNNING.lock().await;
        if let Some((was, server)) = running.get(name)
            && let Some(server) = server.upgrade()
        {
            if *was == settings {
                return Ok(Arc::new(EmbeddedProvider::new(server)));
            }
            // New settings (a reload): the old server stops listening, the new one takes its addresses.
            server.halt();
        }
        let server = Embedded::start(&settings)
            .await
            .map_err(|e| e.to_string())?;
        running.insert(name.to_string(), (settings, Arc::downgrade(&server)));
        Ok(Arc::new(EmbeddedProvider::new(server)))
    }

    /// The server's settings: the configured zones, every record of each
    /// service served from its first pool until the first write (unless the
    /// zone names that record), the transfer keys read from their files or variables,
    /// and the state file in the state directory.
    fn settings(cfg: &Config, name: &str, c: &EmbeddedConfig) -> Result<EmbeddedSettings, String> {
        let mut zones: Vec<_> = c.zones.iter().map(crate::config::zone_settings).collect();
        for (zone, z) in zones.iter_mut().zip(&c.zones) {
            if let Some(t) = &z.transfer {
                zone.transfer = Some(transfer(&z.name, t)?);
            }
        }
        for svc in cfg.services.iter().filter(|s| s.provider == name) {
            let Some(zone) = zones.iter_mut().find(|z| z.name == svc.zone) else {
                continue;
            };
            // A validated service has at least two pools.
            let first = &svc.pools[0];
            for m in &svc.records {
                let named = c
                    .zones
                    .iter()
                    .filter(|z| z.name == svc.zone)
                    .flat_map(|z| &z.records)
                    .any(|(n, t, _, _)| {
                        rtoguard_provider_api::normalize_name(&absolute(n, &svc.zone)) == m.name
                            && t.eq_ignore_ascii_case(&m.rtype.to_string())
                    });
                let values = first.values_for(m.rtype);
                if named || values.is_empty() {
                    continue;
                }
                zone.records.push(StaticRecord {
                    name: m.name.clone(),
                    rtype: m.rtype.to_string(),
                    ttl: svc.ttl.normal,
                    values: values.to_vec(),
                });
            }
        }
        Ok(EmbeddedSettings {
            name: name.to_string(),
            listen: c.listen.clone(),
            zones,
            rate_limit: c.rate_limit,
            state_file: Some(
                cfg.controller
                    .state_dir
                    .join(format!("embedded-{name}.json")),
            ),
        })
    }

    /// A zone's transfer settings with each key's secret read and decoded;
    /// errors name the zone, the key and where its secret is, never the secret.
    pub(super) fn transfer(zone: &str, t: &EmbeddedTransfer) -> Result<TransferSettings, String> {
        let mut keys = Vec::new();
        for (name, algorithm, source) in &t.keys {
            let secret = source
                .read()
                .map_err(|e| format!("zone {zone}, transfer key {name}: {e}"))?;
            let secret =
                rtoguard_provider_api::decode_base64(secret.expose()).ok_or_else(|| {
                    format!(
                        "zone {zone}, transfer key {name}: the secret in {} is not valid base64",
                        source.describe()
                    )
                })?;
            keys.push(TransferKey {
                name: name.clone(),
                algorithm: *algorithm,
                secret,
            });
        }
        Ok(TransferSettings {
            listen: t.listen,
            keys,
            allow: t.allow.clone(),
            notify: t.notify.clone(),
            keep: usize::try_from(t.keep).unwrap_or(usize::MAX),
        })
    }

    /// `name` made absolute under `zone` when it is relative.
    fn absolute(name: &str, zone: &str) -> String {
        if name.ends_with('.') {
            name.to_string()
        } else {
            format!("{name}.{zone}")
        }
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use crate::config::{EmbeddedTransfer, SecretSource, TsigAlgorithm};

    fn transfer(source: SecretSource) -> EmbeddedTransfer {
        EmbeddedTransfer {
            listen: "127.0.0.1:5300".parse().expect("address"),
            keys: vec![("xfr.".into(), TsigAlgorithm::HmacSha256, source)],
            allow: Vec::new(),
            notify: vec!["127.0.0.1:53".parse().expect("address")],
            keep: 8,
        }
    }

    #[test]
    fn transfer_keys_are_read_and_decoded_and_errors_never_show_the_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = dir.path().join("xfr.secret");
        std::fs::write(&good, "c2VjcmV0LWJ5dGVz\n").expect("write");
        let t = super::running::transfer("gslb.test.", &transfer(SecretSource::File(good)))
            .expect("a readable base64 secret");
        assert_eq!(t.keys[0].secret, b"secret-bytes");
        assert_eq!(t.keys[0].name, "xfr.");
        assert!(!format!("{t:?}").contains("secret-bytes"), "{t:?}");
        assert_eq!(t.keep, 8);

        let bad = dir.path().join("bad.secret");
        std::fs::write(&bad, "not base64 at all!").expect("write");
        let err = super::running::transfer("gslb.test.", &transfer(SecretSource::File(bad)))
            .expect_err("not base64");
        assert!(
            err.contains("gslb.test.") && err.contains("xfr.") && err.contains("bad.secret"),
            "{err}"
        );
        assert!(!err.contains("at all"), "the secret is not shown: {err}");

        let missing = dir.path().join("absent");
        let err = super::running::transfer("gslb.test.", &transfer(SecretSource::File(missing)))
            .expect_err("absent");
        assert!(err.contains("absent"), "{err}");
    }
}
