//! Which provider types this build carries (cargo features) and what to tell a config that names one it left out.

/// Whether provider type `kind` (`rfc2136`, `route53`, `cloudflare`, `powerdns`, `webhook`) was
/// compiled into this build.
pub fn provider_compiled(kind: &str) -> bool {
    (kind == "rfc2136" && cfg!(feature = "rfc2136"))
        || (kind == "route53" && cfg!(feature = "route53"))
        || (kind == "cloudflare" && cfg!(feature = "cloudflare"))
        || (kind == "powerdns" && cfg!(feature = "powerdns"))
        || (kind == "embedded" && cfg!(feature = "embedded"))
        || (kind == "webhook" && cfg!(feature = "webhook"))
        || (kind == "azure" && cfg!(feature = "azure"))
        || (kind == "gcloud" && cfg!(feature = "gcloud"))
}

/// The reason a known provider type cannot be used by this build.
pub fn compiled_out(kind: &str) -> String {
    format!(
        "provider type `{kind}` is not compiled into this rtoguard (built without the `{kind}` \
         feature); use a build with it, such as the Debian package (every provider)"
    )
}

// Each provider's lowest accepted TTL, from its crate when it is built in. A
// left-out provider is refused before its floor could matter: 1 stands in.
#[cfg(feature = "rfc2136")]
pub(super) const RFC2136_TTL_FLOOR: u32 = rtoguard_rfc2136::TTL_FLOOR;
#[cfg(not(feature = "rfc2136"))]
pub(super) const RFC2136_TTL_FLOOR: u32 = 1;
#[cfg(feature = "route53")]
pub(super) const ROUTE53_TTL_FLOOR: u32 = rtoguard_route53::TTL_FLOOR;
#[cfg(not(feature = "route53"))]
pub(super) const ROUTE53_TTL_FLOOR: u32 = 1;
#[cfg(feature = "cloudflare")]
pub(super) const CLOUDFLARE_TTL_FLOOR: u32 = rtoguard_cloudflare::TTL_FLOOR;
#[cfg(not(feature = "cloudflare"))]
pub(super) const CLOUDFLARE_TTL_FLOOR: u32 = 1;
#[cfg(feature = "powerdns")]
pub(super) const POWERDNS_TTL_FLOOR: u32 = rtoguard_powerdns::TTL_FLOOR;
#[cfg(not(feature = "powerdns"))]
pub(super) const POWERDNS_TTL_FLOOR: u32 = 1;
#[cfg(feature = "embedded")]
pub(super) const EMBEDDED_TTL_FLOOR: u32 = rtoguard_embedded::TTL_FLOOR;
#[cfg(not(feature = "embedded"))]
pub(super) const EMBEDDED_TTL_FLOOR: u32 = 1;
#[cfg(feature = "webhook")]
pub(super) const WEBHOOK_TTL_FLOOR: u32 = rtoguard_webhook::TTL_FLOOR;
#[cfg(not(feature = "webhook"))]
pub(super) const WEBHOOK_TTL_FLOOR: u32 = 1;
#[cfg(feature = "azure")]
pub(super) const AZURE_TTL_FLOOR: u32 = rtoguard_azure::TTL_FLOOR;
#[cfg(not(feature = "azure"))]
pub(super) const AZURE_TTL_FLOOR: u32 = 1;
#[cfg(feature = "gcloud")]
pub(super) const GCLOUD_TTL_FLOOR: u32 = rtoguard_gcloud::TTL_FLOOR;
#[cfg(not(feature = "gcloud"))]
pub(super) const GCLOUD_TTL_FLOOR: u32 = 1;
