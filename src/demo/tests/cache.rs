//! The demo's caching resolver: it hands out the answer it holds, with the TTL left, until that TTL runs out, then the authority's new one.

use super::*;
use crate::demo::cache::CachingResolver;

/// An authority serving `www` = 127.0.0.2 with a 2 s TTL.
async fn short_ttl(dir: &tempfile::TempDir) -> Authority {
    Authority::start(AuthorityConfig {
        zone: ZONE.into(),
        records: vec![("www".into(), 2, IpAddr::V4(v4(2)))],
        listen: "127.0.0.1:0".parse().expect("valid address"),
        tsig_key_name: KEY.into(),
        tsig_secret: SECRET.to_vec(),
        state_dir: dir.path().to_path_buf(),
    })
    .await
    .expect("authority starts")
}

#[tokio::test]
async fn the_cache_keeps_the_old_answer_for_its_ttl_then_follows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = short_ttl(&dir).await;
    let cache = CachingResolver::start(auth.addr)
        .await
        .expect("cache starts");

    let first = query(cache.addr, WWW, RecordType::A).await;
    assert!(first.metadata.recursion_available, "a resolver says RA");
    assert!(
        !first.metadata.authoritative,
        "a cached answer is not authoritative"
    );
    assert_eq!(www(cache.addr).await, vec![v4(2)]);

    assert_eq!(
        signed_update(auth.addr, flip(&[v4(2)], &[v4(3)])).await,
        ResponseCode::NoError
    );
    assert_eq!(www(auth.addr).await, vec![v4(3)], "the authority flipped");
    let held = query(cache.addr, WWW, RecordType::A).await;
    assert_eq!(
        www(cache.addr).await,
        vec![v4(2)],
        "the cache still holds the old answer"
    );
    assert!(held.answers.iter().all(|r| r.ttl <= 2), "{held:?}");

    let deadline = tokio::time::Instant::now() + WAIT;
    while www(cache.addr).await != vec![v4(3)] {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the cache never followed the flip"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cache.stop().await;
    auth.stop().await;
}

#[tokio::test]
async fn the_ttl_handed_out_counts_down() {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = start(&dir).await;
    let cache = CachingResolver::start(auth.addr)
        .await
        .expect("cache starts");
    let fresh = query(cache.addr, WWW, RecordType::A).await;
    assert_eq!(fresh.answers[0].ttl, 300);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let aged = query(cache.addr, WWW, RecordType::A).await;
    assert!(
        aged.answers[0].ttl < 300,
        "the TTL left, not the TTL stored: {}",
        aged.answers[0].ttl
    );
    cache.stop().await;
    auth.stop().await;
}
