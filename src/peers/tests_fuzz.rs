//! Fuzzing that runs: random and mutated documents into the puller's parser never panic, and garbage is rejected.

use proptest::prelude::*;

use super::tests_api::sample;
use super::{Observations, PeerError, parse_observations};

/// The sample document, serialized.
fn valid() -> Vec<u8> {
    serde_json::to_vec(&sample("eu-west-1")).expect("serializes")
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1..32usize).prop_map(|(i, n)| Mutation::Remove(i, n)),
    ]
}

fn apply(doc: &mut Vec<u8>, m: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match m {
        Mutation::Flip(i, b) => {
            let i = at(*i, doc.len());
            if let Some(x) = doc.get_mut(i) {
                *x ^= b | 1;
            }
        }
        Mutation::Truncate(i) => doc.truncate(at(*i, doc.len())),
        Mutation::Insert(i, bytes) => {
            let i = at(*i, doc.len() + 1);
            doc.splice(i..i, bytes.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let i = at(*i, doc.len());
            let end = (i + n).min(doc.len());
            doc.drain(i..end);
        }
    }
}

/// An accepted document is a whole one: it survives a round trip.
fn whole(obs: &Observations) {
    let again = serde_json::to_vec(obs).expect("serializes");
    assert_eq!(parse_observations(&again).ok().as_ref(), Some(obs));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_are_rejected(body in prop::collection::vec(any::<u8>(), 0..512)) {
        // Random bytes cannot spell a whole document with every field.
        prop_assert!(matches!(parse_observations(&body), Err(PeerError::Decode(_))));
    }

    #[test]
    fn mutated_documents_never_panic(muts in prop::collection::vec(mutation(), 1..6)) {
        let mut doc = valid();
        for m in &muts {
            apply(&mut doc, m);
        }
        match parse_observations(&doc) {
            Ok(obs) => whole(&obs),
            Err(e) => prop_assert!(matches!(e, PeerError::Decode(_)), "{e}"),
        }
    }
}

#[test]
fn the_sample_parses_and_empty_names_do_not() {
    assert_eq!(parse_observations(&valid()).ok(), Some(sample("eu-west-1")));
    let mut o = sample("eu-west-1");
    o.vantage.clear();
    let err = parse_observations(&serde_json::to_vec(&o).unwrap()).unwrap_err();
    assert!(err.to_string().contains("vantage"), "{err}");
    let mut o = sample("eu-west-1");
    o.services[0].pools[0].pool.clear();
    assert!(parse_observations(&serde_json::to_vec(&o).unwrap()).is_err());
    assert!(parse_observations(b"").is_err() && parse_observations(b"{}").is_err());
}
