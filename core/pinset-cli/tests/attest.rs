//! `pinset attest verify`: every fixture case through the CLI (exit 0 / 1 / 2 as the issue
//! specifies), the printed result, input errors, cosign's flag names and help.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use pinset_tests::sigstore::{
    self, ARTIFACT, CasePolicy, IDENTITY, ISSUER, RootWindows, Spec, World,
};
use pinset_tests::write;

fn pinset(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pinset"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn identity_args(p: &CasePolicy, dir: &Path) -> Vec<String> {
    let s = |x: &str| x.to_owned();
    match p {
        CasePolicy::Exact(i, o) => vec![
            s("--certificate-identity"),
            i.clone(),
            s("--certificate-oidc-issuer"),
            o.clone(),
        ],
        CasePolicy::Regex(i, o) => vec![
            s("--certificate-identity-regexp"),
            i.clone(),
            s("--certificate-oidc-issuer-regexp"),
            o.clone(),
        ],
        CasePolicy::Claims(i, o, claims) => {
            let mut v = vec![
                s("--certificate-identity"),
                i.clone(),
                s("--certificate-oidc-issuer"),
                o.clone(),
            ];
            for (n, val) in claims {
                v.push(s("--certificate-claim"));
                v.push(format!("{n}={val}"));
            }
            v
        }
        CasePolicy::Key(Some(pem)) => {
            vec![s("--key"), write(dir, "key.pem", pem).display().to_string()]
        }
        CasePolicy::Key(None) => vec![],
    }
}

