//! Real-world bundles: PyPI PEP 740 attestations logged on the Sigstore public-good instance and
//! a bundle from the staging instance, each with its artifact, verified offline against the
//! trusted roots sigstore-python 4.5.1 ships (files and origin: `tests/data/sigstore-public/`).
//! pinset must accept them with the right identity and issuer, refuse a wrong identity, a wrong
//! trust root, a flipped byte of the artifact and tampered log material, and sigstore-python (all
//! its checks on, embedded SCTs included) must reach the same verdict on every one of these cases.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use pinset::attest::{
    Artifact, AttestError, BundleVersion, FulcioClaim, IdentityPolicy, Matcher, Policy,
    TrustedRoot, Verified, verify_bundle,
};
use pinset_tests::sigstore::{OracleInput, sha256, sigstore_python};
use rustls_pki_types::UnixTime;
use serde_json::{Value, json};

const GH_ISSUER: &str = "https://token.actions.githubusercontent.com";
const GH_IDENTITY: &str = "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19";
const STAGING_IDENTITY: &str = "william@yossarian.net";
const STAGING_ISSUER: &str = "https://github.com/login/oauth";
const SDIST: &str = "pypi_attestations-0.0.19.tar.gz";
const WHEEL: &str = "rfc8785-0.1.2-py3-none-any.whl";
const PUBLIC_GOOD: &str = "trusted_root.public-good.json";
const STAGING: &str = "trusted_root.staging.json";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sigstore-public")
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A PEP 740 attestation reshaped into a Sigstore bundle v0.3, field for field, as
/// `pypi-attestations` does (`Attestation.to_bundle`); nothing signed is re-encoded.
fn pep740_bundle(attestation: &[u8]) -> Value {
    let a: Value = serde_json::from_slice(attestation).unwrap();
    let vm = &a["verification_material"];
    json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": vm["certificate"]},
            "tlogEntries": vm["transparency_entries"],
        },
        "dsseEnvelope": {
            "payload": a["envelope"]["statement"],
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": a["envelope"]["signature"]}],
        },
    })
}

fn publish_bundle() -> Value {
    pep740_bundle(&data(&format!("{SDIST}.publish.attestation")))
}

fn slsa_bundle() -> Value {
    pep740_bundle(&data(&format!("{SDIST}.slsa.attestation")))
}

fn staging_bundle() -> Value {
    serde_json::from_slice(&data(&format!("{WHEEL}.sigstore"))).unwrap()
}

fn root(name: &str) -> TrustedRoot {
    TrustedRoot::from_json(&data(name)).unwrap()
}

fn exact(san: &str, issuer: &str) -> Policy {
    Policy::Identity(IdentityPolicy::new(
        Matcher::Exact(san.into()),
        Matcher::Exact(issuer.into()),
    ))
}

fn verify_at(
    bundle: &Value,
    artifact: &[u8],
    root_file: &str,
    policy: &Policy,
    now: UnixTime,
) -> Result<Verified, AttestError> {
    verify_bundle(
        &serde_json::to_vec(bundle).unwrap(),
        Artifact::Bytes(artifact),
        &root(root_file),
        policy,
        now,
    )
}

fn verify(
    bundle: &Value,
    artifact: &[u8],
    root_file: &str,
    policy: &Policy,
) -> Result<Verified, AttestError> {
    verify_at(bundle, artifact, root_file, policy, UnixTime::now())
}

fn flip_b64(v: &mut Value, byte: usize) {
    let mut raw = B64.decode(v.as_str().unwrap()).unwrap();
    raw[byte] ^= 0x01;
    *v = Value::String(B64.encode(raw));
}

fn flip_byte(data: &[u8], at: usize) -> Vec<u8> {
    let mut d = data.to_vec();
    d[at] ^= 0x01;
    d
}

