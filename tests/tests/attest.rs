//! Sigstore bundle verification (`pinset::attest`) over fixtures made at test time
//! (`pinset_tests::sigstore`): every positive and negative case of the issue, each expected to
//! pass or to fail at a named step.
#![allow(clippy::unwrap_used, clippy::panic)]

use pinset::attest::{
    Artifact, AttestError, FulcioClaim, IdentityPolicy, Matcher, Policy, TrustedRoot,
    VerificationKey, verify_bundle,
};
use pinset_tests::sigstore::{
    self, ARTIFACT, Case, CasePolicy, IDENTITY, ISSUER, RootWindows, Spec, World,
};
use rustls_pki_types::UnixTime;
use serde_json::{Value, json};

fn policy(p: &CasePolicy) -> Policy {
    match p {
        CasePolicy::Exact(s, i) => Policy::Identity(IdentityPolicy::new(
            Matcher::Exact(s.clone()),
            Matcher::Exact(i.clone()),
        )),
        CasePolicy::Regex(s, i) => Policy::Identity(IdentityPolicy::new(
            Matcher::regex(s).unwrap(),
            Matcher::regex(i).unwrap(),
        )),
        CasePolicy::Claims(s, i, claims) => {
            let mut p = IdentityPolicy::new(Matcher::Exact(s.clone()), Matcher::Exact(i.clone()));
            p.claims = claims
                .iter()
                .map(|(n, v)| {
                    (
                        FulcioClaim::from_name(n).unwrap(),
                        Matcher::Exact(v.clone()),
                    )
                })
                .collect();
            Policy::Identity(p)
        }
        CasePolicy::Key(Some(pem)) => {
            Policy::Key(VerificationKey::from_pem_or_der(pem.as_bytes()).unwrap())
        }
        CasePolicy::Key(None) => unreachable!(),
    }
}

fn run(c: &Case) -> Result<pinset::attest::Verified, AttestError> {
    let root = TrustedRoot::from_json(&serde_json::to_vec(&c.root).unwrap()).unwrap();
    verify_bundle(
        &serde_json::to_vec(&c.bundle).unwrap(),
        Artifact::Bytes(&c.artifact),
        &root,
        &policy(&c.policy),
        UnixTime::now(),
    )
}

