//! Oracle: sigstore-python (PyPI `sigstore`, installed by `.ci/run` from
//! `tests/interop/requirements.txt`) verifies every fixture case offline with the same custom
//! trusted root; it must agree with pinset on accept/reject, except for the named differences,
//! which must really differ (so a change on either side is noticed). Fails, never skips, when
//! Python or the package is missing.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use pinset::attest::{
    Artifact, IdentityPolicy, Matcher, Policy, TrustedRoot, VerificationKey, verify_bundle,
};
use pinset_tests::sigstore::{self, Case, CasePolicy, Oracle};
use pinset_tests::write;
use rustls_pki_types::UnixTime;
use serde_json::{Value, json};

fn pinset_accepts(c: &Case) -> bool {
    let root = TrustedRoot::from_json(&serde_json::to_vec(&c.root).unwrap()).unwrap();
    let policy = match &c.policy {
        CasePolicy::Exact(s, i) | CasePolicy::Claims(s, i, _) => {
            // Claims are checked by the pinset-only tests; the oracle compares SAN and issuer.
            Policy::Identity(IdentityPolicy::new(
                Matcher::Exact(s.clone()),
                Matcher::Exact(i.clone()),
            ))
        }
        CasePolicy::Regex(s, i) => Policy::Identity(IdentityPolicy::new(
            Matcher::regex(s).unwrap(),
            Matcher::regex(i).unwrap(),
        )),
        CasePolicy::Key(Some(k)) => {
            Policy::Key(VerificationKey::from_pem_or_der(k.as_bytes()).unwrap())
        }
        CasePolicy::Key(None) => return false,
    };
    verify_bundle(
        &serde_json::to_vec(&c.bundle).unwrap(),
        Artifact::Bytes(&c.artifact),
        &root,
        &policy,
        UnixTime::now(),
    )
    .is_ok()
}

#[test]
fn sigstore_python_agrees_on_every_case() {
    let dir = tempfile::tempdir().unwrap();
    let cases = sigstore::cases();
    let mut listed = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let (san, issuer) = match &c.oracle {
            Oracle::Agrees(s, i) | Oracle::Differs(s, i, _) => (s, i),
            Oracle::NotApplicable(_) => continue,
        };
        let d = dir.path().join(format!("case{i}"));
        std::fs::create_dir(&d).unwrap();
        write(&d, "artifact", &c.artifact);
        write(&d, "bundle.json", serde_json::to_vec(&c.bundle).unwrap());
        write(
            &d,
            "trusted_root.json",
            serde_json::to_vec(&c.root).unwrap(),
        );
        listed.push(json!({"dir": format!("case{i}"), "san": san, "issuer": issuer}));
    }
    write(
        dir.path(),
        "cases.json",
        serde_json::to_vec(&listed).unwrap(),
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/sigstore_oracle.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("python3 is required (.ci/run installs it): {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "sigstore oracle failed (pip install -r tests/interop/requirements.txt):\n{stderr}"
    );
    let verdicts: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut report = Vec::new();
    let mut compared = 0;
    for (i, c) in cases.iter().enumerate() {
        let Some(v) = verdicts.get(format!("case{i}")).and_then(Value::as_str) else {
            continue;
        };
        compared += 1;
        let python = v == "accept";
        let ours = pinset_accepts(c);
        eprintln!(
            "{:55} pinset {:6} sigstore-python {v}",
            c.name,
            if ours { "accept" } else { "reject" }
        );
        assert_eq!(
            ours,
            c.expect.is_none(),
            "{}: pinset's own expectation",
            c.name
        );
        match &c.oracle {
            Oracle::Agrees(..) if python != ours => {
                report.push(format!("{}: pinset {ours}, sigstore-python {v}", c.name));
            }
            Oracle::Differs(.., why) if python == ours => {
                report.push(format!(
                    "{}: expected a difference ({why}), both say {ours} ({v})",
                    c.name
                ));
            }
            _ => {}
        }
    }
    assert!(compared >= 40, "only {compared} cases compared");
    assert!(report.is_empty(), "{}", report.join("\n"));
}
