//! The bypass catalogue (the known pinning bypasses plus RFC 9421 attacks, listed in
//! docs/security-model.md): one test per attack, named after it. Each fails if the bypass works.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use pinset::chain::{TrustStore, verify_pinned};
use pinset::roots::Roots;
use pinset::signing::verify::{KeyEntry, verify};
use pinset::signing::{
    self, Algorithm, Component, DigestAlg, HttpMessage, KeySigner, MemoryNonceStore, ParamValue,
    SignatureSpec, SigningKey, VerifyPolicy,
};
use pinset::verifier::{PinningConfig, TrustMode};
use pinset::{Decision, Manifest, Pin, Policy};
use pinset_tests::tls::{Server, ServerSpec, connect};
use pinset_tests::{Pki, manifest_for, root};
use rustls_pki_types::UnixTime;

fn policy(src: &str) -> Policy {
    Policy::new(Manifest::parse(src, None).unwrap().manifest)
}

fn now() -> UnixTime {
    UnixTime::now()
}

fn decide(p: &Policy, host: &str, pins: &[Pin]) -> Decision {
    p.decide(host, 0, pins.iter().copied()).unwrap()
}

fn two(a: &str, b: &str) -> [Pin; 2] {
    [root(a).pin(), root(b).pin()]
}

#[test]
fn cve_2016_2402_pins_on_presented_instead_of_validated_chain() {
    let genuine = Pki::new("genuine", &["api.example.com"]);
    let rogue_root = root("rogue Root CA");
    // Strong variant: the rogue intermediate has the genuine intermediate's exact name, so path
    // building must reject the appended genuine one by signature, not by name.
    let rogue_int = rogue_root.intermediate("genuine Intermediate CA");
    let rogue_leaf = rogue_int.leaf(&["api.example.com"]);
    let p = policy(&manifest_for(
        "api.example.com",
        &[genuine.intermediate.pin(), genuine.root.pin()],
        "",
    ));
    let roots = TrustStore::uniform(
        Roots::new(vec![genuine.root.der.clone(), rogue_root.der.clone()]).unwrap(),
    );
    let presented = vec![
        rogue_leaf.der.clone(),
        genuine.intermediate.der.clone(),
        rogue_int.der.clone(),
        genuine.root.der.clone(),
    ];
    let checked = verify_pinned(&p, "api.example.com", &presented, &roots, now()).unwrap();
    assert!(
        matches!(checked.decision, Decision::Violation { enforced: true, .. }),
        "{:?}",
        checked.decision
    );
    assert!(
        !checked.path.contains(&genuine.intermediate.der),
        "the appended certificate is not on the verified path"
    );
}

#[test]
fn trailing_dot_host_spelling() {
    let p = policy(&manifest_for("pinned.example", &two("a", "b"), ""));
    assert!(matches!(
        decide(&p, "pinned.example.", &[root("x").pin()]),
        Decision::Violation { .. }
    ));
}

#[test]
fn case_host_spelling() {
    let p = policy(&manifest_for("pinned.example", &two("a", "b"), ""));
    assert!(matches!(
        decide(&p, "PINNED.Example", &[root("x").pin()]),
        Decision::Violation { .. }
    ));
}

#[test]
fn idn_u_label_vs_a_label_spelling() {
    let p = policy(&manifest_for("bücher.example", &two("a", "b"), ""));
    assert!(matches!(
        decide(&p, "xn--bcher-kva.example", &[root("x").pin()]),
        Decision::Violation { .. }
    ));
    let p = policy(&manifest_for("xn--bcher-kva.example", &two("a", "b"), ""));
    assert!(matches!(
        decide(&p, "BÜCHER.example.", &[root("x").pin()]),
        Decision::Violation { .. }
    ));
}

#[test]
fn suffix_over_match_anotherexample() {
    let p = policy(&manifest_for(
        "example.com",
        &two("a", "b"),
        "include_subdomains = true",
    ));
    assert_eq!(
        decide(&p, "anotherexample.com", &[root("x").pin()]),
        Decision::NotPinned
    );
    assert_eq!(
        decide(&p, "example.com.evil.net", &[root("x").pin()]),
        Decision::NotPinned
    );
}

#[test]
fn one_label_wildcard_misses_deeper_labels() {
    // include_subdomains covers every depth (unlike OkHttp's `*.` or ATS's one label).
    let p = policy(&manifest_for(
        "example.com",
        &two("a", "b"),
        "include_subdomains = true",
    ));
    assert!(matches!(
        decide(&p, "a.b.example.com", &[root("x").pin()]),
        Decision::Violation { .. }
    ));
    assert!(matches!(
        decide(&p, "example.com", &[root("x").pin()]),
        Decision::Violation { .. }
    ));
}

