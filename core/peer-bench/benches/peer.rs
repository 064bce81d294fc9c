//! RFC 9421 B.2.6 (ed25519) signed and verified by pinset and by the Rust `httpsig` crate
//! (0.0.26, ed25519-compact inside), in one run. httpsig takes the covered components already
//! extracted (`"date": …` lines); pinset parses the HTTP request and derives them, so the
//! comparison favours httpsig. Both build the RFC's signature base byte for byte (checked
//! before timing).
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use httpsig::prelude::message_component::HttpMessageComponent;
use httpsig::prelude::{
    AlgorithmName, HttpSignatureBase, HttpSignatureHeaders, HttpSignatureParams, PublicKey,
    SecretKey,
};
use pinset::signing::verify::{KeyEntry, verify};
use pinset::signing::{self, HttpMessage, KeySigner, SignatureSpec, SigningKey, VerifyPolicy};

const REQUEST: &[u8] = include_bytes!("../../pinset/tests/data/rfc9421/messages/test-request.http");
const KEY: &[u8] = include_bytes!("../../pinset/tests/data/rfc9421/keys/test-key-ed25519.private.pem");
const PARAMS: &str = r#"("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
const COMPONENTS: [&str; 6] = [
    r#""date": Tue, 20 Apr 2021 02:07:55 GMT"#,
    r#""@method": POST"#,
    r#""@path": /foo"#,
    r#""@authority": example.com"#,
    r#""content-type": application/json"#,
    r#""content-length": 18"#,
];
const RFC_SIGNATURE: &str = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";

fn benches(c: &mut Criterion) {
    // pinset
    let request = HttpMessage::parse(REQUEST, "https").unwrap();
    let signer = KeySigner::new(SigningKey::from_pem(KEY).unwrap(), None).unwrap();
    let spec = SignatureSpec::from_serialized("sig-b26", PARAMS).unwrap();
    let keys = KeyEntry {
        key: SigningKey::from_pem(KEY).unwrap().verifying_key(),
        allowed: vec![],
    };
    let policy = VerifyPolicy {
        max_age: None,
        require_digest_for_body: false,
        ..VerifyPolicy::default()
    };
    let mut signed = request.clone();
    signing::sign(&mut signed, None, &spec, None, &signer).unwrap();
    assert_eq!(
        signed.field_values("signature").next().unwrap(),
        RFC_SIGNATURE
    );
    verify(&signed, None, &keys, &policy, None, 1_618_884_473).unwrap();

    // httpsig
    let pem = std::str::from_utf8(KEY).unwrap();
    let secret = SecretKey::from_pem(&AlgorithmName::Ed25519, pem).unwrap();
    let public = secret.public_key();
    let params = HttpSignatureParams::try_from(PARAMS).unwrap();
    let components = || -> Vec<HttpMessageComponent> {
        COMPONENTS
            .iter()
            .map(|s| HttpMessageComponent::try_from(*s).unwrap())
            .collect()
    };
    let base = HttpSignatureBase::try_new(&components(), &params).unwrap();
    // Same signature base as the RFC (httpsig's ed25519 signatures are randomised with noise,
    // so the signature bytes differ from the RFC's deterministic ones; both verify).
    assert_eq!(
        base.as_bytes(),
        include_bytes!("../../pinset/tests/data/rfc9421/bases/B.2.6.txt")
    );
    let headers = base
        .build_signature_headers(&secret, Some("sig-b26"))
        .unwrap();
    let input = headers.signature_input_header_value();
    let sig_value = headers.signature_header_value();
    let peer_verify = |public: &PublicKey| {
        let parsed = HttpSignatureHeaders::try_parse(&sig_value, &input).unwrap();
        let h = parsed.get("sig-b26").unwrap();
        let base = HttpSignatureBase::try_new(&components(), h.signature_params()).unwrap();
        base.verify_signature_headers(public, h).unwrap();
    };
    peer_verify(&public);

    let mut g = c.benchmark_group("peer");
    g.bench_function("pinset_sign_b26", |b| {
        b.iter(|| {
            let mut m = request.clone();
            signing::sign(&mut m, None, black_box(&spec), None, &signer).unwrap();
            m
        })
    });
    g.bench_function("httpsig_sign_b26", |b| {
        b.iter(|| {
            let params = HttpSignatureParams::try_from(black_box(PARAMS)).unwrap();
            let base = HttpSignatureBase::try_new(&components(), &params).unwrap();
            base.build_signature_headers(&secret, Some("sig-b26"))
                .unwrap()
        })
    });
    g.bench_function("pinset_verify_b26", |b| {
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
    g.bench_function("httpsig_verify_b26", |b| {
        b.iter(|| peer_verify(black_box(&public)))
    });
    g.finish();
}

criterion_group!(peer, benches);
criterion_main!(peer);
