//! Every exported function called with hostile arguments returns an error (or a safe answer),
//! never panics: no panic may cross the FFI.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use pinset_ffi::{
    HeaderField, HttpRequest, PinReporter, Pinset, PinsetError, RequestSigner, SignOptions,
    pin_of_certificate, sign_request_with_key, sign_request_with_signer, verify_request,
};

fn hostile_strings() -> Vec<String> {
    vec![
        String::new(),
        "\0".into(),
        "a\r\nb: c".into(),
        "x".repeat(1 << 20),
        "\u{202e}évil\u{fffd}".into(),
        "[[domain]]\nname = \"a\"\npins = [".into(),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into(),
    ]
}

fn hostile_bytes() -> Vec<Vec<u8>> {
    vec![
        vec![],
        vec![0x30],
        vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        vec![0xff; 4096],
        b"\x30\x03\x02\x01\x00".to_vec(),
    ]
}

#[derive(Debug)]
struct Sink(Mutex<usize>);
impl PinReporter for Sink {
    fn report(&self, _json: String, _report_uris: Vec<String>) -> Result<(), PinsetError> {
        *self.0.lock().unwrap() += 1;
        Err(PinsetError::Callback {
            reason: "sink failure must not change the decision".into(),
        })
    }
}

struct BadSigner(&'static str);
impl RequestSigner for BadSigner {
    fn algorithm(&self) -> String {
        self.0.into()
    }
    fn sign(&self, base: Vec<u8>) -> Result<Vec<u8>, PinsetError> {
        if base.is_empty() {
            Ok(vec![])
        } else {
            Err(PinsetError::Callback {
                reason: "keystore locked".into(),
            })
        }
    }
}

fn no_panic<T>(f: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| panic!("an exported function panicked"))
}

#[test]
fn every_export_survives_hostile_arguments() {
    for s in hostile_strings() {
        assert!(no_panic(|| Pinset::from_toml(s.clone())).is_err());
        assert!(no_panic(|| pin_of_certificate(s.clone().into_bytes())).is_err());
    }
    for b in hostile_bytes() {
        assert!(no_panic(|| Pinset::from_bytes(b.clone())).is_err());
        assert!(no_panic(|| pin_of_certificate(b.clone())).is_err());
    }
    let manifest = "version = 1\n[[domain]]\nname = \"a.example\"\nenforce = false\npins = [\"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=\"]\n";
    let p = Pinset::from_toml(manifest.into()).unwrap();
    let sink = Arc::new(Sink(Mutex::new(0)));
    p.set_reporter(Some(sink.clone()));
    for host in hostile_strings() {
        for chain in [vec![], hostile_bytes(), vec![vec![0u8; 10]; 100]] {
            let _ = no_panic(|| p.evaluate(host.clone(), chain.clone(), i64::MIN, Some(0)));
            let _ = no_panic(|| p.evaluate(host.clone(), chain.clone(), i64::MAX, None));
            let _ = no_panic(|| p.enforce(host.clone(), chain.clone(), i64::MIN, Some(0)));
        }
        let _ = no_panic(|| p.is_pinned(host.clone()));
    }
    let req = |m: &str, u: &str, h: Vec<HeaderField>, body: Vec<u8>| HttpRequest {
        method: m.into(),
        target_uri: u.into(),
        headers: h,
        body,
    };
    let opts = |label: &str, comps: Vec<String>| SignOptions {
        label: label.into(),
        key_id: "\"k\r\n".into(),
        components: comps,
        tag: Some("\n".into()),
        created: i64::MIN,
        content_digest: Some("md5".into()),
    };
    for s in hostile_strings() {
        let bad_headers = vec![HeaderField {
            name: s.clone(),
            value: s.clone(),
        }];
        let r = req(&s, &s, bad_headers.clone(), s.clone().into_bytes());
        assert!(
            no_panic(|| sign_request_with_key(
                r.clone(),
                s.clone(),
                Some(s.clone()),
                opts(&s, vec![s.clone()])
            ))
            .is_err()
        );
        for alg in ["ed25519", "nonsense", ""] {
            let signer: Arc<dyn RequestSigner> = Arc::new(BadSigner(alg));
            let good = req("GET", "https://a.example/", vec![], vec![]);
            assert!(
                no_panic(|| sign_request_with_signer(
                    good.clone(),
                    signer.clone(),
                    opts("sig", vec![])
                ))
                .is_err()
            );
            assert!(
                no_panic(|| sign_request_with_signer(
                    r.clone(),
                    signer.clone(),
                    opts(&s, vec![s.clone()])
                ))
                .is_err()
            );
        }
        assert!(
            no_panic(|| verify_request(r.clone(), s.clone(), vec![s.clone()], u64::MAX, i64::MIN))
                .is_err()
        );
        let good = req(
            "GET",
            "https://a.example/",
            vec![HeaderField {
                name: "signature-input".into(),
                value: s.clone(),
            }],
            vec![],
        );
        assert!(no_panic(|| verify_request(good.clone(), s.clone(), vec![], 0, 0)).is_err());
    }
}