#[test]
fn pins_of_host_a_satisfy_host_b() {
    let [a1, a2] = two("a1", "a2");
    let [b1, b2] = two("b1", "b2");
    let p = policy(&format!(
        "version = 1\n[[domain]]\nname = \"a.example\"\npins = [\"{a1}\", \"{a2}\"]\n[[domain]]\nname = \"b.example\"\npins = [\"{b1}\", \"{b2}\"]\n"
    ));
    assert!(matches!(
        decide(&p, "b.example", &[a1]),
        Decision::Violation { .. }
    ));
    assert!(matches!(
        decide(&p, "b.example", &[b2]),
        Decision::Trusted { .. }
    ));
}

#[test]
fn configured_but_empty_pin_set() {
    let err = Manifest::parse(
        "version = 1\n[[domain]]\nname = \"a.example\"\npins = []\n",
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("an empty pin-set pins nothing"),
        "{err}"
    );
}

#[test]
fn malformed_or_far_past_expiry_dates() {
    let [a, b] = two("a", "b");
    let bad = format!(
        "version = 1\n[[domain]]\nname = \"a.example\"\nexpires = \"24-01-01\"\npins = [\"{a}\", \"{b}\"]\n"
    );
    assert!(
        Manifest::parse(&bad, None)
            .unwrap_err()
            .to_string()
            .contains("invalid date '24-01-01'")
    );
    let past = bad.replace("24-01-01", "1999-01-01");
    let loaded = Manifest::parse(&past, Some(1_800_000_000)).unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.message.contains("expired on 1999-01-01"))
    );
}

#[test]
fn pinning_replaces_validation_expired_certificate() {
    let pki = Pki::new("exp", &["api.example.com"]);
    let old = pki.intermediate.leaf_with(&["api.example.com"], |p| {
        p.not_before = pinset_tests::rcgen::date_time_ymd(2000, 1, 1);
        p.not_after = pinset_tests::rcgen::date_time_ymd(2001, 1, 1);
    });
    let p = policy(&manifest_for(
        "api.example.com",
        &[old.pin(), pki.intermediate.pin()],
        "",
    ));
    let roots = TrustStore::uniform(Roots::new(vec![pki.root.der.clone()]).unwrap());
    assert!(
        verify_pinned(
            &p,
            "api.example.com",
            &[old.der.clone(), pki.intermediate.der.clone()],
            &roots,
            now()
        )
        .is_err()
    );
}

#[test]
fn pinning_replaces_validation_wrong_host() {
    let pki = Pki::new("host", &["other.example.com"]);
    let p = policy(&manifest_for(
        "api.example.com",
        &[pki.leaf.pin(), pki.intermediate.pin()],
        "",
    ));
    let roots = TrustStore::uniform(Roots::new(vec![pki.root.der.clone()]).unwrap());
    let r = verify_pinned(
        &p,
        "api.example.com",
        &[pki.leaf.der.clone(), pki.intermediate.der.clone()],
        &roots,
        now(),
    );
    assert!(
        matches!(r, Err(pinset::chain::ChainError::WrongHost { .. })),
        "{r:?}"
    );
}

#[test]
fn session_resumption_skips_the_check() {
    let good = Pki::new("resume", &["api.example.com"]);
    let swapped = good.intermediate.leaf(&["api.example.com"]);
    let ticketer = rustls::crypto::ring::Ticketer::new().unwrap();
    let cfg = Arc::new(
        PinningConfig::new(Arc::new(policy(&manifest_for(
            "api.example.com",
            &[good.leaf.pin(), root("b").pin()],
            "",
        ))))
        .trust_mode(TrustMode::WebPkiExtraOnly)
        .extra_roots([good.root.der.clone()])
        .build()
        .unwrap(),
    );
    let s1 = Server::start(
        ServerSpec {
            ticketer: Some(ticketer.clone()),
            ..ServerSpec::new(&good.leaf, &[&good.intermediate])
        },
        1,
    );
    assert!(connect(&cfg, "api.example.com", s1.addr).result.is_ok());
    let s2 = Server::start(
        ServerSpec {
            ticketer: Some(ticketer),
            ..ServerSpec::new(&swapped, &[&good.intermediate])
        },
        1,
    );
    let second = connect(&cfg, "api.example.com", s2.addr);
    assert_ne!(second.kind, Some(rustls::HandshakeKind::Resumed));
    assert!(second.result.is_err(), "a key change went unnoticed");
}

#[test]
fn bogus_pin_sha256_of_empty_input() {
    let src = "version = 1\n[[domain]]\nname = \"a.example\"\npins = [\"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\", \"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=\"]\n";
    assert!(
        Manifest::parse(src, None)
            .unwrap_err()
            .to_string()
            .contains("SHA-256 of empty input")
    );
    let short = src.replace("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "AAAA");
    assert!(
        Manifest::parse(&short, None)
            .unwrap_err()
            .to_string()
            .contains("exactly 32 bytes")
    );
}

// ---- RFC 9421 ----

const NOW: i64 = 1_700_000_000;

fn key() -> SigningKey {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pkcs8.as_ref())
    );
    SigningKey::from_pem(pem.as_bytes()).unwrap()
}

