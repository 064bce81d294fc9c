//! `pinset verify` exactly as strict as the wire (issue #15): each test is one attack that the
//! previous verifier accepted — an empty HMAC key, framing changed after signing, a normalised
//! request-target, Unicode whitespace trimmed from a covered value — plus the explicit
//! `--allow-unsigned-body` opt-out that lets the RFC's Appendix B examples verify.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pinset/tests/data/rfc9421")
}

fn pinset(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pinset"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

const NOW: &str = "1700000000";

/// A GET request signed with HMAC-SHA256 under `key`, computed here (not by pinset).
fn hmac_signed_request(key: &[u8]) -> Vec<u8> {
    let params = r#"("@method" "@authority");created=1700000000;keyid="k";alg="hmac-sha256""#;
    let base =
        format!("\"@method\": GET\n\"@authority\": example.com\n\"@signature-params\": {params}");
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key),
        base.as_bytes(),
    );
    format!(
        "GET /account HTTP/1.1\r\nHost: example.com\r\nSignature-Input: sig={params}\r\nSignature: sig=:{}:\r\n\r\n",
        STANDARD.encode(tag.as_ref())
    )
    .into_bytes()
}

#[test]
fn an_empty_or_short_hmac_key_never_verifies_or_signs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Anyone can compute an HMAC under the empty key: a missing or empty secret file must not
    // turn that into a valid signature.
    let forged = pinset_tests::write(d, "forged.http", hmac_signed_request(b""));
    let empty = pinset_tests::write(d, "empty.b64", "");
    let newline = pinset_tests::write(d, "newline.b64", "\n");
    for secret in [&empty, &newline] {
        let (code, out, err) = pinset(&[
            "verify",
            path(&forged),
            "--secret",
            path(secret),
            "--now",
            NOW,
        ]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains("empty"), "{err}");
        assert!(!out.contains("valid:"), "{out}");
    }
    // 16 bytes were enough for `sign` and anything was enough for `verify`; both now need 32
    // and say why.
    let short_key = [7u8; 16];
    let short = pinset_tests::write(d, "short.b64", STANDARD.encode(short_key));
    let signed16 = pinset_tests::write(d, "s16.http", hmac_signed_request(&short_key));
    let (code, _, err) = pinset(&[
        "verify",
        path(&signed16),
        "--secret",
        path(&short),
        "--now",
        NOW,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("at least 32") && err.contains("RFC 2104"),
        "{err}"
    );
    let request = pinset_tests::write(d, "req.http", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    let (code, _, err) = pinset(&["sign", path(&request), "--secret", path(&short)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at least 32"), "{err}");
    // An unreadable key is an error naming the file.
    let missing = d.join("no-such-secret.b64");
    let (code, _, err) = pinset(&["verify", path(&forged), "--secret", path(&missing)]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-secret"), "{err}");
    // Control: a 32-byte key signs and verifies.
    let good_key = [9u8; 32];
    let good = pinset_tests::write(d, "good.b64", STANDARD.encode(good_key));
    let signed = pinset_tests::write(d, "s32.http", hmac_signed_request(&good_key));
    let (code, out, err) = pinset(&[
        "verify",
        path(&signed),
        "--secret",
        path(&good),
        "--now",
        NOW,
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn key_type_must_match_the_algorithm_both_ways() {
    let s = data();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let secret = s.join("keys/test-shared-secret.b64");
    let ed = s.join("keys/test-key-ed25519.private.pem");
    let request = pinset_tests::write(d, "req.http", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    // An HMAC secret cannot sign as ed25519, nor an ed25519 key as hmac-sha256.
    let (code, _, err) = pinset(&[
        "sign",
        path(&request),
        "--secret",
        path(&secret),
        "--alg",
        "ed25519",
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = pinset(&[
        "sign",
        path(&request),
        "--key",
        path(&ed),
        "--alg",
        "hmac-sha256",
    ]);
    assert_eq!(code, 2, "{err}");
    // An HMAC signature does not verify with a public key, an ed25519 one not with a secret.
    let (code, out, _) = pinset(&["sign", path(&request), "--secret", path(&secret)]);
    assert_eq!(code, 0);
    let hmac_signed = pinset_tests::write(d, "hmac.http", out);
    let public = s.join("keys/test-key-ed25519.public.pem");
    let (code, out, _) = pinset(&["verify", path(&hmac_signed), "--key", path(&public)]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("algorithm mismatch"), "{out}");
    let (code, out, _) = pinset(&["sign", path(&request), "--key", path(&ed)]);
    assert_eq!(code, 0);
    let ed_signed = pinset_tests::write(d, "ed.http", out);
    let (code, out, _) = pinset(&["verify", path(&ed_signed), "--secret", path(&secret)]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("algorithm mismatch"), "{out}");
    // The RFC's RSA-PSS key carries the id-RSASSA-PSS OID: PSS only, never PKCS#1 v1.5.
    let pss = s.join("keys/test-key-rsa-pss.private.pem");
    let (code, _, err) = pinset(&[
        "sign",
        path(&request),
        "--key",
        path(&pss),
        "--alg",
        "rsa-v1_5-sha256",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("rsa-v1_5-sha256 cannot be used"), "{err}");
    // (A plain rsaEncryption key may sign either; the interop test exercises v1.5 with one.)
}

/// Signs `raw` with the RFC's Ed25519 key in the safe profile; returns the signed bytes.
fn sign_ed25519(d: &Path, raw: &[u8], extra: &[&str]) -> Vec<u8> {
    let request = pinset_tests::write(d, "to-sign.http", raw);
    let key = data().join("keys/test-key-ed25519.private.pem");
    let mut args = vec!["sign", path(&request), "--key", path(&key)];
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_pinset"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `pinset verify` of `raw` with the RFC's Ed25519 public key: (exit code, stdout + stderr).
fn verify_ed25519(d: &Path, raw: &[u8]) -> (i32, String) {
    let file = pinset_tests::write(d, "to-verify.http", raw);
    let key = data().join("keys/test-key-ed25519.public.pem");
    let (code, out, err) = pinset(&["verify", path(&file), "--key", path(&key)]);
    (code, out + &err)
}

fn replace(raw: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(raw.to_vec()).unwrap();
    assert!(text.contains(from), "{from:?} not in {text}");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn framing_changed_after_signing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let wire = std::fs::read(data().join("messages/test-request.wire")).unwrap();
    let signed = sign_ed25519(d, &wire, &[]);
    let (code, out) = verify_ed25519(d, &signed);
    assert_eq!(code, 0, "control: {out}");
    assert!(out.contains("\"content-digest\""), "{out}");
    // The body bytes stay; only the framing a server would apply changes.
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "shorter Content-Length",
            replace(&signed, "Content-Length: 18", "Content-Length: 17"),
        ),
        (
            "longer Content-Length",
            replace(&signed, "Content-Length: 18", "Content-Length: 19"),
        ),
        (
            "Transfer-Encoding added",
            replace(
                &signed,
                "Content-Length: 18",
                "Transfer-Encoding: chunked\r\nContent-Length: 18",
            ),
        ),
        (
            "second, differing Content-Length",
            replace(
                &signed,
                "Content-Length: 18",
                "Content-Length: 18\r\nContent-Length: 5",
            ),
        ),
        (
            "Content-Length list with two values",
            replace(&signed, "Content-Length: 18", "Content-Length: 18, 5"),
        ),
        ("a pipelined request after the body", {
            let mut v = signed.clone();
            v.extend_from_slice(b"GET /admin HTTP/1.1\r\nHost: example.com\r\n\r\n");
            v
        }),
    ];
    for (what, raw) in cases {
        let (code, out) = verify_ed25519(d, &raw);
        assert_ne!(code, 0, "{what} still verified: {out}");
        assert!(!out.contains("valid: "), "{what}: {out}");
    }
}

#[test]
fn a_chunked_body_is_decoded_before_its_digest_and_must_end_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let body = "{\"hello\": \"world\"}";
    let chunked = format!(
        "POST /foo HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n7;ext=1\r\n{}\r\nb\r\n{}\r\n0\r\n\r\n",
        &body[..7],
        &body[7..]
    );
    let signed = sign_ed25519(d, chunked.as_bytes(), &[]);
    let text = String::from_utf8_lossy(&signed);
    // The digest is over the decoded content: the same value as for the Content-Length form.
    assert!(
        text.contains("Content-Digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"),
        "{text}"
    );
    assert!(
        text.ends_with("12\r\n{\"hello\": \"world\"}\r\n0\r\n\r\n"),
        "{text}"
    );
    let (code, out) = verify_ed25519(d, &signed);
    assert_eq!(code, 0, "{out}");
    let mut smuggled = signed.clone();
    smuggled.extend_from_slice(b"GET /admin HTTP/1.1\r\nHost: example.com\r\n\r\n");
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("bytes after the last chunk", smuggled),
        ("a chunk cut short", replace(&signed, "12\r\n", "13\r\n")),
        (
            "an unknown transfer coding",
            replace(
                &signed,
                "Transfer-Encoding: chunked",
                "Transfer-Encoding: gzip, chunked",
            ),
        ),
        (
            "chunked twice",
            replace(
                &signed,
                "Transfer-Encoding: chunked",
                "Transfer-Encoding: chunked, chunked",
            ),
        ),
        (
            "a trailer field",
            replace(&signed, "0\r\n\r\n", "0\r\nX-Late: 1\r\n\r\n"),
        ),
        (
            "a bare LF in the chunked body",
            replace(&signed, "0\r\n\r\n", "0\n\r\n"),
        ),
    ];
    for (what, raw) in bad {
        let (code, out) = verify_ed25519(d, &raw);
        assert_ne!(code, 0, "{what} still verified: {out}");
    }
}

#[test]
fn derived_components_are_the_target_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let signed = sign_ed25519(
        d,
        b"GET /public/report HTTP/1.1\r\nHost: example.com\r\n\r\n",
        &[],
    );
    assert_eq!(verify_ed25519(d, &signed).0, 0);
    for target in [
        "/admin/../public/report",
        "/admin/%2e%2e/public/report",
        "/public/./report",
        "/public/%72eport",
        "/public//report",
        "/public/re\tport",
        "/PUBLIC/report",
    ] {
        let raw = replace(&signed, "GET /public/report ", &format!("GET {target} "));
        let (code, out) = verify_ed25519(d, &raw);
        assert_ne!(
            code, 0,
            "{target:?} verified with a signature for /public/report: {out}"
        );
    }
    // A control character in the target is an input error, not a verification answer.
    let raw = replace(&signed, "GET /public/report ", "GET /public/re\tport ");
    let (code, out) = verify_ed25519(d, &raw);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("control character"), "{out}");
}

#[test]
fn only_sp_and_htab_are_whitespace_in_covered_values() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let signed = sign_ed25519(
        d,
        b"GET /pay HTTP/1.1\r\nHost: example.com\r\nX-Account: 42\r\n\r\n",
        &["--component", "@method", "--component", "x-account"],
    );
    assert_eq!(verify_ed25519(d, &signed).0, 0);
    for (what, value) in [
        ("NBSP", "42\u{a0}"),
        ("ideographic space", "42\u{3000}"),
        ("em space", "\u{2003}42"),
    ] {
        let raw = replace(
            &signed,
            "X-Account: 42\r\n",
            &format!("X-Account: {value}\r\n"),
        );
        let (code, out) = verify_ed25519(d, &raw);
        assert_eq!(code, 1, "{what} was trimmed: {out}");
    }
    // SP and HTAB around a value are optional whitespace (RFC 9110 §5.6.3), also in obs-fold.
    for value in ["42 \t", "\t42"] {
        let raw = replace(
            &signed,
            "X-Account: 42\r\n",
            &format!("X-Account: {value}\r\n"),
        );
        assert_eq!(verify_ed25519(d, &raw).0, 0, "{value:?}");
    }
    // The signer unfolds obs-fold into one SP; folding it again verifies, with NBSP it does not.
    let signed = sign_ed25519(
        d,
        b"GET /pay HTTP/1.1\r\nHost: example.com\r\nX-Account: 42\r\n \t 43\r\n\r\n",
        &["--component", "@method", "--component", "x-account"],
    );
    let folded = replace(
        &signed,
        "X-Account: 42 43\r\n",
        "X-Account: 42\r\n\t43 \r\n",
    );
    assert_eq!(verify_ed25519(d, &folded).0, 0);
    let nbsp_fold = replace(
        &signed,
        "X-Account: 42 43\r\n",
        "X-Account: 42\r\n\t43\u{a0}\r\n",
    );
    assert_eq!(verify_ed25519(d, &nbsp_fold).0, 1);
}

#[test]
fn allow_unsigned_body_verifies_the_appendix_b_examples() {
    let s = data();
    let vectors: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.join("vectors.json")).unwrap()).unwrap();
    let mut checked = 0;
    for case in vectors["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        if !id.starts_with("B.") {
            continue;
        }
        let file = case["signed_message_file"]
            .as_str()
            .or(case["message_file"].as_str())
            .unwrap();
        let key = s.join(case["public_key_file"].as_str().unwrap());
        let key_flag = if case["alg"] == "hmac-sha256" {
            "--secret"
        } else {
            "--key"
        };
        let created = case["signature_params"]["created"]
            .as_i64()
            .unwrap()
            .to_string();
        let mut files = vec![file.to_owned()];
        for f in case["also_valid_for"].as_array().into_iter().flatten() {
            files.push(f.as_str().unwrap().to_owned());
        }
        for f in &files {
            let msg = s.join(f);
            let args = [
                "verify",
                path(&msg),
                key_flag,
                path(&key),
                "--now",
                &created,
            ];
            let covers_digest = case["signature_input"]
                .as_str()
                .unwrap()
                .contains("\"content-digest\"");
            let has_body =
                !pinset::signing::HttpMessage::parse(&std::fs::read(&msg).unwrap(), "https")
                    .unwrap()
                    .body
                    .is_empty();
            let (code, out, err) = pinset(&args);
            if has_body && !covers_digest {
                // The strict default refuses an uncovered body...
                assert_eq!(code, 1, "{id} {f}: {out}{err}");
                assert!(out.contains("content-digest"), "{id}: {out}");
            } else {
                assert_eq!(code, 0, "{id} {f}: {out}{err}");
            }
            // ... and the explicit opt-out verifies, saying what was not covered.
            let mut lenient = args.to_vec();
            lenient.push("--allow-unsigned-body");
            let (code, out, err) = pinset(&lenient);
            assert_eq!(code, 0, "{id} {f}: {out}{err}");
            assert!(out.starts_with("valid: "), "{out}");
            assert_eq!(
                out.contains("body NOT covered"),
                has_body && !covers_digest,
                "{id} {f}: {out}"
            );
            checked += 1;
        }
        for f in case["must_fail_for"].as_array().into_iter().flatten() {
            let msg = s.join(f.as_str().unwrap());
            let (code, out, _) = pinset(&[
                "verify",
                path(&msg),
                key_flag,
                path(&key),
                "--now",
                &created,
                "--allow-unsigned-body",
            ]);
            assert_eq!(code, 1, "{id} {f}: {out}");
        }
    }
    assert_eq!(
        checked, 11,
        "B.2.1-B.2.6, B.3, B.4 and its three valid transformations"
    );
}
