//! The library's side of issue #15: framing (RFC 9112 §6) for parsed and explicit bodies, derived
//! components as received (RFC 9421 §2.2), OWS = SP/HTAB only, HMAC key minimum. The CLI's
//! black-box versions of the same attacks are in `core/pinset-cli/tests/strict_verify.rs`.
#![allow(clippy::unwrap_used, clippy::panic)]

use pinset::signing::base::signature_base;
use pinset::signing::verify::{KeyEntry, verify};
use pinset::signing::{
    self, Algorithm, Component, DigestAlg, HttpMessage, KeySigner, MIN_HMAC_KEY_BYTES,
    ProfileOptions, SignatureSpec, SigningError, SigningKey, VerifyPolicy, VerifyingKey,
};

const NOW: i64 = 1_700_000_000;

fn parse(raw: &str) -> Result<HttpMessage, SigningError> {
    HttpMessage::parse(raw.as_bytes(), "https")
}

/// The value a component takes in the signature base of `msg`.
fn value(msg: &HttpMessage, component: &str) -> Result<String, SigningError> {
    let c = Component::parse(component)?;
    let base = signature_base(msg, None, std::slice::from_ref(&c), "()")?;
    let text = String::from_utf8(base).unwrap();
    let line = text.lines().next().unwrap();
    Ok(line
        .strip_prefix(&format!("{}: ", c.serialized))
        .unwrap()
        .to_owned())
}

#[test]
fn framing_errors_on_the_wire() {
    let ok = [
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
            "abc",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc",
            "abc",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n1 ; a=\"q\\\"\" ;b\r\nd\r\n0\r\n\r\n",
            "abcd",
        ),
        ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", ""),
        (
            "HTTP/1.1 200 OK\r\n\r\nread until close",
            "read until close",
        ),
    ];
    for (raw, body) in ok {
        let m = parse(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
        assert_eq!(m.body, body.as_bytes(), "{raw:?}");
        // Re-serialised, it frames the same body and fields.
        let again = HttpMessage::parse(&m.to_http1(true), "https").unwrap();
        assert_eq!(again.body, m.body);
    }
    let bad = [
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nabc",
            "Content-Length is 2",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabc",
            "Content-Length is 4",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
            "differing",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 03\r\n\r\nabc",
            "differing",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
            "decimal",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n",
            "decimal",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "together",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nabc",
            "unsupported transfer coding",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "unsupported transfer coding",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n",
            "after the end of the chunked body",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
            "ends before its last chunk",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabc\r\n0\r\n\r\n",
            "not followed by CRLF",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n",
            "hexadecimal size",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
            "overflows",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;\r\nabc\r\n0\r\n\r\n",
            "chunk extension",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Late: 1\r\n\r\n",
            "trailer",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\n\r\nabc",
            "without Content-Length or Transfer-Encoding",
        ),
    ];
    for (raw, why) in bad {
        let e = parse(raw).err().unwrap_or_else(|| panic!("{raw:?} parsed"));
        assert!(e.to_string().contains(why), "{raw:?}: {e}");
    }
}

fn ed_key() -> SigningKey {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pkcs8.as_ref())
    );
    SigningKey::from_pem(pem.as_bytes()).unwrap()
}

fn profile(msg: &HttpMessage) -> (SignatureSpec, Option<DigestAlg>) {
    let options = ProfileOptions {
        label: "sig".into(),
        keyid: "k".into(),
        created: NOW,
        ..ProfileOptions::default()
    };
    SignatureSpec::profile(msg, Algorithm::Ed25519, &options).unwrap()
}