/// Signs a POST with `k` (covering method, target URI, content type and digest), label `label`.
fn signed(nonce: &str, label: &str, msg: Option<HttpMessage>, k: SigningKey) -> HttpMessage {
    let mut m = msg.unwrap_or_else(|| {
        let mut m = HttpMessage::request("POST", "https://api.example.com/pay")
            .unwrap()
            .with_body(b"{}".to_vec());
        m.add_field("content-type", "application/json").unwrap();
        m
    });
    let comps = ["@method", "@target-uri", "content-type", "content-digest"]
        .map(|c| Component::parse(c).unwrap())
        .to_vec();
    let spec = SignatureSpec::new(
        label,
        comps,
        vec![
            ("created".into(), ParamValue::Integer(NOW)),
            ("nonce".into(), ParamValue::String(nonce.into())),
        ],
    )
    .unwrap();
    let digest = if m.field_values("content-digest").next().is_none() {
        Some(DigestAlg::Sha256)
    } else {
        None
    };
    signing::sign(
        &mut m,
        None,
        &spec,
        digest,
        &KeySigner::new(k, None).unwrap(),
    )
    .unwrap();
    m
}

fn keys_for(k: &SigningKey) -> KeyEntry {
    KeyEntry {
        key: k.verifying_key(),
        allowed: vec![Algorithm::Ed25519],
    }
}

#[test]
fn rfc9421_base_injection_with_crlf() {
    let mut m = HttpMessage::request("GET", "https://a.example/").unwrap();
    assert!(m.add_field("x-note", "ok\r\n\"@method\": POST").is_err());
    assert!(
        HttpMessage::parse(
            b"GET / HTTP/1.1\r\nHost: a.example\r\nX: a\rb\r\n\r\n",
            "https"
        )
        .is_err()
    );
}

#[test]
fn rfc9421_duplicate_components() {
    assert!(SignatureSpec::from_serialized("s", "(\"@method\" \"@method\");created=1").is_err());
}

#[test]
fn rfc9421_algorithm_confusion_key_type_vs_alg() {
    let k = key();
    let entry = keys_for(&k);
    let m = signed("n1", "sig", None, k);
    let hmac_only = KeyEntry {
        key: entry.key.clone(),
        allowed: vec![Algorithm::HmacSha256],
    };
    assert!(matches!(
        verify(&m, None, &hmac_only, &VerifyPolicy::default(), None, NOW),
        Err(signing::SigningError::AlgorithmMismatch(_))
    ));
    assert!(verify(&m, None, &entry, &VerifyPolicy::default(), None, NOW).is_ok());
}

#[test]
fn rfc9421_replayed_nonce() {
    let k = key();
    let entry = keys_for(&k);
    let m = signed("once", "sig", None, k);
    let store = MemoryNonceStore::new(16);
    assert!(
        verify(
            &m,
            None,
            &entry,
            &VerifyPolicy::default(),
            Some(&store),
            NOW
        )
        .is_ok()
    );
    assert!(matches!(
        verify(
            &m,
            None,
            &entry,
            &VerifyPolicy::default(),
            Some(&store),
            NOW
        ),
        Err(signing::SigningError::Replay(_))
    ));
}

#[test]
fn rfc9421_stale_created() {
    let k = key();
    let entry = keys_for(&k);
    let m = signed("n", "sig", None, k);
    assert!(matches!(
        verify(&m, None, &entry, &VerifyPolicy::default(), None, NOW + 3600),
        Err(signing::SigningError::Expired(_))
    ));
}

#[test]
fn rfc9421_valid_signature_beside_an_invalid_one() {
    let k = key();
    let entry = keys_for(&k);
    let good = signed("n1", "good", None, k);
    assert!(verify(&good, None, &entry, &VerifyPolicy::default(), None, NOW).is_ok());
    // A second signature by another key: it cannot verify with this key, and must not be masked.
    let both = signed("n2", "evil", Some(good), key());
    assert!(verify(&both, None, &entry, &VerifyPolicy::default(), None, NOW).is_err());
}

#[test]
fn rfc9421_content_digest_not_matching_the_body() {
    let k = key();
    let entry = keys_for(&k);
    let mut m = signed("n", "sig", None, k);
    m.body = b"{\"evil\":1}".to_vec();
    assert!(matches!(
        verify(&m, None, &entry, &VerifyPolicy::default(), None, NOW),
        Err(signing::SigningError::BadDigest(_))
    ));
}
