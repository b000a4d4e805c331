//! Fuzzing that runs: random control requests into the parser and through the real socket never panic, each gets a 2xx or 4xx, every request parsed survives the client's wire form, and the server keeps answering.

use proptest::prelude::*;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Envelope, client, parse_request, serve};

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

/// Paths near the real ones and far from them.
fn path() -> impl Strategy<Value = String> {
    let seg = "[a-zA-Z0-9._~%-]{0,12}";
    let verb = prop::sample::select(vec![
        "failover", "failback", "drill", "pin", "unpin", "x", "",
    ]);
    prop_oneof![
        Just("/v1/status".to_string()),
        (seg, verb).prop_map(|(name, v)| format!("/v1/services/{name}/{v}")),
        prop::collection::vec(seg, 0..5).prop_map(|segs| format!("/{}", segs.join("/"))),
    ]
}

/// Bodies near the real ones and far from them.
fn body() -> impl Strategy<Value = Option<Value>> {
    let text = ".{0,24}";
    prop_oneof![
        Just(None),
        text.prop_map(|s| Some(Value::String(s))),
        (prop::option::of(text), any::<bool>(), any::<bool>()).prop_map(|(to, planned, dry)| Some(
            json!({ "to": to, "planned": planned, "dry_run": dry })
        )),
        (any::<i64>(), any::<bool>())
            .prop_map(|(d, f)| Some(json!({ "dwell_secs": d, "simulate_fault": f }))),
        (text, text).prop_map(|(k, v)| Some(json!({ k: v }))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_parser_answers_anything_with_a_request_or_a_4xx(
        method in prop::sample::select(METHODS.to_vec()),
        path in path(),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        match parse_request(method, &path, &body) {
            Ok(request) => {
                prop_assert!(path.starts_with("/v1/"));
                // What the client would send for it parses back to the same request.
                let wire = request.to_wire();
                let again = wire.body.as_ref().map(Value::to_string).unwrap_or_default();
                prop_assert_eq!(parse_request(wire.method, &wire.path, again.as_bytes()), Ok(request));
            }
            Err(r) => prop_assert!((400..500).contains(&r.status), "{r:?}"),
        }
    }
}

#[test]
fn the_socket_answers_random_requests_and_keeps_answering() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("control.sock");
    let cancel = CancellationToken::new();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<Envelope>(8);
        serve(&sock, tx, cancel.clone()).await.expect("serves");
        tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                let _ = e.reply.send(super::tests::answer(&e.request));
            }
        });
    });
    let config = ProptestConfig {
        cases: 128,
        ..ProptestConfig::default()
    };
    let strategy = (prop::sample::select(METHODS.to_vec()), path(), body());
    proptest::test_runner::TestRunner::new(config)
        .run(&strategy, |(method, path, body)| {
            let got = rt.block_on(client::call(&sock, method, &path, body.as_ref()));
            let (code, answer) = got.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(
                (200..300).contains(&code) || (400..500).contains(&code),
                "{code} {answer}"
            );
            Ok(())
        })
        .expect("every random request answered 2xx or 4xx");
    let (code, _) = rt
        .block_on(client::call(&sock, "GET", "/v1/status", None))
        .expect("still answers");
    assert_eq!(code, 200);
    cancel.cancel();
}