#[test]
fn an_explicit_body_must_agree_with_content_length_when_signing_and_verifying() {
    let key = ed_key();
    let keys = KeyEntry {
        key: key.verifying_key(),
        allowed: vec![],
    };
    let signer = KeySigner::new(key, None).unwrap();
    let mut msg = HttpMessage::request("POST", "https://api.example.com/orders").unwrap();
    msg.add_field("Content-Length", "5").unwrap();
    let mut msg = msg.with_body(b"12345".to_vec());
    let (spec, digest) = profile(&msg);
    assert_eq!(digest, Some(DigestAlg::Sha256));
    signing::sign(&mut msg, None, &spec, digest, &signer).unwrap();
    assert!(verify(&msg, None, &keys, &VerifyPolicy::default(), None, NOW).is_ok());
    // The same record with a Content-Length that frames a different body.
    for (name, value) in [
        ("content-length", "4"),
        ("content-length", "5, 6"),
        ("transfer-encoding", "chunked"),
        ("transfer-encoding", "gzip"),
    ] {
        let mut wrong = msg.clone();
        if name == "content-length" {
            wrong.remove_field("content-length");
        }
        wrong.add_field(name, value).unwrap();
        let e = verify(&wrong, None, &keys, &VerifyPolicy::default(), None, NOW).unwrap_err();
        assert!(
            matches!(e, SigningError::Message(_)),
            "{name}: {value}: {e}"
        );
        let mut unsigned = HttpMessage::request("POST", "https://api.example.com/orders")
            .unwrap()
            .with_body(b"12345".to_vec());
        unsigned.add_field(name, value).unwrap();
        if name == "transfer-encoding" {
            unsigned.add_field("content-length", "5").unwrap();
        }
        let (spec, digest) = profile(&unsigned);
        assert!(
            signing::sign(&mut unsigned, None, &spec, digest, &signer).is_err(),
            "{name}: {value} signed"
        );
    }
}

