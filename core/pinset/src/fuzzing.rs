//! Entry points shared by the libFuzzer targets (`core/fuzz`) and the stable corpus replay
//! test (`tests/corpus_replay.rs`, through [`replay_corpus`]). Each takes arbitrary bytes and must never panic; they
//! also check a few invariants (round trips) with `assert!`, which is what a fuzzer reports.
#![allow(clippy::panic, clippy::unwrap_used, missing_docs)]

use std::sync::OnceLock;

use crate::manifest::Manifest;
use crate::pin::Pin;
use crate::policy::Policy;
use crate::signing::verify::{KeyEntry, verify};
use crate::signing::{HttpMessage, VerifyPolicy, VerifyingKey};

/// Manifest parsing; a manifest that parses re-serializes to one that parses equivalently.
pub fn manifest(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(loaded) = Manifest::parse(src, Some(0)) {
        let again = Manifest::parse(&loaded.manifest.to_toml(""), Some(0));
        let again = again.unwrap_or_else(|e| panic!("re-serialized manifest does not parse: {e}"));
        assert_eq!(again.manifest.domains.len(), loaded.manifest.domains.len());
    }
}

/// Certificate parsing, pins and subjects.
pub fn certificate(data: &[u8]) {
    if let Ok(certs) = crate::certificate::parse_certificates(data) {
        for c in &certs {
            let _ = Pin::of_certificate(c);
            let _ = crate::certificate::subject_of(c);
        }
    }
    let _ = crate::certificate::spki_of_certificate(data);
}

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| {
        let src = "version = 1\n[[domain]]\nname = \"example.com\"\ninclude_subdomains = true\n\
                   pins = [\"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=\", \"sha256/sRHdihwgkaib1P1gxX8HFszlM+4hMvCalm+9a+bI2lg=\"]\n\
                   [[domain]]\nname = \"cdn.example.com\"\npins = []\n";
        Policy::new(Manifest::parse(src, None).unwrap().manifest)
    })
}

