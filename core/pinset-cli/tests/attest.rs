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
