//! The TSIG algorithm field, as the RFC 2136 provider and the embedded
//! provider's zone transfer keys both write it.

use rtoguard_provider_api::TsigAlgorithm;

use super::locate::Issues;
use super::raw::S;

/// A TSIG algorithm's word at `{field}.{key}` (hmac-sha256 when absent).
pub(super) fn tsig_algorithm(
    issues: &mut Issues<'_>,
    value: &Option<S<String>>,
    field: &str,
    key: &str,
) -> Option<TsigAlgorithm> {
    let Some(a) = value else {
        return Some(TsigAlgorithm::HmacSha256);
    };
    let found = TsigAlgorithm::ALL
        .iter()
        .find(|(_, w)| w.eq_ignore_ascii_case(a.get_ref()));
    if found.is_none() {
        let allowed: Vec<_> = TsigAlgorithm::ALL.iter().map(|(_, w)| *w).collect();
        let msg = format!(
            "unknown TSIG algorithm {:?}: allowed are {}",
            a.get_ref(),
            allowed.join(", ")
        );
        issues.add(Some(a.span()), format!("{field}.{key}"), msg);
    }
    found.map(|(alg, _)| *alg)
}
