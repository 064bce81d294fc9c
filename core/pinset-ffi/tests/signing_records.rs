//! The FFI request records follow the core's framing and raw-target rules (issue #15): the
//! body is explicit, so a `Content-Length` header that disagrees with it, `Transfer-Encoding`
//! beside `Content-Length`, or an unknown transfer coding is an error on signing and on
//! verification; targets keep their spelling.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use pinset_ffi::{
    HeaderField, HttpRequest, PinsetError, SignOptions, sign_request_with_key, verify_request,
};

fn key(name: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pinset/tests/data/rfc9421/keys");
    std::fs::read_to_string(dir.join(name)).unwrap()
}

const NOW: i64 = 1_700_000_000;

fn request(target: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        target_uri: target.into(),
        headers: headers
            .iter()
            .map(|(n, v)| HeaderField {
                name: (*n).into(),
                value: (*v).into(),
            })
            .collect(),
        body: body.to_vec(),
    }
}

fn options() -> SignOptions {
    SignOptions {
        label: "sig1".into(),
        key_id: "k1".into(),
        components: vec![],
        tag: None,
        created: NOW,
        content_digest: None,
    }
}

fn sign(r: HttpRequest) -> Result<HttpRequest, PinsetError> {
    sign_request_with_key(r, key("test-key-ed25519.private.pem"), None, options())
}

fn check(r: HttpRequest) -> Result<Vec<String>, PinsetError> {
    verify_request(r, key("test-key-ed25519.public.pem"), vec![], 300, NOW)
}

#[test]
fn a_record_whose_headers_frame_another_body_is_refused() {
    let good = request(
        "https://api.example.com/orders",
        &[("content-length", "5")],
        b"12345",
    );
    let signed = sign(good).unwrap();
    assert_eq!(check(signed.clone()).unwrap(), ["sig1"]);
    for (name, value) in [
        ("content-length", "4"),
        ("content-length", "5, 6"),
        ("transfer-encoding", "chunked"),
        ("transfer-encoding", "gzip"),
    ] {
        let mut tampered = signed.clone();
        if name == "content-length" {
            tampered.headers.retain(|h| h.name != "content-length");
        }
        tampered.headers.push(HeaderField {
            name: name.into(),
            value: value.into(),
        });
        let e = check(tampered.clone()).unwrap_err();
        assert!(
            matches!(&e, PinsetError::Signing { kind, .. } if kind == "message"),
            "{name}: {value}: {e:?}"
        );
        tampered
            .headers
            .retain(|h| !h.name.starts_with("signature"));
        assert!(sign(tampered).is_err(), "{name}: {value} signed");
    }
    // A chunked record carries its decoded body; it signs and verifies.
    let chunked = request(
        "https://api.example.com/up",
        &[("transfer-encoding", "chunked")],
        b"hello",
    );
    assert_eq!(check(sign(chunked).unwrap()).unwrap(), ["sig1"]);
}

#[test]
fn record_targets_keep_their_spelling() {
    let signed = sign(request("https://api.example.com/public/report", &[], b"")).unwrap();
    assert!(check(signed.clone()).is_ok());
    for target in [
        "https://api.example.com/admin/../public/report",
        "https://api.example.com/admin/%2e%2e/public/report",
        "https://API.example.com/public/report",
    ] {
        let mut moved = signed.clone();
        moved.target_uri = target.into();
        assert!(check(moved).is_err(), "{target}");
    }
    for bad in [
        "https://api.example.com/a\tb",
        "https://user@api.example.com/",
        "https://api.example.com/#x",
    ] {
        assert!(sign(request(bad, &[], b"")).is_err(), "{bad}");
    }
}
