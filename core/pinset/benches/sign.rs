//! Signing and verifying the RFC 9421 B.2.6 request (ed25519) against the raw-crypto floor:
//! the same base bytes signed/verified with ring alone (the signature library pinset uses).
//! Data files are the vendored RFC vectors (`tests/data/rfc9421/`).
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pinset::signing::verify::{KeyEntry, verify};
use pinset::signing::{self, HttpMessage, KeySigner, SignatureSpec, SigningKey, VerifyPolicy};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};

const REQUEST: &[u8] = include_bytes!("../tests/data/rfc9421/messages/test-request.http");
const KEY: &[u8] = include_bytes!("../tests/data/rfc9421/keys/test-key-ed25519.private.pem");
const BASE: &[u8] = include_bytes!("../tests/data/rfc9421/bases/B.2.6.txt");
const PARAMS: &str = r#"("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;

fn benches(c: &mut Criterion) {
    let request = HttpMessage::parse(REQUEST, "https").unwrap();
    let signer = KeySigner::new(SigningKey::from_pem(KEY).unwrap(), None).unwrap();
    let spec = SignatureSpec::from_serialized("sig-b26", PARAMS).unwrap();
    let key = SigningKey::from_pem(KEY).unwrap();
    let keys = KeyEntry {
        key: key.verifying_key(),
        allowed: vec![],
    };

    // The floor: ring alone over the identical base bytes.
    let pkcs8 = {
        let pem = std::str::from_utf8(KEY).unwrap();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap()
    };
    let raw = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).unwrap();
    let public = UnparsedPublicKey::new(&ED25519, raw.public_key().as_ref().to_vec());
    let sig = raw.sign(BASE);

    let mut signed = request.clone();
    signing::sign(&mut signed, None, &spec, None, &signer).unwrap();
    let policy = VerifyPolicy {
        max_age: None,
        require_digest_for_body: false,
        ..VerifyPolicy::default()
    };
    verify(&signed, None, &keys, &policy, None, 1_618_884_473).unwrap();
    assert_eq!(
        signed.field_values("signature").next().unwrap(),
        format!(
            "sig-b26=:{}:",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sig.as_ref())
        )
    );

    let mut g = c.benchmark_group("sign");
    g.bench_function("ed25519_b26", |b| {
        b.iter(|| {
            let mut m = request.clone();
            signing::sign(&mut m, None, black_box(&spec), None, &signer).unwrap();
            m
        })
    });
    g.finish();
    let mut g = c.benchmark_group("verify");
    g.bench_function("ed25519_b26", |b| {
        b.iter(|| {
            verify(
                black_box(&signed),
                None,
                &keys,
                &policy,
                None,
                1_618_884_473,
            )
            .unwrap()
        })
    });
    g.finish();
    let mut g = c.benchmark_group("floor");
    g.bench_function("ed25519_sign_b26", |b| b.iter(|| raw.sign(black_box(BASE))));
    g.bench_function("ed25519_verify_b26", |b| {
        b.iter(|| public.verify(black_box(BASE), sig.as_ref()).unwrap())
    });
    g.finish();
}

criterion_group!(sign_benches, benches);
criterion_main!(sign_benches);