#[test]
fn every_case_meets_its_expectation() {
    let cases = sigstore::cases();
    assert!(cases.len() > 40, "{}", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let got = run(c);
        eprintln!(
            "{:60} {:?}",
            c.name,
            got.as_ref().map(|_| ()).map_err(ToString::to_string)
        );
        let ok = match (&got, c.expect) {
            (Ok(v), None) => {
                // What was verified is reported.
                v.artifact_sha256 == sigstore::sha256(&c.artifact)
                    && match &c.policy {
                        CasePolicy::Key(_) => v.identity.is_none() && v.authority.is_none(),
                        _ => {
                            v.identity.as_ref().is_some_and(|id| id.issuer == ISSUER)
                                && v.authority.is_some()
                        }
                    }
            }
            (Err(e), Some(step)) => e.step() == step,
            _ => false,
        };
        if !ok {
            failures.push(format!("{}: expected {:?}, got {got:?}", c.name, c.expect));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_verified_result_names_identity_log_and_time() {
    let t = sigstore::now() - 100;
    let w = World::new(t);
    let root = TrustedRoot::from_json(
        &serde_json::to_vec(&w.trusted_root(&RootWindows::around(t))).unwrap(),
    )
    .unwrap();
    let b = w.make(ARTIFACT, &Spec::new(t), |_| {}).bundle;
    let p = Policy::Identity(IdentityPolicy::new(
        Matcher::Exact(IDENTITY.into()),
        Matcher::Exact(ISSUER.into()),
    ));
    let v = verify_bundle(
        &serde_json::to_vec(&b).unwrap(),
        Artifact::Bytes(ARTIFACT),
        &root,
        &p,
        UnixTime::now(),
    )
    .unwrap();
    let id = v.identity.unwrap();
    assert_eq!((id.san.as_str(), id.issuer.as_str()), (IDENTITY, ISSUER));
    assert!(id.claims.contains(&(
        FulcioClaim::SourceRepositoryRef,
        "refs/tags/v1.4.0".to_owned()
    )));
    assert_eq!(
        (v.log_index, v.integrated_time, v.log.as_str()),
        (5, t, "https://rekor.test.invalid")
    );
    assert_eq!(v.kind, "hashedrekord");
    // Digest-only input: fine for DSSE, refused (asking for the bytes) for a message signature.
    let e = verify_bundle(
        &serde_json::to_vec(&b).unwrap(),
        Artifact::Sha256(sigstore::sha256(ARTIFACT)),
        &root,
        &p,
        UnixTime::now(),
    )
    .unwrap_err();
    assert_eq!(e.step(), "signature", "{e}");
    let d = w
        .make(
            ARTIFACT,
            &Spec {
                dsse: true,
                ..Spec::new(t)
            },
            |_| {},
        )
        .bundle;
    verify_bundle(
        &serde_json::to_vec(&d).unwrap(),
        Artifact::Sha256(sigstore::sha256(ARTIFACT)),
        &root,
        &p,
        UnixTime::now(),
    )
    .unwrap();
}

#[test]
fn malformed_inputs_are_input_errors() {
    let t = sigstore::now() - 100;
    let w = World::new(t);
    let root = TrustedRoot::from_json(
        &serde_json::to_vec(&w.trusted_root(&RootWindows::around(t))).unwrap(),
    )
    .unwrap();
    let good = w.make(ARTIFACT, &Spec::new(t), |_| {}).bundle;
    let p = Policy::Identity(IdentityPolicy::new(
        Matcher::Exact(IDENTITY.into()),
        Matcher::Exact(ISSUER.into()),
    ));
    let check = |bundle: &[u8], want: fn(&AttestError) -> bool| {
        let e = verify_bundle(
            bundle,
            Artifact::Bytes(ARTIFACT),
            &root,
            &p,
            UnixTime::now(),
        )
        .unwrap_err();
        assert!(want(&e) && e.is_input_error(), "{e:?}");
    };
    check(b"{not json", |e| matches!(e, AttestError::Bundle(_)));
    let mut b = good.clone();
    b["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.4");
    check(&serde_json::to_vec(&b).unwrap(), |e| {
        matches!(e, AttestError::MediaType(_))
    });
    let mut b = good.clone();
    b["messageSignature"]["signature"] = json!("!!!");
    check(
        &serde_json::to_vec(&b).unwrap(),
        |e| matches!(e, AttestError::Bundle(m) if m.contains("base64")),
    );
    let mut b = good.clone();
    b["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"] = json!("e30=");
    check(
        &serde_json::to_vec(&b).unwrap(),
        |e| matches!(e, AttestError::Bundle(m) if m.contains("body")),
    );
    let mut b = good.clone();
    b["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"] = json!("0.0.2");
    check(&serde_json::to_vec(&b).unwrap(), |e| {
        matches!(e, AttestError::UnsupportedEntry { .. })
    });
    // v0.3 with a chain, and two tlog entries, are structure errors.
    let mut b = good.clone();
    let cert = b["verificationMaterial"]["certificate"].take();
    b["verificationMaterial"]
        .as_object_mut()
        .unwrap()
        .remove("certificate");
    b["verificationMaterial"]["x509CertificateChain"] = json!({"certificates": [cert]});
    check(&serde_json::to_vec(&b).unwrap(), |e| {
        matches!(e, AttestError::Bundle(_))
    });
    let mut b = good.clone();
    let e0 = b["verificationMaterial"]["tlogEntries"][0].clone();
    b["verificationMaterial"]["tlogEntries"] = json!([e0.clone(), e0]);
    check(&serde_json::to_vec(&b).unwrap(), |e| {
        matches!(e, AttestError::Bundle(_))
    });
    // Both content kinds, two kinds of key material, an overlong proof.
    let mut b = good.clone();
    b["dsseEnvelope"] =
        json!({"payload": "e30=", "payloadType": "application/vnd.in-toto+json", "signatures": []});
    check(
        &serde_json::to_vec(&b).unwrap(),
        |e| matches!(e, AttestError::Bundle(m) if m.contains("both messageSignature and dsseEnvelope")),
    );
    let mut b = good.clone();
    b["verificationMaterial"]["publicKey"] = json!({"hint": "k"});
    check(
        &serde_json::to_vec(&b).unwrap(),
        |e| matches!(e, AttestError::Bundle(m) if m.contains("more than one kind of key material")),
    );
    let mut b = good.clone();
    let h = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["rootHash"].clone();
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"] =
        Value::Array(vec![h; 65]);
    check(
        &serde_json::to_vec(&b).unwrap(),
        |e| matches!(e, AttestError::Bundle(m) if m.contains("more than 64 hashes")),
    );
    check(&vec![b' '; (16 << 20) + 1], |e| {
        matches!(e, AttestError::TooLarge { .. })
    });
}

#[test]
fn trusted_root_errors_name_the_field() {
    let t = sigstore::now();
    let w = World::new(t);
    let good = w.trusted_root(&RootWindows::around(t));
    let err = |v: &serde_json::Value| {
        TrustedRoot::from_json(&serde_json::to_vec(v).unwrap())
            .unwrap_err()
            .to_string()
    };
    let mut r = good.clone();
    r["mediaType"] = json!("application/json");
    assert!(err(&r).contains("media type"));
    let mut r = good.clone();
    r["tlogs"][0]["publicKey"]["validFor"]["start"] = json!("yesterday");
    assert!(
        err(&r).contains("tlogs[0].publicKey: validFor.start"),
        "{}",
        err(&r)
    );
    let mut r = good.clone();
    r["tlogs"][0]["publicKey"]["keyDetails"] = json!("PKIX_ED25519");
    assert!(err(&r).contains("keyDetails"), "{}", err(&r));
    let mut r = good.clone();
    r["certificateAuthorities"][0]["certChain"]["certificates"] = json!([]);
    assert!(err(&r).contains("certificateAuthorities[0]"), "{}", err(&r));
    let mut r = good;
    r["certificateAuthorities"][0]["validFor"] =
        json!({"start": sigstore::rfc3339(t), "end": sigstore::rfc3339(t - 1)});
    assert!(err(&r).contains("ends before it starts"), "{}", err(&r));
}

#[test]
fn regexps_are_anchored() {
    let m = Matcher::regex(r"https://github\.com/example/.*").unwrap();
    assert!(m.matches("https://github.com/example/x"));
    assert!(!m.matches("https://evil.example/?https://github.com/example/x"));
    let m = Matcher::regex("a|b").unwrap();
    assert!(m.matches("a") && !m.matches("ab") && !m.matches("xb"));
    assert!(!Matcher::regex("(?m)^a$").unwrap().matches("a\nb"));
    assert!(Matcher::regex("(").is_err());
}

#[test]
fn manifest_attestations_round_trip_through_toml() {
    let src = format!(
        "version = 1\n[[domain]]\nname = \"tools.example.org\"\npins = [\"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", \"sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=\"]\n\
         [[attestation]]\nsubject = \"mcp \\\"tools\\\"\"\ntrusted_root = \"tr.json\"\nidentity = \"{IDENTITY}\"\nissuer_regexp = 'https://token\\.actions\\.githubusercontent\\.com'\nclaims = {{ source-repository-ref = \"refs/tags/v1.4.0\" }}\n\
         [[attestation]]\nsubject = \"keyed\"\ntrusted_root = \"tr.json\"\nkey = \"release.pub\"\n"
    );
    let m = pinset::Manifest::parse(&src, None).unwrap().manifest;
    assert_eq!(m.attestations.len(), 2);
    assert_eq!(
        m.attestations[0].signer,
        pinset::manifest::AttestationSigner::Certificate {
            identity: pinset::manifest::ValueMatch::Exact(IDENTITY.into()),
            issuer: pinset::manifest::ValueMatch::Regexp(
                r"https://token\.actions\.githubusercontent\.com".into()
            ),
            claims: vec![("source-repository-ref".into(), "refs/tags/v1.4.0".into())],
        }
    );
    let again = pinset::Manifest::parse(&m.to_toml(""), None)
        .unwrap()
        .manifest;
    assert_eq!(again.attestations, m.attestations);
    // The entry's policy verifies a bundle signed by that identity.
    let t = sigstore::now() - 100;
    let w = World::new(t);
    let root = TrustedRoot::from_json(
        &serde_json::to_vec(&w.trusted_root(&RootWindows::around(t))).unwrap(),
    )
    .unwrap();
    let b = w.make(ARTIFACT, &Spec::new(t), |_| {}).bundle;
    let p = m.attestations[0].policy(std::path::Path::new(".")).unwrap();
    verify_bundle(
        &serde_json::to_vec(&b).unwrap(),
        Artifact::Bytes(ARTIFACT),
        &root,
        &p,
        UnixTime::now(),
    )
    .unwrap();
}