#[test]
fn every_case_exits_as_specified() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (i, c) in sigstore::cases().iter().enumerate() {
        let d = dir.path().join(format!("case{i}"));
        std::fs::create_dir(&d).unwrap();
        let file = write(&d, "server.bin", &c.artifact);
        let bundle = write(&d, "bundle.json", serde_json::to_vec(&c.bundle).unwrap());
        let root = write(
            &d,
            "trusted_root.json",
            serde_json::to_vec(&c.root).unwrap(),
        );
        let mut args = vec![
            "attest".to_owned(),
            "verify".to_owned(),
            file.display().to_string(),
        ];
        args.extend([
            "--bundle".to_owned(),
            bundle.display().to_string(),
            "--trusted-root".to_owned(),
            root.display().to_string(),
        ]);
        args.extend(identity_args(&c.policy, &d));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = pinset(&args);
        let want = match c.expect {
            None => 0,
            Some("input" | "bundle" | "trusted root") => 2,
            Some(_) => 1,
        };
        let says_step = match c.expect {
            None => out.starts_with("Verified OK"),
            Some(step) if want == 1 => err.contains(&format!("failed at step \"{step}\"")),
            Some(_) => err.starts_with("pinset: "),
        };
        if code != want || !says_step {
            failures.push(format!("{}: exit {code} (want {want})\n{out}{err}", c.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn success_prints_identity_log_index_and_time() {
    let t = sigstore::now() - 100;
    let w = World::new(t);
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "server.bin", ARTIFACT);
    let bundle = write(
        dir.path(),
        "b.json",
        serde_json::to_vec(&w.make(ARTIFACT, &Spec::new(t), |_| {}).bundle).unwrap(),
    );
    let root = write(
        dir.path(),
        "tr.json",
        serde_json::to_vec(&w.trusted_root(&RootWindows::around(t))).unwrap(),
    );
    let (f, b, r) = (
        file.display().to_string(),
        bundle.display().to_string(),
        root.display().to_string(),
    );
    let base = ["attest", "verify", &f, "--bundle", &b, "--trusted-root", &r];
    let (code, out, err) = pinset(
        &[
            &base[..],
            &[
                "--certificate-identity",
                IDENTITY,
                "--certificate-oidc-issuer",
                ISSUER,
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("identity   {IDENTITY}")), "{out}");
    assert!(out.contains(&format!("issuer     {ISSUER}")), "{out}");
    assert!(
        out.contains("log        https://rekor.test.invalid index 5"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "time       {} (signed entry timestamp)",
            sigstore::rfc3339(t)
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "sha256     {}",
            sigstore::hex(&sigstore::sha256(ARTIFACT))
        )),
        "{out}"
    );

    // Usage errors: exit 2.
    for extra in [
        &["--certificate-oidc-issuer", ISSUER][..],
        &["--certificate-identity", IDENTITY],
        &[
            "--certificate-identity",
            IDENTITY,
            "--certificate-identity-regexp",
            ".*",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        &[
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
            "--certificate-claim",
            "color=blue",
        ],
        &[
            "--certificate-identity-regexp",
            "(",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
    ] {
        let (code, _, err) = pinset(&[&base[..], extra].concat());
        assert_eq!(code, 2, "{extra:?}: {err}");
    }
    // Missing and unreadable files: exit 2 with the path.
    let (code, _, err) = pinset(&[
        "attest",
        "verify",
        "/nonexistent/server.bin",
        "--bundle",
        &b,
        "--trusted-root",
        &r,
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/server.bin"), "{err}");
    let bad = write(dir.path(), "bad.json", "{\"mediaType\": 1}");
    let bad = bad.display().to_string();
    for (bundle, root) in [(bad.as_str(), r.as_str()), (b.as_str(), bad.as_str())] {
        let (code, _, err) = pinset(&[
            "attest",
            "verify",
            &f,
            "--bundle",
            bundle,
            "--trusted-root",
            root,
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(&bad), "{err}");
    }
}

/// A real bundle from the Sigstore staging instance, with its artifact and the staging trusted
/// root sigstore-python ships, as files (`tests/data/sigstore-public/README.md`): exit 0 with the
/// log's facts, 1 for a wrong identity or a flipped byte of the artifact.
#[test]
fn real_staging_bundle_through_the_cli() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sigstore-public");
    let path = |n: &str| data.join(n).display().to_string();
    let (wheel, bundle, root) = (
        path("rfc8785-0.1.2-py3-none-any.whl"),
        path("rfc8785-0.1.2-py3-none-any.whl.sigstore"),
        path("trusted_root.staging.json"),
    );
    let run = |file: &str, identity: &str| {
        pinset(&[
            "attest",
            "verify",
            file,
            "--bundle",
            &bundle,
            "--trusted-root",
            &root,
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            "https://github.com/login/oauth",
        ])
    };
    let (code, out, err) = run(&wheel, "william@yossarian.net");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("log        https://rekor.sigstage.dev index 28175749"),
        "{out}"
    );
    assert!(
        out.contains("time       2024-06-06T18:39:05Z (signed entry timestamp)"),
        "{out}"
    );
    assert!(out.contains("bundle     v0.3 dsse"), "{out}");

    let (code, _, err) = run(&wheel, "someone@example.com");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("identity"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(&wheel).unwrap();
    bytes[100] ^= 0x01;
    let flipped = write(dir.path(), "rfc8785-0.1.2-py3-none-any.whl", &bytes);
    let (code, _, err) = run(&flipped.display().to_string(), "william@yossarian.net");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("signature"), "{err}");
}

#[test]
fn help_reads_like_cosign_and_states_the_phase() {
    let (code, out, _) = pinset(&["attest", "verify", "--help"]);
    assert_eq!(code, 0);
    for flag in [
        "--bundle <BUNDLE>",
        "--trusted-root <TRUSTED_ROOT>",
        "--certificate-identity <IDENTITY>",
        "--certificate-identity-regexp <REGEXP>",
        "--certificate-oidc-issuer <ISSUER>",
        "--certificate-oidc-issuer-regexp <REGEXP>",
        "--key <PEM>",
    ] {
        assert!(out.contains(flag), "{flag}\n{out}");
    }
    assert!(out.contains("Never touches the network"), "{out}");
    assert!(out.contains("embedded SCTs"), "{out}");
    assert!(out.contains("RFC 3161"), "{out}");
}

/// A manifest directory with a real trusted root, a key, a signed artifact and its bundle.
struct ManifestWorld {
    dir: tempfile::TempDir,
    file: String,
    bundle: String,
    key_bundle: String,
}

const PIN_DOMAIN: &str = "version = 1\n[[domain]]\nname = \"tools.example.org\"\npins = [\"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", \"sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=\"]\n";

impl ManifestWorld {
    fn new() -> Self {
        let t = sigstore::now() - 100;
        let w = World::new(t);
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sigstore")).unwrap();
        write(
            &dir.path().join("sigstore"),
            "trusted_root.json",
            serde_json::to_vec(&w.trusted_root(&RootWindows::around(t))).unwrap(),
        );
        let mut empty = w.trusted_root(&RootWindows::around(t));
        empty["certificateAuthorities"] = serde_json::json!([]);
        write(
            dir.path(),
            "no_ca.json",
            serde_json::to_vec(&empty).unwrap(),
        );
        write(dir.path(), "not_json.json", "{");
        let file = write(dir.path(), "server.bin", ARTIFACT)
            .display()
            .to_string();
        let bundle = write(
            dir.path(),
            "server.bin.sigstore.json",
            serde_json::to_vec(&w.make(ARTIFACT, &Spec::new(t), |_| {}).bundle).unwrap(),
        )
        .display()
        .to_string();
        let keyed = w.make(
            ARTIFACT,
            &Spec {
                key_based: true,
                ..Spec::new(t)
            },
            |_| {},
        );
        write(dir.path(), "release.pub", keyed.signer.public_pem());
        let key_bundle = write(
            dir.path(),
            "key.sigstore.json",
            serde_json::to_vec(&keyed.bundle).unwrap(),
        )
        .display()
        .to_string();
        Self {
            dir,
            file,
            bundle,
            key_bundle,
        }
    }

    fn manifest(&self, attestation: &str) -> String {
        write(
            self.dir.path(),
            "pins.toml",
            format!("{PIN_DOMAIN}\n{attestation}"),
        )
        .display()
        .to_string()
    }
}

fn keyless_entry(extra: &str) -> String {
    format!(
        "[[attestation]]\nsubject = \"mcp-tools-server\"\ntrusted_root = \"sigstore/trusted_root.json\"\nidentity = \"{IDENTITY}\"\nissuer = \"{ISSUER}\"\n{extra}"
    )
}

#[test]
fn manifest_attestations_are_checked_and_used() {
    let m = ManifestWorld::new();
    // Valid entries: keyless with claims, regexps, key-based.
    let ok = m.manifest(&keyless_entry("claims = { source-repository-ref = \"refs/tags/v1.4.0\", source-repository-uri = \"https://github.com/example/mcp-tools\" }\n"));
    let (code, out, err) = pinset(&["check", &ok]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = pinset(&[
        "attest",
        "verify",
        &m.file,
        "--bundle",
        &m.bundle,
        "--manifest",
        &ok,
        "--subject",
        "mcp-tools-server",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("identity   {IDENTITY}")), "{out}");
    let (code, _, err) = pinset(&[
        "attest",
        "verify",
        &m.file,
        "--bundle",
        &m.bundle,
        "--manifest",
        &ok,
        "--subject",
        "other",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no [[attestation]] with subject 'other'"),
        "{err}"
    );
    // The manifest's claims are enforced.
    let wrong_ref = m.manifest(&keyless_entry(
        "claims = { source-repository-ref = \"refs/heads/main\" }\n",
    ));
    let (code, _, err) = pinset(&[
        "attest",
        "verify",
        &m.file,
        "--bundle",
        &m.bundle,
        "--manifest",
        &wrong_ref,
        "--subject",
        "mcp-tools-server",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("failed at step \"identity\""), "{err}");
    let regexps = m.manifest("[[attestation]]\nsubject = \"s\"\ntrusted_root = \"sigstore/trusted_root.json\"\nidentity_regexp = 'https://github\\.com/example/mcp-tools/.*'\nissuer_regexp = 'https://token\\.actions\\.githubusercontent\\.com'\n");
    assert_eq!(pinset(&["check", &regexps]).0, 0);
    assert_eq!(
        pinset(&[
            "attest",
            "verify",
            &m.file,
            "--bundle",
            &m.bundle,
            "--manifest",
            &regexps,
            "--subject",
            "s"
        ])
        .0,
        0
    );
    let keyed = m.manifest("[[attestation]]\nsubject = \"k\"\ntrusted_root = \"sigstore/trusted_root.json\"\nkey = \"release.pub\"\n");
    assert_eq!(pinset(&["check", &keyed]).0, 0);
    let (code, out, err) = pinset(&[
        "attest",
        "verify",
        &m.file,
        "--bundle",
        &m.key_bundle,
        "--manifest",
        &keyed,
        "--subject",
        "k",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // The manifest replaces the flags: mixing them is a usage error.
    assert_eq!(
        pinset(&[
            "attest",
            "verify",
            &m.file,
            "--bundle",
            &m.bundle,
            "--manifest",
            &ok,
            "--subject",
            "mcp-tools-server",
            "--certificate-identity",
            IDENTITY
        ])
        .0,
        2
    );
}

#[test]
fn manifest_attestation_errors_have_positions() {
    let m = ManifestWorld::new();
    let root = "trusted_root = \"sigstore/trusted_root.json\"\n";
    for (entry, line, message) in [
        (format!("[[attestation]]\nsubject = \"s\"\n{root}issuer = \"{ISSUER}\"\n"), 6, "missing `identity` (or `identity_regexp`)"),
        (format!("[[attestation]]\nsubject = \"s\"\n{root}identity = \"{IDENTITY}\"\n"), 6, "missing `issuer` (or `issuer_regexp`)"),
        (keyless_entry("identity_regexp = \"x\"\n"), 11, "`identity` and `identity_regexp` are exclusive"),
        (format!("[[attestation]]\nsubject = \"s\"\n{root}identity_regexp = \"(\"\nissuer = \"{ISSUER}\"\n"), 9, "invalid regular expression"),
        (keyless_entry("claims = { colour = \"blue\" }\n"), 11, "unknown Fulcio claim 'colour'"),
        (keyless_entry("claims = { source-repository-ref = \"\" }\n"), 11, "empty value for claim"),
        (format!("{}\n{}", keyless_entry(""), keyless_entry("")), 13, "duplicate attestation subject 'mcp-tools-server'"),
        (format!("[[attestation]]\nsubject = \"s\"\n{root}key = \"release.pub\"\nidentity = \"{IDENTITY}\"\n"), 10, "`identity` does not apply with `key`"),
        (format!("[[attestation]]\nsubject = \"s\"\n{root}key = \"missing.pub\"\n"), 9, "key: cannot read"),
        (format!("[[attestation]]\nsubject = \"s\"\n{root}key = \"not_json.json\"\n"), 9, "key:"),
        ("[[attestation]]\nsubject = \"s\"\ntrusted_root = \"missing.json\"\nkey = \"release.pub\"\n".to_owned(), 8, "trusted_root: cannot read"),
        ("[[attestation]]\nsubject = \"s\"\ntrusted_root = \"not_json.json\"\nkey = \"release.pub\"\n".to_owned(), 8, "trusted_root: trusted root: not a Sigstore trusted root"),
        (format!("[[attestation]]\nsubject = \"s\"\ntrusted_root = \"no_ca.json\"\nidentity = \"{IDENTITY}\"\nissuer = \"{ISSUER}\"\n"), 8, "lists no certificate authority"),
        (format!("[[attestation]]\nsubject = \" \"\n{root}key = \"release.pub\"\n"), 7, "attestation subject must be a non-empty name"),
        (format!("[[attestation]]\nsubject = \"s\"\n{root}key = \"release.pub\"\ncolour = 1\n"), 10, "unknown field `colour`"),
        (format!("[[attestation]]\n{root}key = \"release.pub\"\n"), 6, "missing field `subject`"),
    ] {
        let p = m.manifest(&entry);
        let (code, _, err) = pinset(&["check", &p]);
        assert_eq!(code, 1, "{entry}\n{err}");
        let at = format!("{p}:{line}:");
        assert!(err.lines().any(|l| l.starts_with(&at) && l.contains(message)), "want {at} … {message}\n{entry}\n{err}");
    }
}