/// One real-data case: pinset's expected verdict (`None` = accept, else the failing step), and
/// the same inputs for sigstore-python.
struct Case {
    name: &'static str,
    bundle: Value,
    artifact: Vec<u8>,
    root: &'static str,
    san: &'static str,
    issuer: &'static str,
    expect: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let sdist = data(SDIST);
    let wheel = data(WHEEL);
    let case = |name, bundle, artifact: &Vec<u8>, root, san, issuer, expect| Case {
        name,
        bundle,
        artifact: artifact.clone(),
        root,
        san,
        issuer,
        expect,
    };
    let mut out = vec![
        case(
            "public-good: PyPI publish attestation",
            publish_bundle(),
            &sdist,
            PUBLIC_GOOD,
            GH_IDENTITY,
            GH_ISSUER,
            None,
        ),
        case(
            "public-good: PyPI SLSA provenance attestation",
            slsa_bundle(),
            &sdist,
            PUBLIC_GOOD,
            GH_IDENTITY,
            GH_ISSUER,
            None,
        ),
        case(
            "staging: sigstore bundle v0.3",
            staging_bundle(),
            &wheel,
            STAGING,
            STAGING_IDENTITY,
            STAGING_ISSUER,
            None,
        ),
        case(
            "public-good: another release's workflow identity",
            publish_bundle(),
            &sdist,
            PUBLIC_GOOD,
            "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.18",
            GH_ISSUER,
            Some("identity"),
        ),
        case(
            "public-good: another repository's identity",
            publish_bundle(),
            &sdist,
            PUBLIC_GOOD,
            "https://github.com/pypa/sampleproject/.github/workflows/release.yml@refs/tags/v0.0.19",
            GH_ISSUER,
            Some("identity"),
        ),
        case(
            "public-good: another OIDC issuer",
            publish_bundle(),
            &sdist,
            PUBLIC_GOOD,
            GH_IDENTITY,
            "https://gitlab.com",
            Some("identity"),
        ),
        case(
            "staging: another identity",
            staging_bundle(),
            &wheel,
            STAGING,
            "someone@example.com",
            STAGING_ISSUER,
            Some("identity"),
        ),
        case(
            "public-good bundle against the staging root",
            publish_bundle(),
            &sdist,
            STAGING,
            GH_IDENTITY,
            GH_ISSUER,
            Some("transparency log"),
        ),
        case(
            "staging bundle against the public-good root",
            staging_bundle(),
            &wheel,
            PUBLIC_GOOD,
            STAGING_IDENTITY,
            STAGING_ISSUER,
            Some("transparency log"),
        ),
        case(
            "the staging wheel with the public-good sdist's attestation",
            publish_bundle(),
            &wheel,
            PUBLIC_GOOD,
            GH_IDENTITY,
            GH_ISSUER,
            Some("signature"),
        ),
    ];
    for (name, at) in [
        ("public-good: artifact with its first byte flipped", 0),
        (
            "public-good: artifact with a middle byte flipped",
            sdist.len() / 2,
        ),
        (
            "public-good: artifact with its last byte flipped",
            sdist.len() - 1,
        ),
    ] {
        out.push(Case {
            name,
            bundle: publish_bundle(),
            artifact: flip_byte(&sdist, at),
            root: PUBLIC_GOOD,
            san: GH_IDENTITY,
            issuer: GH_ISSUER,
            expect: Some("signature"),
        });
    }
    out.push(Case {
        name: "staging: wheel with a flipped byte",
        bundle: staging_bundle(),
        artifact: flip_byte(&wheel, wheel.len() / 3),
        root: STAGING,
        san: STAGING_IDENTITY,
        issuer: STAGING_ISSUER,
        expect: Some("signature"),
    });
    // Tampered log material and signatures of the real bundle.
    let tamper = |name, expect, f: &dyn Fn(&mut Value)| {
        let mut b = publish_bundle();
        f(&mut b);
        Case {
            name,
            bundle: b,
            artifact: sdist.clone(),
            root: PUBLIC_GOOD,
            san: GH_IDENTITY,
            issuer: GH_ISSUER,
            expect: Some(expect),
        }
    };
    out.push(tamper(
        "public-good: DSSE signature with a flipped byte",
        "log entry body",
        &|b| flip_b64(&mut b["dsseEnvelope"]["signatures"][0]["sig"], 10),
    ));
    out.push(tamper(
        "public-good: signed entry timestamp with a flipped byte",
        "signed entry timestamp",
        &|b| {
            let e = entry(b);
            flip_b64(&mut e["inclusionPromise"]["signedEntryTimestamp"], 20);
        },
    ));
    out.push(tamper(
        "public-good: inclusion proof hash with a flipped byte",
        "inclusion proof",
        &|b| {
            let e = entry(b);
            flip_b64(&mut e["inclusionProof"]["hashes"][0], 5);
        },
    ));
    out.push(tamper(
        "public-good: log index moved by one",
        "signed entry timestamp",
        &|b| {
            let e = entry(b);
            let i: i64 = e["logIndex"].as_str().unwrap().parse().unwrap();
            e["logIndex"] = Value::String((i + 1).to_string());
        },
    ));
    out.push(tamper(
        "public-good: integrated time moved by one second",
        "signed entry timestamp",
        &|b| {
            let e = entry(b);
            let t: i64 = e["integratedTime"].as_str().unwrap().parse().unwrap();
            e["integratedTime"] = Value::String((t - 1).to_string());
        },
    ));
    out.push(tamper(
        "public-good: checkpoint signature with a flipped byte",
        "checkpoint",
        &|b| {
            let e = entry(b);
            let cp = e["inclusionProof"]["checkpoint"]["envelope"]
                .as_str()
                .unwrap()
                .to_owned();
            // The last line is `— <origin> <base64 key hint + signature>`.
            let (head, sig) = cp.trim_end().rsplit_once(' ').unwrap();
            let mut raw = B64.decode(sig).unwrap();
            let n = raw.len();
            raw[n - 3] ^= 0x01;
            e["inclusionProof"]["checkpoint"]["envelope"] =
                Value::String(format!("{head} {}\n", B64.encode(raw)));
        },
    ));
    out.push(tamper(
        "public-good: the SLSA attestation's certificate in the publish bundle",
        "log entry body",
        &|b| {
            b["verificationMaterial"]["certificate"] =
                slsa_bundle()["verificationMaterial"]["certificate"].clone();
        },
    ));
    out
}

