//! `pinset sign` / `pinset verify` on the RFC 9421 B.2.6 request (exact form, byte-exact
//! signature) and the ergonomic safe-profile form; CRLF input stays CRLF.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn data() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pinset/tests/data/rfc9421");
    assert!(d.exists(), "RFC 9421 vectors missing at {}", d.display());
    d
}

fn pinset(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pinset"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn exact_form_reproduces_b26_and_verifies() {
    let s = data();
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = pinset(&[
        "sign",
        s.join("messages/test-request.wire").to_str().unwrap(),
        "--key",
        s.join("keys/test-key-ed25519.private.pem")
            .to_str()
            .unwrap(),
        "--label",
        "sig-b26",
        "--signature-params",
        r#"("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#,
    ]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(out.clone()).unwrap();
    let expected = std::fs::read_to_string(s.join("messages/B.2.6-signed.http")).unwrap();
    let sig_line = expected
        .lines()
        .find(|l| l.starts_with("Signature:"))
        .unwrap();
    assert!(text.contains(&format!("{sig_line}\r\n")), "{text}");
    let signed = pinset_tests::write(dir.path(), "signed.http", &out);
    let public = s.join("keys/test-key-ed25519.public.pem");
    // The RFC request has a body that B.2.6 does not digest: the safe default refuses it...
    let (code, out, _) = pinset(&[
        "verify",
        signed.to_str().unwrap(),
        "--key",
        public.to_str().unwrap(),
        "--now",
        "1618884473",
    ]);
    assert_eq!(code, 1);
    assert!(String::from_utf8_lossy(&out).contains("content-digest"));
    // ... and a stale signature is refused at today's date.
    let (code, out, _) = pinset(&[
        "verify",
        signed.to_str().unwrap(),
        "--key",
        public.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(String::from_utf8_lossy(&out).starts_with("invalid:"));
}

#[test]
fn ergonomic_form_signs_the_safe_profile_and_verifies() {
    let s = data();
    let dir = tempfile::tempdir().unwrap();
    for (key, public) in [
        (
            "keys/test-key-ecc-p256.private.pem",
            "keys/test-key-ecc-p256.public.pem",
        ),
        (
            "keys/test-key-rsa-pss.private.pem",
            "keys/test-key-rsa-pss.public.pem",
        ),
        (
            "keys/test-key-ed25519.private.pem",
            "keys/test-key-ed25519.public.pem",
        ),
    ] {
        let (code, out, err) = pinset(&[
            "sign",
            s.join("messages/test-request.http").to_str().unwrap(),
            "--key",
            s.join(key).to_str().unwrap(),
            "--keyid",
            "k1",
        ]);
        assert_eq!(code, 0, "{key}: {err}");
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains(
                r#"sig1=("@method" "@target-uri" "content-type" "content-digest");created="#
            ),
            "{text}"
        );
        assert!(
            text.contains(";nonce=\"") && text.contains(";keyid=\"k1\""),
            "{text}"
        );
        let signed = pinset_tests::write(dir.path(), "signed.http", &out);
        let (code, out, _) = pinset(&[
            "verify",
            signed.to_str().unwrap(),
            "--key",
            s.join(public).to_str().unwrap(),
            "--require",
            "@method,@target-uri,content-digest",
        ]);
        assert_eq!(code, 0, "{key}: {}", String::from_utf8_lossy(&out));
        // Tamper with the body: the digest no longer matches.
        let tampered =
            String::from_utf8_lossy(&std::fs::read(&signed).unwrap()).replace("world", "w0rld");
        let t = pinset_tests::write(dir.path(), "tampered.http", tampered);
        let (code, out, _) = pinset(&[
            "verify",
            t.to_str().unwrap(),
            "--key",
            s.join(public).to_str().unwrap(),
        ]);
        assert_eq!(code, 1);
        assert!(
            String::from_utf8_lossy(&out).contains("bad digest"),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }
    // HMAC with --secret (base64 text).
    let secret = s.join("keys/test-shared-secret.b64");
    let (code, out, err) = pinset(&[
        "sign",
        s.join("messages/test-request.http").to_str().unwrap(),
        "--secret",
        secret.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let signed = pinset_tests::write(dir.path(), "hmac.http", &out);
    assert_eq!(
        pinset(&[
            "verify",
            signed.to_str().unwrap(),
            "--secret",
            secret.to_str().unwrap()
        ])
        .0,
        0
    );
    // Bad input: a clear error, exit 2.
    let garbage = pinset_tests::write(dir.path(), "garbage.http", "not http at all");
    let (code, _, err) = pinset(&[
        "sign",
        garbage.to_str().unwrap(),
        "--secret",
        secret.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("pinset: ") && err.contains("line 1"),
        "{err}"
    );
}
