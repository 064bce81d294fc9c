//! Negative tests for every signing/verification error kind, base-injection tricks, multiple
//! signatures, and a property test: any single-byte change to a covered part is rejected.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;

use pinset::signing::verify::{KeyEntry, verify};
use pinset::signing::{
    self, Algorithm, Component, DigestAlg, HttpMessage, KeySigner, MemoryNonceStore, ParamValue,
    SignatureSpec, SigningError, SigningKey, VerifyPolicy,
};
use proptest::prelude::*;

const NOW: i64 = 1_700_000_000;

fn ed_key() -> SigningKey {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pkcs8.as_ref())
    );
    SigningKey::from_pem(pem.as_bytes()).unwrap()
}

fn request() -> HttpMessage {
    let mut m = HttpMessage::request("POST", "https://api.example.com/orders?id=7").unwrap();
    m.add_field("Content-Type", "application/json").unwrap();
    m.add_field("X-Extra", "not covered").unwrap();
    m.with_body(br#"{"qty":1}"#.to_vec())
}

fn spec(label: &str, params: Vec<(&str, ParamValue)>) -> SignatureSpec {
    let comps = ["@method", "@target-uri", "content-type", "content-digest"]
        .map(|c| Component::parse(c).unwrap())
        .to_vec();
    SignatureSpec::new(
        label,
        comps,
        params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    )
    .unwrap()
}

fn default_params() -> Vec<(&'static str, ParamValue)> {
    vec![
        ("created", ParamValue::Integer(NOW)),
        ("nonce", ParamValue::String("n-1".into())),
        ("keyid", ParamValue::String("k1".into())),
        ("alg", ParamValue::String("ed25519".into())),
    ]
}

struct Fixture {
    msg: HttpMessage,
    keys: KeyEntry,
}

fn signed_with(params: Vec<(&str, ParamValue)>) -> Fixture {
    let key = ed_key();
    let keys = KeyEntry {
        key: key.verifying_key(),
        allowed: vec![Algorithm::Ed25519],
    };
    let mut msg = request();
    signing::sign(
        &mut msg,
        None,
        &spec("sig1", params),
        Some(DigestAlg::Sha256),
        &KeySigner::new(key, None).unwrap(),
    )
    .unwrap();
    Fixture { msg, keys }
}

fn check(f: &Fixture, policy: &VerifyPolicy, now: i64) -> Result<(), SigningError> {
    verify(&f.msg, None, &f.keys, policy, None, now).map(|_| ())
}

#[test]
fn valid_signature_verifies() {
    let f = signed_with(default_params());
    let v = verify(
        &f.msg,
        None,
        &f.keys,
        &VerifyPolicy::default(),
        Some(&MemoryNonceStore::new(8)),
        NOW,
    )
    .unwrap();
    assert_eq!(
        v[0].covered,
        [
            "\"@method\"",
            "\"@target-uri\"",
            "\"content-type\"",
            "\"content-digest\""
        ]
    );
}

#[test]
fn missing_component() {
    let mut msg = HttpMessage::request("GET", "https://a.example/").unwrap();
    let signer = KeySigner::new(ed_key(), None).unwrap();
    let s =
        SignatureSpec::new("s", vec![Component::parse("content-type").unwrap()], vec![]).unwrap();
    assert!(matches!(
        signing::sign(&mut msg, None, &s, None, &signer),
        Err(SigningError::MissingComponent(_))
    ));
    // Verify side: a covered field removed after signing; and a policy-required component.
    let mut f = signed_with(default_params());
    let policy = VerifyPolicy {
        required_components: vec!["@authority".into()],
        ..VerifyPolicy::default()
    };
    assert!(matches!(
        check(&f, &policy, NOW),
        Err(SigningError::MissingComponent(_))
    ));
    f.msg.remove_field("content-type");
    assert!(matches!(
        check(&f, &VerifyPolicy::default(), NOW),
        Err(SigningError::MissingComponent(_))
    ));
}

#[test]
fn content_digest_mismatch_is_bad_digest() {
    let mut f = signed_with(default_params());
    f.msg.body = br#"{"qty":9}"#.to_vec();
    assert!(matches!(
        check(&f, &VerifyPolicy::default(), NOW),
        Err(SigningError::BadDigest(_))
    ));
}

#[test]
fn body_without_covered_digest_is_refused_by_default() {
    let key = ed_key();
    let keys = KeyEntry {
        key: key.verifying_key(),
        allowed: vec![],
    };
    let mut msg = request();
    let s = SignatureSpec::new(
        "s",
        vec![Component::parse("@method").unwrap()],
        vec![("created".into(), ParamValue::Integer(NOW))],
    )
    .unwrap();
    signing::sign(
        &mut msg,
        None,
        &s,
        None,
        &KeySigner::new(key, None).unwrap(),
    )
    .unwrap();
    let f = Fixture { msg, keys };
    assert!(
        matches!(check(&f, &VerifyPolicy::default(), NOW), Err(SigningError::MissingComponent(m)) if m.contains("content-digest"))
    );
}

#[test]
fn stale_created_expires_and_future_created() {
    let f = signed_with(default_params());
    assert!(matches!(
        check(&f, &VerifyPolicy::default(), NOW + 331),
        Err(SigningError::Expired(_))
    ));
    assert!(check(&f, &VerifyPolicy::default(), NOW + 329).is_ok());
    assert!(matches!(
        check(&f, &VerifyPolicy::default(), NOW - 31),
        Err(SigningError::NotYetValid { .. })
    ));
    let mut p = default_params();
    p.push(("expires", ParamValue::Integer(NOW + 10)));
    let f = signed_with(p);
    assert!(matches!(
        check(&f, &VerifyPolicy::default(), NOW + 41),
        Err(SigningError::Expired(_))
    ));
    let f = signed_with(
        default_params()
            .into_iter()
            .filter(|(k, _)| *k != "created")
            .collect(),
    );
    assert_eq!(
        check(&f, &VerifyPolicy::default(), NOW),
        Err(SigningError::MissingParameter("created"))
    );
}

#[test]
fn replayed_nonce() {
    let f = signed_with(default_params());
    let store = MemoryNonceStore::new(8);
    verify(
        &f.msg,
        None,
        &f.keys,
        &VerifyPolicy::default(),
        Some(&store),
        NOW,
    )
    .unwrap();
    assert_eq!(
        verify(
            &f.msg,
            None,
            &f.keys,
            &VerifyPolicy::default(),
            Some(&store),
            NOW + 1
        ),
        Err(SigningError::Replay("n-1".into()))
    );
    let f2 = signed_with(
        default_params()
            .into_iter()
            .filter(|(k, _)| *k != "nonce")
            .collect(),
    );
    let policy = VerifyPolicy {
        require_nonce: true,
        ..VerifyPolicy::default()
    };
    assert_eq!(
        check(&f2, &policy, NOW),
        Err(SigningError::MissingParameter("nonce"))
    );
    // A bounded store refuses rather than forgets.
    let tiny = MemoryNonceStore::new(1);
    verify(
        &f.msg,
        None,
        &f.keys,
        &VerifyPolicy::default(),
        Some(&tiny),
        NOW,
    )
    .unwrap();
    let mut p = default_params();
    p[1] = ("nonce", ParamValue::String("n-2".into()));
    let other = signed_with(p);
    assert_eq!(
        verify(
            &other.msg,
            None,
            &other.keys,
            &VerifyPolicy::default(),
            Some(&tiny),
            NOW
        ),
        Err(SigningError::NonceStoreFull)
    );
}

#[test]
fn bad_signature_unknown_key_algorithm_confusion_and_tag() {
    let mut f = signed_with(default_params());
    // Another key: bad signature.
    let other = KeyEntry {
        key: ed_key().verifying_key(),
        allowed: vec![Algorithm::Ed25519],
    };
    assert_eq!(
        verify(&f.msg, None, &other, &VerifyPolicy::default(), None, NOW),
        Err(SigningError::BadSignature)
    );
    // Unknown keyid.
    let mut keys = HashMap::new();
    keys.insert("someone-else".to_owned(), f.keys.clone());
    assert_eq!(
        verify(&f.msg, None, &keys, &VerifyPolicy::default(), None, NOW),
        Err(SigningError::UnknownKey("k1".into()))
    );
    // Algorithm confusion: the key is Ed25519 but only HMAC is allowed for it; and an HMAC key
    // cannot verify an Ed25519 signature whatever alg says.
    let wrong = KeyEntry {
        key: f.keys.key.clone(),
        allowed: vec![Algorithm::HmacSha256],
    };
    assert!(matches!(
        verify(&f.msg, None, &wrong, &VerifyPolicy::default(), None, NOW),
        Err(SigningError::AlgorithmMismatch(_))
    ));
    let hmac = KeyEntry {
        key: signing::VerifyingKey::hmac(b"0123456789abcdef0123456789abcdef").unwrap(),
        allowed: vec![Algorithm::HmacSha256],
    };
    assert!(matches!(
        verify(&f.msg, None, &hmac, &VerifyPolicy::default(), None, NOW),
        Err(SigningError::AlgorithmMismatch(_))
    ));
    // A signer cannot claim another alg.
    let mut m = request();
    let mut p = default_params();
    p[3] = ("alg", ParamValue::String("hmac-sha256".into()));
    let r = signing::sign(
        &mut m,
        None,
        &spec("x", p),
        Some(DigestAlg::Sha256),
        &KeySigner::new(ed_key(), None).unwrap(),
    );
    assert!(matches!(r, Err(SigningError::AlgorithmMismatch(_))));
    assert!(matches!(
        KeySigner::new(ed_key(), Some(Algorithm::RsaPssSha512)),
        Err(SigningError::AlgorithmMismatch(_))
    ));
    // Tag.
    let policy = VerifyPolicy {
        expected_tag: Some("app-v1".into()),
        ..VerifyPolicy::default()
    };
    assert!(matches!(
        check(&f, &policy, NOW),
        Err(SigningError::TagMismatch { .. })
    ));
    // Tampered covered field.
    f.msg
        .fields
        .iter_mut()
        .find(|(n, _)| n == "content-type")
        .unwrap()
        .1 = "text/plain".into();
    assert_eq!(
        check(&f, &VerifyPolicy::default(), NOW),
        Err(SigningError::BadSignature)
    );
}

#[test]
fn missing_signature_and_label() {
    let f = Fixture {
        msg: request(),
        keys: KeyEntry {
            key: ed_key().verifying_key(),
            allowed: vec![],
        },
    };
    assert!(matches!(
        check(&f, &VerifyPolicy::default(), NOW),
        Err(SigningError::MissingSignature(_))
    ));
    let f = signed_with(default_params());
    let policy = VerifyPolicy {
        label: Some("other".into()),
        ..VerifyPolicy::default()
    };
    assert!(matches!(
        check(&f, &policy, NOW),
        Err(SigningError::MissingSignature(_))
    ));
}

#[test]
fn base_injection_is_rejected_on_both_sides() {
    let mut m = request();
    assert!(m.add_field("X-Evil", "a\r\n\"@method\": GET").is_err());
    assert!(m.add_field("X-Evil", "a\nb").is_err());
    assert!(m.add_field("X-Evil", "nul\0").is_err());
    assert!(
        HttpMessage::parse(
            b"GET / HTTP/1.1\r\nHost: a.example\r\nX: a\rb\r\n\r\n",
            "https"
        )
        .is_err()
    );
    assert!(Component::parse("\"content-type\n\"").is_err());
    assert!(
        Component::parse("\"Content-Type\"").is_err(),
        "component names are lowercase"
    );
    assert!(Component::parse("\"@signature-params\"").is_err());
    assert!(
        SignatureSpec::from_serialized("s", "(\"@method\" \"@method\")").is_err(),
        "duplicate components"
    );
    assert!(SignatureSpec::from_serialized("s", "(\"@method\");created=1\r\n").is_err());
    // Verify side: a received Signature-Input with duplicate components or duplicate labels.
    let f = signed_with(default_params());
    let sig = f.msg.field_values("signature").next().unwrap().to_owned();
    for input in [
        "sig1=(\"@method\" \"@method\");created=1700000000".to_owned(),
        format!(
            "{}, sig1=(\"@method\");created=1700000000",
            f.msg.field_values("signature-input").next().unwrap()
        ),
    ] {
        let mut m = f.msg.clone();
        m.remove_field("signature-input");
        m.remove_field("signature");
        m.add_field("signature-input", &input).unwrap();
        m.add_field("signature", &sig).unwrap();
        let g = Fixture {
            msg: m,
            keys: f.keys.clone(),
        };
        assert!(check(&g, &VerifyPolicy::default(), NOW).is_err(), "{input}");
    }
}

#[test]
fn a_valid_signature_never_masks_an_invalid_one() {
    let key = ed_key();
    let keys = KeyEntry {
        key: key.verifying_key(),
        allowed: vec![],
    };
    let signer = KeySigner::new(key, None).unwrap();
    let mut msg = request();
    signing::sign(
        &mut msg,
        None,
        &spec("good", default_params()),
        Some(DigestAlg::Sha256),
        &signer,
    )
    .unwrap();
    let mut p = default_params();
    p[1] = ("nonce", ParamValue::String("n-2".into()));
    signing::sign(&mut msg, None, &spec("bad", p), None, &signer).unwrap();
    // Corrupt only the second signature.
    let sigs: Vec<String> = msg.field_values("signature").map(str::to_owned).collect();
    msg.remove_field("signature");
    msg.add_field("signature", &sigs[0]).unwrap();
    let bad = sigs[1].replacen(":", ":AAAA", 1);
    msg.add_field("signature", &bad).unwrap();
    let f = Fixture { msg, keys };
    assert!(check(&f, &VerifyPolicy::default(), NOW).is_err());
    let only_good = VerifyPolicy {
        label: Some("good".into()),
        ..VerifyPolicy::default()
    };
    assert!(check(&f, &only_good, NOW).is_ok());
}

/// Positions of bytes in the raw message that a signature covers: the request line's method
/// and target, the Host value, the covered field values, the Signature-Input value, the body.
fn covered_ranges(raw: &[u8]) -> Vec<std::ops::Range<usize>> {
    let text = String::from_utf8_lossy(raw);
    let mut out = Vec::new();
    let mut off = 0;
    for (i, line) in text.split_inclusive("\r\n").enumerate() {
        let l = line.trim_end_matches("\r\n");
        if l.is_empty() {
            out.push(off + line.len()..raw.len());
            break;
        }
        if i == 0 {
            let end = l.rfind(' ').unwrap();
            out.push(off..off + end);
        } else if let Some((name, _)) = l.split_once(':') {
            if ["host", "content-type", "signature-input", "content-digest"]
                .contains(&name.to_ascii_lowercase().as_str())
            {
                out.push(off + name.len() + 2..off + l.len());
            }
        }
        off += line.len();
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn any_single_byte_change_to_a_covered_part_is_rejected(pick in any::<prop::sample::Index>()) {
        let f = signed_with(default_params());
        let raw = f.msg.to_http1(true);
        // Control: the unmodified message parses and verifies.
        let reparsed = HttpMessage::parse(&raw, "https").unwrap();
        prop_assert!(verify(&reparsed, None, &f.keys, &VerifyPolicy::default(), None, NOW).is_ok());
        let positions: Vec<usize> = covered_ranges(&raw).into_iter().flatten().collect();
        let pos = positions[pick.index(positions.len())];
        let mut mutated = raw.clone();
        let b = mutated[pos];
        // A different byte that is not a mere case change (hosts are case-insensitive).
        mutated[pos] = if b.is_ascii_alphabetic() { b'0' + b % 10 } else if b == b'x' { b'y' } else { b'x' };
        let outcome = HttpMessage::parse(&mutated, "https")
            .and_then(|m| verify(&m, None, &f.keys, &VerifyPolicy::default(), None, NOW).map(|_| ()));
        prop_assert!(outcome.is_err(), "byte {} ({:?} -> {:?}) changed and still verified", pos, char::from(b), char::from(mutated[pos]));
    }

    #[test]
    fn sign_verify_round_trip_over_generated_requests(
        method in "(GET|POST|PUT|DELETE|PATCH)",
        path in "(/[a-z0-9%]{0,8}){1,3}",
        query in proptest::option::of("[a-z]{1,5}=[a-zA-Z0-9]{0,6}"),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let uri = format!("https://api.example.com{path}{}", query.map(|q| format!("?{q}")).unwrap_or_default());
        let Ok(msg) = HttpMessage::request(&method, &uri) else { return Ok(()) };
        let mut msg = msg.with_body(body);
        let key = ed_key();
        let keys = KeyEntry { key: key.verifying_key(), allowed: vec![] };
        let s = SignatureSpec::safe_default("sig", &msg, "k", Algorithm::Ed25519, NOW).unwrap();
        let digest = (!msg.body.is_empty()).then_some(DigestAlg::Sha512);
        signing::sign(&mut msg, None, &s, digest, &KeySigner::new(key, None).unwrap()).unwrap();
        let reparsed = HttpMessage::parse(&msg.to_http1(false), "https").unwrap();
        prop_assert!(verify(&reparsed, None, &keys, &VerifyPolicy::default(), None, NOW).is_ok());
    }
}

#[test]
fn obs_fold_cannot_smuggle_control_characters() {
    // Found by the http_message fuzz target: a folded continuation line carried NUL into a value.
    let raw = b"HTTP/1.1 200 OK\nX-A: one\n two\x00three\n\n";
    assert!(HttpMessage::parse(raw, "https").is_err());
    let ok = HttpMessage::parse(b"HTTP/1.1 200 OK\nX-A: one\n two\n\n", "https").unwrap();
    assert_eq!(
        ok.field_values("x-a").map(str::trim).collect::<Vec<_>>(),
        ["one two"]
    );
}