/// The bundle's one transparency-log entry.
fn entry(b: &mut Value) -> &mut Value {
    &mut b["verificationMaterial"]["tlogEntries"][0]
}

#[test]
fn real_bundles_meet_their_expectations() {
    let mut failures = Vec::new();
    for c in cases() {
        let got = verify(&c.bundle, &c.artifact, c.root, &exact(c.san, c.issuer));
        eprintln!(
            "{:70} {:?}",
            c.name,
            got.as_ref().map(|_| ()).map_err(ToString::to_string)
        );
        match (&got, c.expect) {
            (Ok(v), None) => assert_eq!(v.artifact_sha256, sha256(&c.artifact), "{}", c.name),
            (Err(e), Some(step)) if e.step() == step => {}
            _ => failures.push(format!("{}: expected {:?}, got {got:?}", c.name, c.expect)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pypi_attestation_reports_what_the_log_and_certificate_say() {
    let v = verify(
        &publish_bundle(),
        &data(SDIST),
        PUBLIC_GOOD,
        &exact(GH_IDENTITY, GH_ISSUER),
    )
    .unwrap();
    assert_eq!(v.version, BundleVersion::V0_3);
    assert_eq!(v.kind, "dsse");
    assert_eq!(v.log, "https://rekor.sigstore.dev");
    assert_eq!(v.log_index, 153_454_663);
    assert_eq!(v.integrated_time, 1_733_354_041);
    assert_eq!(v.time_rfc3339(), "2024-12-04T23:14:01Z");
    assert_eq!(v.authority.as_deref(), Some("https://fulcio.sigstore.dev"));
    let id = v.identity.unwrap();
    assert_eq!(id.san, GH_IDENTITY);
    assert_eq!(id.issuer, GH_ISSUER);
    let claim = |c| {
        id.claims
            .iter()
            .find(|(n, _)| *n == c)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        claim(FulcioClaim::from_name("source-repository-uri").unwrap()),
        Some("https://github.com/trailofbits/pypi-attestations")
    );
    assert_eq!(
        claim(FulcioClaim::from_name("source-repository-ref").unwrap()),
        Some("refs/tags/v0.0.19")
    );
    // The DSSE statement binds the digest: the digest alone is enough.
    let by_digest = verify_bundle(
        &serde_json::to_vec(&publish_bundle()).unwrap(),
        Artifact::Sha256(sha256(&data(SDIST))),
        &root(PUBLIC_GOOD),
        &exact(GH_IDENTITY, GH_ISSUER),
        UnixTime::now(),
    )
    .unwrap();
    assert_eq!(by_digest.log_index, v.log_index);
}

#[test]
fn the_certificate_is_checked_at_the_entry_time_not_today() {
    // The Fulcio leaf was valid for ten minutes from 2024-12-04T23:14:01Z; it verifies today
    // because validity is checked at the signed entry timestamp's time. A clock earlier than that
    // time makes the entry one from the future, which is refused.
    let (b, a, p) = (publish_bundle(), data(SDIST), exact(GH_IDENTITY, GH_ISSUER));
    let at = |secs| UnixTime::since_unix_epoch(Duration::from_secs(secs));
    assert!(verify_at(&b, &a, PUBLIC_GOOD, &p, at(1_733_354_041)).is_ok());
    assert!(verify_at(&b, &a, PUBLIC_GOOD, &p, at(1_733_354_041 + 86_400 * 365)).is_ok());
    let early = verify_at(&b, &a, PUBLIC_GOOD, &p, at(1_733_354_040)).unwrap_err();
    assert_eq!(early.step(), "time", "{early}");
}

#[test]
fn regexp_and_claim_policies_on_real_certificates() {
    let (b, a) = (publish_bundle(), data(SDIST));
    let regexp = |san: &str, issuer: &str| {
        Policy::Identity(IdentityPolicy::new(
            Matcher::regex(san).unwrap(),
            Matcher::regex(issuer).unwrap(),
        ))
    };
    let with_claim = |name: &str, value: &str| {
        let mut p = IdentityPolicy::new(
            Matcher::Exact(GH_IDENTITY.into()),
            Matcher::Exact(GH_ISSUER.into()),
        );
        p.claims = vec![(
            FulcioClaim::from_name(name).unwrap(),
            Matcher::Exact(value.into()),
        )];
        Policy::Identity(p)
    };
    let any_release = r"https://github\.com/trailofbits/pypi-attestations/\.github/workflows/release\.yml@refs/tags/v.*";
    // (what, policy, `None` = accepted, else the step that refuses)
    let cases = [
        (
            "regexp SAN and issuer",
            regexp(
                any_release,
                r"https://token\.actions\.githubusercontent\.com",
            ),
            None,
        ),
        // pinset anchors the expression: a substring that would match unanchored does not.
        (
            "unanchored SAN substring",
            regexp("trailofbits/pypi-attestations", ".*"),
            Some("identity"),
        ),
        (
            "unanchored issuer prefix",
            regexp(any_release, "https://token"),
            Some("identity"),
        ),
        (
            "source-repository-uri claim",
            with_claim(
                "source-repository-uri",
                "https://github.com/trailofbits/pypi-attestations",
            ),
            None,
        ),
        (
            "build-trigger claim",
            with_claim("build-trigger", "release"),
            None,
        ),
        (
            "wrong source-repository-ref claim",
            with_claim("source-repository-ref", "refs/heads/main"),
            Some("identity"),
        ),
    ];
    for (what, policy, expect) in cases {
        let got = verify(&b, &a, PUBLIC_GOOD, &policy);
        assert_eq!(
            got.as_ref().err().map(AttestError::step),
            expect,
            "{what}: {got:?}"
        );
    }
}

/// sigstore-python verifies every case above, offline, with every check it has (SCTs included);
/// it must reach pinset's verdict on each. Fails, never skips, without Python or the package.
#[test]
fn sigstore_python_agrees_on_the_real_bundles() {
    let cases = cases();
    let roots: Vec<Vec<u8>> = cases.iter().map(|c| data(c.root)).collect();
    let inputs: Vec<Option<OracleInput<'_>>> = cases
        .iter()
        .zip(&roots)
        .map(|(c, root)| {
            Some(OracleInput {
                artifact: &c.artifact,
                bundle: &c.bundle,
                trusted_root: root,
                san: c.san,
                issuer: c.issuer,
                sct: true,
            })
        })
        .collect();
    let verdicts = sigstore_python(&inputs);
    let mut report = Vec::new();
    for (c, v) in cases.iter().zip(verdicts) {
        let v = v.unwrap();
        let ours = verify(&c.bundle, &c.artifact, c.root, &exact(c.san, c.issuer)).is_ok();
        eprintln!("{:70} pinset {ours:5} sigstore-python {v}", c.name);
        assert_eq!(ours, c.expect.is_none(), "{}", c.name);
        if ours != (v == "accept") {
            report.push(format!("{}: pinset {ours}, sigstore-python {v}", c.name));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}
