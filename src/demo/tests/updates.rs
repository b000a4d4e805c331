//! TSIG-signed RFC 2136 updates: the flip, stale prerequisites, races, refused keys.

use super::*;

#[tokio::test]
async fn signed_update_with_matching_prerequisite_flips_and_bumps_serial() {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = start(&dir).await;
    let before = serial(auth.addr).await;
    assert_eq!(
        signed_update(auth.addr, flip(&[v4(2)], &[v4(3)])).await,
        ResponseCode::NoError
    );
    assert_eq!(www(auth.addr).await, vec![v4(3)]);
    let answer = query(auth.addr, WWW, RecordType::A).await;
    assert_eq!(answer.answers[0].ttl, 60, "the TTL of the update is served");
    let after = serial(auth.addr).await;
    assert_eq!(after, before.wrapping_add(1));
    // And back, with the new state as the expected one.
    assert_eq!(
        signed_update(auth.addr, flip(&[v4(3)], &[v4(2), v4(4)])).await,
        ResponseCode::NoError
    );
    assert_eq!(www(auth.addr).await, vec![v4(2), v4(4)]);
    assert_eq!(serial(auth.addr).await, after.wrapping_add(1));
    auth.stop().await;
}

#[tokio::test]
async fn create_requires_the_set_to_be_absent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = start(&dir).await;
    let api = "api.demo.rtoguard.test.";
    let create = || flip_at(api, &[], &[v4(5)]);
    assert_eq!(
        signed_update(auth.addr, create()).await,
        ResponseCode::NoError
    );
    let answer = query(auth.addr, api, RecordType::A).await;
    assert_eq!(answer.answers.len(), 1);
    let before = serial(auth.addr).await;
    assert_eq!(
        signed_update(auth.addr, create()).await,
        ResponseCode::YXRRSet
    );
    assert_eq!(
        signed_update(auth.addr, flip(&[], &[v4(5)])).await,
        ResponseCode::YXRRSet
    );
    assert_eq!(www(auth.addr).await, vec![v4(2)]);
    assert_eq!(serial(auth.addr).await, before);
    auth.stop().await;
}

#[tokio::test]
async fn stale_prerequisite_gets_nxrrset_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = start(&dir).await;
    assert_eq!(
        signed_update(auth.addr, flip(&[v4(2)], &[v4(2), v4(4)])).await,
        ResponseCode::NoError
    );
    let before = serial(auth.addr).await;
    // RFC 2136 §3.2.3: the expected set must equal the zone's set exactly,
    // so another value, a subset and a superset are all stale.
    for stale in [vec![v4(9)], vec![v4(2)], vec![v4(2), v4(4), v4(9)]] {
        assert_eq!(
            signed_update(auth.addr, flip(&stale, &[v4(3)])).await,
            ResponseCode::NXRRSet,
            "{stale:?}"
        );
    }
    assert_eq!(www(auth.addr).await, vec![v4(2), v4(4)]);
    assert_eq!(serial(auth.addr).await, before);
    auth.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_flips_from_the_same_state_have_one_winner() {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = start(&dir).await;
    let before = serial(auth.addr).await;
    let flips: Vec<_> = (10..18)
        .map(|last| tokio::spawn(signed_update(auth.addr, flip(&[v4(2)], &[v4(last)]))))
        .collect();
    let mut codes = Vec::new();
    for flip in flips {
        codes.push(flip.await.expect("update task"));
    }
    let winners = codes
        .iter()
        .filter(|c| **c == ResponseCode::NoError)
        .count();
    assert_eq!(winners, 1, "{codes:?}");
    assert!(
        codes
            .iter()
            .all(|c| matches!(c, ResponseCode::NoError | ResponseCode::NXRRSet)),
        "{codes:?}"
    );
    assert_eq!(www(auth.addr).await.len(), 1);
    assert_eq!(serial(auth.addr).await, before.wrapping_add(1));
    auth.stop().await;
}

#[tokio::test]
async fn wrong_key_unknown_key_and_unsigned_updates_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = start(&dir).await;
    let before = serial(auth.addr).await;
    let cases = [
        (
            Some(signer(KEY, b"not-the-secret-not-the-secret!!!")),
            ResponseCode::NotAuth,
            Some(TsigError::BadSig),
        ),
        (
            Some(signer("someone-else.", SECRET)),
            ResponseCode::NotAuth,
            Some(TsigError::BadKey),
        ),
        (None, ResponseCode::Refused, None),
    ];
    for (key, code, tsig_error) in cases {
        let mut msg = flip(&[v4(2)], &[v4(3)]);
        if let Some(key) = &key {
            msg.finalize(key, now()).expect("sign");
        }
        let answer = Message::from_vec(&udp(auth.addr, &msg.to_vec().expect("encode")).await)
            .expect("decode");
        assert_eq!(answer.metadata.response_code, code);
        assert_eq!(
            answer.signature().and_then(|sig| sig.data.error),
            tsig_error
        );
    }
    assert_eq!(www(auth.addr).await, vec![v4(2)]);
    assert_eq!(serial(auth.addr).await, before);
    auth.stop().await;
}

#[tokio::test]
async fn old_signature_gets_badtime() {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = start(&dir).await;
    let mut msg = flip(&[v4(2)], &[v4(3)]);
    msg.finalize(&signer(KEY, SECRET), now() - 3600)
        .expect("sign");
    let answer =
        Message::from_vec(&udp(auth.addr, &msg.to_vec().expect("encode")).await).expect("decode");
    assert_eq!(answer.metadata.response_code, ResponseCode::NotAuth);
    assert_eq!(
        answer.signature().and_then(|sig| sig.data.error),
        Some(TsigError::BadTime)
    );
    assert_eq!(www(auth.addr).await, vec![v4(2)]);
    auth.stop().await;
}