#[test]
fn a_chunked_body_is_digested_as_decoded_content() {
    let key = ed_key();
    let keys = KeyEntry {
        key: key.verifying_key(),
        allowed: vec![],
    };
    let mut msg = parse(
        "POST /up HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(msg.body, b"hello");
    let (spec, digest) = profile(&msg);
    signing::sign(
        &mut msg,
        None,
        &spec,
        digest,
        &KeySigner::new(key, None).unwrap(),
    )
    .unwrap();
    assert_eq!(
        msg.field_values("content-digest").next().unwrap(),
        signing::content_digest(DigestAlg::Sha256, b"hello")
    );
    let wire = msg.to_http1(true);
    assert!(wire.ends_with(b"\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
    let again = HttpMessage::parse(&wire, "https").unwrap();
    assert!(verify(&again, None, &keys, &VerifyPolicy::default(), None, NOW).is_ok());
}

#[test]
fn derived_components_keep_the_target_as_received() {
    let m = parse(
        "GET /admin/../a/%2e%2E/b/./c%2Fd//e?x=%41&y=1+2&x2=caf%C3%A9&e= HTTP/1.1\r\nHost: API.Example.com:443\r\n\r\n",
    )
    .unwrap();
    assert_eq!(value(&m, "@method").unwrap(), "GET");
    assert_eq!(
        value(&m, "@path").unwrap(),
        "/admin/../a/%2e%2E/b/./c%2Fd//e"
    );
    assert_eq!(value(&m, "@query").unwrap(), "?x=%41&y=1+2&x2=caf%C3%A9&e=");
    assert_eq!(
        value(&m, "@request-target").unwrap(),
        "/admin/../a/%2e%2E/b/./c%2Fd//e?x=%41&y=1+2&x2=caf%C3%A9&e="
    );
    assert_eq!(
        value(&m, "@target-uri").unwrap(),
        "https://API.Example.com:443/admin/../a/%2e%2E/b/./c%2Fd//e?x=%41&y=1+2&x2=caf%C3%A9&e="
    );
    // §2.2.3: the host lowercased, the default port omitted — and nothing else.
    assert_eq!(value(&m, "@authority").unwrap(), "api.example.com");
    assert_eq!(value(&m, "@scheme").unwrap(), "https");
    // §2.2.8: the only decoding is the form-urlencoded one, then re-encoding.
    assert_eq!(value(&m, "\"@query-param\";name=\"x\"").unwrap(), "A");
    assert_eq!(value(&m, "\"@query-param\";name=\"y\"").unwrap(), "1%202");
    assert_eq!(
        value(&m, "\"@query-param\";name=\"x2\"").unwrap(),
        "caf%C3%A9"
    );
    assert_eq!(value(&m, "\"@query-param\";name=\"e\"").unwrap(), "");
    let m = parse("GET /?a=1&a=2 HTTP/1.1\r\nHost: h:8443\r\n\r\n").unwrap();
    assert!(
        value(&m, "\"@query-param\";name=\"a\"").is_err(),
        "repeated names are ambiguous"
    );
    assert_eq!(value(&m, "@authority").unwrap(), "h:8443");
    assert_eq!(value(&m, "@query").unwrap(), "?a=1&a=2");
    let m = parse("GET /p HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    assert_eq!(value(&m, "@query").unwrap(), "?");
    // Absolute-form: the target is the URI; a Host that disagrees is refused.
    let m = parse("GET https://H.example/x/../y?q HTTP/1.1\r\nHost: h.example\r\n\r\n").unwrap();
    assert_eq!(
        value(&m, "@target-uri").unwrap(),
        "https://H.example/x/../y?q"
    );
    assert_eq!(value(&m, "@path").unwrap(), "/x/../y");
    assert!(parse("GET https://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n").is_err());
    // The same from an explicit target URI (the FFI records).
    let m = HttpMessage::request("GET", "https://api.example.com/a/%2E%2E/b?z=%7e").unwrap();
    assert_eq!(value(&m, "@path").unwrap(), "/a/%2E%2E/b");
    assert_eq!(
        value(&m, "@target-uri").unwrap(),
        "https://api.example.com/a/%2E%2E/b?z=%7e"
    );
    assert_eq!(value(&m, "\"@query-param\";name=\"z\"").unwrap(), "%7E");
}

#[test]
fn targets_with_control_characters_spaces_or_userinfo_are_errors() {
    for target in ["/a\tb", "/a\u{1}b", "/a\u{7f}", "/caf\u{e9}", "/a#frag"] {
        let raw = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
        assert!(parse(&raw).is_err(), "{target:?}");
        assert!(
            HttpMessage::request("GET", &format!("https://h{target}")).is_err(),
            "{target:?}"
        );
    }
    let e = parse("GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n").unwrap_err();
    assert!(e.to_string().contains("control character 0x09"), "{e}");
    for bad in [
        "GET /  HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
        "GET / FTP/1.1\r\nHost: h\r\n\r\n",
        "GET a HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: user@h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h/x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h:8x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost:\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
    assert!(HttpMessage::request("GET", "https://user@h/").is_err());
    assert!(HttpMessage::request("GET", "/relative").is_err());
}

#[test]
fn only_sp_and_htab_are_optional_whitespace() {
    for (raw, want) in [
        ("X: \t 42 \t", "42"),
        ("X: 42\u{a0}", "42\u{a0}"),
        ("X: \u{3000}42", "\u{3000}42"),
        ("X: 42\u{2003}", "42\u{2003}"),
        ("X: 4\n 2\u{a0}", "4 2\u{a0}"),
        ("X: 4 \t\n\t 2 ", "4 2"),
    ] {
        let m = parse(&format!("GET / HTTP/1.1\r\nHost: h\r\n{raw}\r\n\r\n")).unwrap();
        assert_eq!(value(&m, "x").unwrap(), want, "{raw:?}");
        // ;bs wraps the same bytes.
        let bs = value(&m, "x;bs").unwrap();
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, want);
        assert_eq!(bs, format!(":{b64}:"));
    }
    // A Host with a trailing NBSP is not the host.
    assert!(parse("GET / HTTP/1.1\r\nHost: h\u{a0}\r\n\r\n").is_err());
}

#[test]
fn hmac_keys_have_one_minimum_for_signing_and_verifying() {
    for len in [0, 1, 16, MIN_HMAC_KEY_BYTES - 1] {
        let k = vec![1u8; len];
        let e = SigningKey::hmac(&k).unwrap_err();
        assert!(e.to_string().contains("at least 32"), "{e}");
        assert!(VerifyingKey::hmac(&k).is_err(), "{len}");
    }
    assert!(SigningKey::hmac(&[1u8; MIN_HMAC_KEY_BYTES]).is_ok());
    assert!(VerifyingKey::hmac(&[1u8; MIN_HMAC_KEY_BYTES]).is_ok());
    assert!(signing::key::secret_from_base64("").is_err());
    assert!(signing::key::secret_from_base64(" \n").is_err());
    assert!(signing::key::secret_from_base64("AAAA").is_err(), "3 bytes");
    // Key type vs algorithm, both ways.
    let hmac = VerifyingKey::hmac(&[1u8; 32]).unwrap();
    assert!(!hmac.supports(Algorithm::Ed25519));
    let ed = ed_key();
    assert!(!ed.supports(Algorithm::HmacSha256));
    assert!(!ed.verifying_key().supports(Algorithm::HmacSha256));
    assert!(
        KeySigner::new(
            SigningKey::hmac(&[1u8; 32]).unwrap(),
            Some(Algorithm::Ed25519)
        )
        .is_err()
    );
}
