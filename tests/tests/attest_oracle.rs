//! Oracle: sigstore-python (PyPI `sigstore`, installed by `.ci/run` from
//! `tests/interop/requirements.txt`) verifies every fixture case offline with the same custom
//! trusted root; it must agree with pinset on accept/reject, except for the named differences,
//! which must really differ (so a change on either side is noticed). Fails, never skips, when
//! Python or the package is missing.
#![allow(clippy::unwrap_used, clippy::panic)]

use pinset::attest::{
    Artifact, IdentityPolicy, Matcher, Policy, TrustedRoot, VerificationKey, verify_bundle,
};
use pinset_tests::sigstore::{self, Case, CasePolicy, Oracle, OracleInput};
use rustls_pki_types::UnixTime;

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
    let cases = sigstore::cases();
    let roots: Vec<Vec<u8>> = cases
        .iter()
        .map(|c| serde_json::to_vec(&c.root).unwrap())
        .collect();
    let inputs: Vec<Option<OracleInput<'_>>> = cases
        .iter()
        .zip(&roots)
        .map(|(c, root)| match &c.oracle {
            Oracle::Agrees(san, issuer) | Oracle::Differs(san, issuer, _) => Some(OracleInput {
                artifact: &c.artifact,
                bundle: &c.bundle,
                trusted_root: root,
                san,
                issuer,
                sct: false,
            }),
            Oracle::NotApplicable(_) => None,
        })
        .collect();
    let verdicts = sigstore::sigstore_python(&inputs);
    let mut report = Vec::new();
    let mut compared = 0;
    for (c, v) in cases.iter().zip(&verdicts) {
        let Some(v) = v else {
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
