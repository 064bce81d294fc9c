//! Interop with an independent implementation: Python `http-message-signatures` 3.0.0
//! (installed by `.ci/run` from `tests/interop/requirements.txt`). Python signs, pinset
//! verifies; pinset signs, Python verifies; every algorithm both support, over generated
//! requests (methods, query strings, unicode, empty and large bodies). Fails, never skips,
//! when Python or the package is missing.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use pinset::signing::key::secret_from_base64;
use pinset::signing::verify::{KeyEntry, verify};
use pinset::signing::{
    self, Algorithm, Component, DigestAlg, HttpMessage, KeySigner, MemoryNonceStore, ParamValue,
    SignatureSpec, SigningKey, VerifyPolicy, VerifyingKey,
};
use serde_json::Value;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/interop.py")
}

fn python(args: &[&str]) -> std::process::Output {
    let out = Command::new("python3")
        .arg(script())
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is required for the interop tests (.ci/run installs it): {e}")
        });
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("ModuleNotFoundError"),
        "install the peer: pip install -r tests/interop/requirements.txt\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn verifying_key(alg: Algorithm, path: &str) -> VerifyingKey {
    if alg == Algorithm::HmacSha256 {
        VerifyingKey::hmac(&secret_from_base64(&std::fs::read_to_string(path).unwrap()).unwrap())
            .unwrap()
    } else {
        VerifyingKey::from_pem(&std::fs::read(path).unwrap()).unwrap()
    }
}

fn signing_key(alg: Algorithm, path: &str) -> SigningKey {
    if alg == Algorithm::HmacSha256 {
        SigningKey::hmac(&secret_from_base64(&std::fs::read_to_string(path).unwrap()).unwrap())
            .unwrap()
    } else {
        SigningKey::from_pem(&std::fs::read(path).unwrap()).unwrap()
    }
}

#[test]
fn python_and_pinset_verify_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = python(&["gen", d.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index: Value =
        serde_json::from_slice(&std::fs::read(d.join("index.json")).unwrap()).unwrap();

    // Python signed, pinset verifies.
    let py = index["python_signed"].as_array().unwrap();
    assert_eq!(py.len(), 42, "7 requests x 6 algorithms");
    let nonces = MemoryNonceStore::new(1000);
    for e in py {
        let file = e["file"].as_str().unwrap();
        let alg: Algorithm = e["alg"].as_str().unwrap().parse().unwrap();
        let msg = HttpMessage::parse(&std::fs::read(file).unwrap(), "https").unwrap();
        let keys = KeyEntry {
            key: verifying_key(alg, e["key"].as_str().unwrap()),
            allowed: vec![alg],
        };
        let policy = VerifyPolicy {
            required_components: vec!["@method".into(), "@target-uri".into()],
            ..VerifyPolicy::default()
        };
        let v = verify(&msg, None, &keys, &policy, Some(&nonces), now())
            .unwrap_or_else(|err| panic!("{file}: {err}"));
        assert_eq!(v[0].alg, alg);
    }

    // pinset signs, Python verifies.
    let mut signed = Vec::new();
    for (i, req) in index["requests"].as_array().unwrap().iter().enumerate() {
        for (alg_name, key) in index["keys"].as_object().unwrap() {
            let alg: Algorithm = alg_name.parse().unwrap();
            let mut msg =
                HttpMessage::parse(&std::fs::read(req.as_str().unwrap()).unwrap(), "https")
                    .unwrap();
            let mut comps = vec!["@method", "@target-uri", "@authority", "@path", "@query"];
            if msg.field_values("content-type").next().is_some() {
                comps.push("content-type");
            }
            if !msg.body.is_empty() {
                comps.push("content-digest");
            }
            let mut components: Vec<Component> = comps
                .into_iter()
                .map(|c| Component::parse(c).unwrap())
                .collect();
            if let Some(name) = msg.query().and_then(|q| q.split('&').next()) {
                let name = name.split('=').next().unwrap_or(name);
                components
                    .push(Component::parse(&format!("\"@query-param\";name=\"{name}\"")).unwrap());
            }
            let spec = SignatureSpec::new(
                "pinset",
                components,
                vec![
                    ("created".into(), ParamValue::Integer(now())),
                    ("keyid".into(), ParamValue::String(format!("pinset-{alg}"))),
                    (
                        "nonce".into(),
                        ParamValue::String(signing::random_nonce().unwrap()),
                    ),
                    ("alg".into(), ParamValue::String(alg.name().into())),
                ],
            )
            .unwrap();
            let signer = KeySigner::new(
                signing_key(alg, key["private"].as_str().unwrap()),
                Some(alg),
            )
            .unwrap();
            let digest = (!msg.body.is_empty()).then_some(DigestAlg::Sha512);
            signing::sign(&mut msg, None, &spec, digest, &signer).unwrap();
            let file = d.join(format!("pinset-{i}-{alg}.http"));
            std::fs::write(&file, msg.to_http1(true)).unwrap();
            signed.push(serde_json::json!({"file": file, "alg": alg_name, "key": key["public"], "label": "pinset"}));
        }
    }
    let list = d.join("pinset-signed.json");
    std::fs::write(&list, serde_json::to_vec(&signed).unwrap()).unwrap();
    let out = python(&["verify", list.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("42 passed, 0 failed"), "{stdout}");
}