/// Pin evaluation: first line is the host, the rest is a chain (PEM, or DER parts separated
/// by `\n--\n`).
pub fn evaluate(data: &[u8]) {
    let (host, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(host) = std::str::from_utf8(host) else {
        return;
    };
    let parts: Vec<&[u8]> = if rest.starts_with(b"-----") {
        match crate::certificate::parse_certificates(rest) {
            Ok(certs) => {
                let owned: Vec<Vec<u8>> = certs.iter().map(|c| c.to_vec()).collect();
                let _ = policy().check_path(host, 0, &owned);
                let _ = policy().verdict(host, 0, &owned);
                return;
            }
            Err(_) => return,
        }
    } else {
        rest.split(|&b| b == 0).collect()
    };
    let uncached = policy().check_path(host, 0, &parts);
    // The pin cache never changes a decision, cold or warm.
    static CACHE: OnceLock<crate::pin::PinCache> = OnceLock::new();
    let cache = CACHE.get_or_init(crate::pin::PinCache::new);
    for _ in 0..2 {
        assert_eq!(policy().check_path_cached(host, 0, &parts, cache), uncached);
    }
    let _ = policy().decide(host, 0, parts.iter().map(|p| Pin::of_spki(p)));
}

/// NSC import (the Android-rules validator).
#[cfg(feature = "generate")]
pub fn nsc_import(data: &[u8]) {
    if let Ok(src) = std::str::from_utf8(data) {
        if let Ok(imported) = crate::import::android_nsc(src, "fuzz") {
            let _ = imported.manifest.to_toml("");
        }
    }
}

/// OkHttp pin-list import.
#[cfg(feature = "generate")]
pub fn okhttp_import(data: &[u8]) {
    if let Ok(src) = std::str::from_utf8(data) {
        let _ = crate::import::okhttp(src, "fuzz");
    }
}

/// The framing rules (RFC 9112 §6) hold for every message the parser accepts: at most one
/// distinct Content-Length and it equals the body; never Transfer-Encoding with Content-Length;
/// a request without either has no body; the model's own framing check agrees.
fn assert_framing(m: &HttpMessage) {
    use crate::signing::message::{Kind, trim_ows};
    let lengths: Vec<&str> = m
        .field_values("content-length")
        .flat_map(|v| v.split(','))
        .map(trim_ows)
        .collect();
    let te = m.field_values("transfer-encoding").next().is_some();
    assert!(!te || lengths.is_empty(), "TE and CL both accepted");
    if let Some(first) = lengths.first() {
        assert!(lengths.iter().all(|l| l == first), "differing CLs accepted");
        assert_eq!(
            first.parse::<usize>().ok(),
            Some(m.body.len()),
            "CL != body"
        );
    }
    if te {
        let codings: Vec<String> = m
            .field_values("transfer-encoding")
            .flat_map(|v| v.split(','))
            .map(|c| trim_ows(c).to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            codings,
            ["chunked"],
            "a transfer coding other than one chunked"
        );
    }
    if matches!(m.kind, Kind::Request { .. }) && lengths.is_empty() && !te {
        assert!(m.body.is_empty(), "unframed request body accepted");
    }
    m.check_framing().unwrap();
}

/// Raw HTTP/1.1 parsing: every accepted message obeys the framing rules, and serializes to one
/// that parses to the same message (same kind and derived components, same fields once OWS is
/// trimmed, same body).
pub fn http_message(data: &[u8]) {
    use crate::signing::message::trim_ows;
    if let Ok(m) = HttpMessage::parse(data, "https") {
        assert_framing(&m);
        let again = HttpMessage::parse(&m.to_http1(true), "https");
        let again = again.unwrap_or_else(|e| panic!("re-serialized message does not parse: {e}"));
        assert_framing(&again);
        let trimmed = |f: &[(String, String)]| {
            f.iter()
                .map(|(n, v)| (n.clone(), trim_ows(v).to_owned()))
                .collect::<Vec<_>>()
        };
        let expected = trimmed(&m.fields);
        let mut got = trimmed(&again.fields);
        // A response read to the end gets a Content-Length on output.
        if !expected.iter().any(|(n, _)| n == "content-length") {
            got.retain(|(n, _)| n != "content-length");
        }
        assert_eq!(got, expected);
        assert_eq!(again.kind, m.kind);
        assert_eq!(again.target_uri(), m.target_uri());
        assert_eq!(again.body, m.body);
    }
}

/// `Signature-Input` / `Signature` / `Content-Digest` parsing and verification of a raw
/// message against a fixed Ed25519 key (the RFC 9421 test key). A message that verifies obeys
/// the framing rules, and re-serialised it verifies again with the same signature base.
pub fn signature(data: &[u8]) {
    static KEY: OnceLock<KeyEntry> = OnceLock::new();
    let keys = KEY.get_or_init(|| {
        let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n";
        KeyEntry { key: VerifyingKey::from_pem(pem.as_bytes()).unwrap(), allowed: vec![] }
    });
    if let Ok(m) = HttpMessage::parse(data, "https") {
        let policy = VerifyPolicy {
            max_age: None,
            require_created: false,
            require_digest_for_body: false,
            ..VerifyPolicy::default()
        };
        if verify(&m, None, keys, &policy, None, 1_618_884_473).is_ok() {
            assert_framing(&m);
            let again = HttpMessage::parse(&m.to_http1(true), "https").unwrap();
            verify(&again, None, keys, &policy, None, 1_618_884_473)
                .unwrap_or_else(|e| panic!("re-serialized verified message fails: {e}"));
            let input = m
                .field_values("signature-input")
                .collect::<Vec<_>>()
                .join(", ");
            for (_, raw) in crate::signing::base::raw_members(&input) {
                let inner = crate::signing::base::parse_member_inner_list(&raw).unwrap();
                let covered = crate::signing::base::parse_covered(&inner).unwrap();
                let base = |msg: &HttpMessage| {
                    crate::signing::base::signature_base(msg, None, &covered, &raw).unwrap()
                };
                assert_eq!(
                    base(&again),
                    base(&m),
                    "covered values changed on re-serialization"
                );
            }
        }
        for v in m.field_values("content-digest") {
            let _ = crate::signing::check_content_digest(v, &m.body);
        }
    }
}

/// Sigstore bundle parsing (bundle, entry body, checkpoint, proof), then a whole verification
/// against an empty trusted root.
#[cfg(feature = "attest")]
pub fn attest_bundle(data: &[u8]) {
    use crate::attest::{Artifact, IdentityPolicy, Matcher, Policy, TrustedRoot, verify_bundle};
    crate::attest::fuzz_parsers(data);
    let root = TrustedRoot::from_json(
        br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#,
    )
    .unwrap();
    let policy = Policy::Identity(IdentityPolicy::new(
        Matcher::Exact("a".into()),
        Matcher::Exact("b".into()),
    ));
    let now = rustls_pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(1 << 31));
    let _ = verify_bundle(data, Artifact::Bytes(b"x"), &root, &policy, now);
}

/// Sigstore `trusted_root.json` parsing.
#[cfg(feature = "attest")]
pub fn attest_trusted_root(data: &[u8]) {
    let _ = crate::attest::TrustedRoot::from_json(data);
}

/// A fuzz entry point.
pub type Target = fn(&[u8]);

/// Largest corpus file [`replay_corpus`] reads (a bound; corpus entries are small inputs).
pub const MAX_CORPUS_FILE_BYTES: u64 = 1 << 20;

/// Runs `target` on every file of a libFuzzer corpus directory, on the stable toolchain (the
/// corpus replay tests of this crate and of `pinset-ffi`); returns how many files ran. An
/// unreadable directory or file panics with its path.
pub fn replay_corpus(dir: &std::path::Path, target: Target) -> usize {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
    let mut n = 0;
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let data = crate::file::read_regular_file(&path, MAX_CORPUS_FILE_BYTES)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        target(&data);
        n += 1;
    }
    n
}

/// TUF metadata: strict JSON, every role's model, and the canonical form. A document that
/// parses re-parses from its pretty form to the same tree and the same canonical bytes.
pub fn tuf_metadata(data: &[u8]) {
    crate::update::fuzz_metadata(data);
}

/// All targets by name (for the corpus replay test).
pub const TARGETS: &[(&str, Target)] = &[
    ("manifest", manifest),
    ("certificate", certificate),
    ("evaluate", evaluate),
    #[cfg(feature = "generate")]
    ("nsc_import", nsc_import),
    #[cfg(feature = "generate")]
    ("okhttp_import", okhttp_import),
    ("http_message", http_message),
    ("signature", signature),
    #[cfg(feature = "attest")]
    ("attest_bundle", attest_bundle),
    #[cfg(feature = "attest")]
    ("attest_trusted_root", attest_trusted_root),
    ("tuf_metadata", tuf_metadata),
];
