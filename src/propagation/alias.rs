//! An alias's expected values: the addresses its target resolves to when the watch starts, asked of the watch's resolvers.

use std::str::FromStr;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::Name;

use super::{WatchSpec, query};

/// How long one resolver may take to say where the target is.
const ASK_BOUND: Duration = Duration::from_secs(2);

/// The values to expect for `spec`: its own, or, when it has none and
/// names an alias target (`expected_from`), the target's addresses of the
/// watched type from the first resolver that gives any (normalised,
/// sorted); empty when none does (the watch then says nothing is expected).
pub(super) async fn expected(spec: &WatchSpec) -> Vec<String> {
    let own = query::normalise_all(spec.rtype, &spec.expected);
    let Some(target) = spec.expected_from.as_deref().filter(|_| own.is_empty()) else {
        return own;
    };
    let Ok(name) = Name::from_str(&format!("{}.", target.trim_end_matches('.'))) else {
        return own;
    };
    for r in &spec.resolvers {
        if let Ok(reply) = query::ask(r.addr, &name, spec.rtype, true, ASK_BOUND).await
            && reply.rcode == ResponseCode::NoError
            && !reply.values.is_empty()
        {
            return reply.values;
        }
    }
    own
}

#[cfg(test)]
mod tests {
    use hickory_proto::rr::RecordType;
    use rtoguard_testkit::bind::Bind;

    use super::super::tests::{ZONE, server};
    use super::*;

    fn spec(bind: &Bind, expected: &[&str], from: &str) -> WatchSpec {
        let mut s = WatchSpec::new("checkout.example.test.", RecordType::A, expected, ZONE);
        s.resolvers = vec![server("bind", bind.addr)];
        s.expected_from = Some(from.to_string());
        s
    }

    #[tokio::test]
    async fn an_alias_expects_its_target_s_addresses_from_the_resolvers() {
        let bind = Bind::start(ZONE, &["lb 60 IN A 127.0.0.6", "lb 60 IN A 127.0.0.5"]);
        let got = expected(&spec(&bind, &[], "lb.example.test")).await;
        assert_eq!(got, ["127.0.0.5", "127.0.0.6"]);
        // Values of its own win; an unknown target leaves nothing expected.
        let own = expected(&spec(&bind, &["127.0.0.9"], "lb.example.test.")).await;
        assert_eq!(own, ["127.0.0.9"]);
        let none = expected(&spec(&bind, &[], "nothing.example.test.")).await;
        assert!(none.is_empty(), "{none:?}");
    }
}
