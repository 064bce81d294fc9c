//! go-spiffe as the oracle for pinset's X.509-SVID and bundle rules: the same DER chains and
//! bundle documents go through go-spiffe v2.9.0 (`x509svid.ParseAndVerify`,
//! `spiffebundle.Parse`, the Go program in `tests/spiffe-oracle/`) and through pinset. They must
//! agree on every case except the divergences named below, where pinset follows the SPIFFE
//! specification and go-spiffe does not.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine as _;
use pinset::spiffe::{
    Bundle, BundleSet, IdMatcher, SvidUsage, TrustDomain, leaf_spiffe_id, verify_svid,
};
use pinset_tests::Cert;
use pinset_tests::rcgen::{BasicConstraints, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose};
use pinset_tests::svid::{
    LeafSpec, jwks, svid, svid_ca, svid_intermediate, svid_leaf, x509_svid_jwk,
};
use rustls_pki_types::{CertificateDer, UnixTime};
use serde_json::{Value, json};

const TD: &str = "mcp.example.org";
const ID: &str = "spiffe://mcp.example.org/ns/prod/sa/tools";

/// Where go-spiffe accepts and pinset refuses, by case name, with the reason.
const DIVERGENCES: &[(&str, &str)] = &[
    (
        "leaf-without-path",
        "go-spiffe's Verify does not require a leaf path (X509-SVID §5.2 does)",
    ),
    (
        "no-key-usage",
        "go-spiffe does not require keyUsage (X509-SVID §4.3: MUST be set)",
    ),
    (
        "key-usage-not-critical",
        "go-spiffe does not require keyUsage to be critical (§4.3)",
    ),
    (
        "no-digital-signature",
        "go-spiffe does not require digitalSignature (§4.3)",
    ),
    (
        "no-basic-constraints",
        "go-spiffe does not require basicConstraints (§4.1: cA MUST be false)",
    ),
    (
        "eku-client-auth-only",
        "go-spiffe verifies with ExtKeyUsageAny; webpki requires serverAuth if EKU is present",
    ),
    (
        "id-longer-than-2048",
        "go-spiffe has no length limit (SPIFFE-ID §2.3)",
    ),
    (
        "uppercase-scheme",
        "Go's url.Parse lowercases a URI SAN's scheme before go-spiffe's FromString sees it, so \
         go-spiffe refuses 'SPIFFE://' in strings but accepts it in certificates; pinset refuses both",
    ),
    (
        "uri-name-constrained-ca",
        "Go's x509 evaluates URI name constraints; webpki refuses every CA with them",
    ),
    (
        "bundle-kid-on-x509-key",
        "go-spiffe does not refuse kid on x509-svid keys (X509-SVID §6.1: MUST NOT be set)",
    ),
    (
        "bundle-duplicate-member",
        "Go's encoding/json keeps the last of repeated members; pinset refuses them (bundle spec §6.3)",
    ),
];

/// Where pinset accepts and go-spiffe refuses, with the reason.
const DIVERGENCES_GO_STRICTER: &[(&str, &str)] = &[(
    "bundle-unknown-kty",
    "go-jose fails on an unknown kty; the bundle spec §4.2.1 says to ignore the key, as pinset does",
)];

struct SvidCase {
    name: &'static str,
    chain: Vec<CertificateDer<'static>>,
    bundles: Vec<(String, String)>,
}

fn case(name: &'static str, chain: &[&Cert], bundles: &[(&str, &[&Cert])]) -> SvidCase {
    SvidCase {
        name,
        chain: chain.iter().map(|c| c.der.clone()).collect(),
        bundles: bundles
            .iter()
            .map(|(td, cas)| {
                (
                    (*td).to_owned(),
                    jwks(cas.iter().map(|c| x509_svid_jwk(c)).collect(), Some(1)),
                )
            })
            .collect(),
    }
}

fn leaf_case(name: &'static str, ca: &Cert, tweak: impl FnOnce(&mut LeafSpec)) -> SvidCase {
    let mut spec = LeafSpec::new(ID);
    tweak(&mut spec);
    case(name, &[&svid_leaf(ca, &spec)], &[(TD, &[ca])])
}

fn svid_cases() -> Vec<SvidCase> {
    let ca = svid_ca(TD);
    let other_ca = svid_ca("other.example");
    let int = svid_intermediate(&ca, "intermediate", None);
    let constrained = svid_intermediate(&ca, "constrained", Some(TD));
    let now = i64::try_from(UnixTime::now().as_secs()).unwrap();
    let long_id = format!("spiffe://{TD}/{}", "a".repeat(2100));
    let mut cases = vec![
        leaf_case("valid", &ca, |_| {}),
        case(
            "valid-via-intermediate",
            &[&svid(&int, ID), &int],
            &[(TD, &[&ca])],
        ),
        leaf_case("valid-no-eku", &ca, |s| s.eku.clear()),
        leaf_case("valid-with-dns-san", &ca, |s| {
            s.dns = vec!["tools.example.org".into()]
        }),
        leaf_case("valid-key-encipherment-too", &ca, |s| {
            s.key_usages.push(KeyUsagePurpose::KeyEncipherment)
        }),
        leaf_case("no-uri-san", &ca, |s| {
            s.uris.clear();
            s.dns = vec!["tools.example.org".into()];
        }),
        leaf_case("two-uri-sans", &ca, |s| {
            s.uris.push(format!("spiffe://{TD}/other"))
        }),
        leaf_case("uppercase-scheme", &ca, |s| {
            s.uris = vec![ID.replace("spiffe", "SPIFFE")]
        }),
        leaf_case("uppercase-trust-domain", &ca, |s| {
            s.uris = vec![ID.replace("mcp", "MCP")]
        }),
        leaf_case("percent-encoded-path", &ca, |s| {
            s.uris = vec![format!("spiffe://{TD}/ns%2Fprod")]
        }),
        leaf_case("trailing-slash", &ca, |s| s.uris = vec![format!("{ID}/")]),
        leaf_case("dot-dot-segment", &ca, |s| {
            s.uris = vec![format!("spiffe://{TD}/ns/../x")]
        }),
        leaf_case("query", &ca, |s| s.uris = vec![format!("{ID}?x=1")]),
        leaf_case("port", &ca, |s| {
            s.uris = vec![format!("spiffe://{TD}:8443/x")]
        }),
        leaf_case("not-spiffe-scheme", &ca, |s| {
            s.uris = vec![format!("https://{TD}/x")]
        }),
        leaf_case("leaf-is-ca", &ca, |s| {
            s.is_ca = IsCa::Ca(BasicConstraints::Unconstrained)
        }),
        leaf_case("key-cert-sign", &ca, |s| {
            s.key_usages.push(KeyUsagePurpose::KeyCertSign)
        }),
        leaf_case("crl-sign", &ca, |s| {
            s.key_usages.push(KeyUsagePurpose::CrlSign)
        }),
        leaf_case("expired", &ca, |s| {
            s.validity = Some((now - 7200, now - 3600))
        }),
        leaf_case("not-yet-valid", &ca, |s| {
            s.validity = Some((now + 3600, now + 7200))
        }),
        leaf_case("duplicate-extension", &ca, |s| s.duplicate_san = true),
        case(
            "issued-by-another-domains-ca",
            &[&svid(&other_ca, ID)],
            &[(TD, &[&ca]), ("other.example", &[&other_ca])],
        ),
        case(
            "no-bundle-for-trust-domain",
            &[&svid(&ca, ID)],
            &[("other.example", &[&other_ca])],
        ),
        case("empty-bundle", &[&svid(&ca, ID)], &[(TD, &[])]),
        // The named divergences.
        leaf_case("leaf-without-path", &ca, |s| {
            s.uris = vec![format!("spiffe://{TD}")]
        }),
        leaf_case("no-key-usage", &ca, |s| s.key_usages.clear()),
        leaf_case("key-usage-not-critical", &ca, |s| {
            s.key_usage_not_critical = true
        }),
        leaf_case("no-digital-signature", &ca, |s| {
            s.key_usages = vec![KeyUsagePurpose::KeyEncipherment]
        }),
        leaf_case("no-basic-constraints", &ca, |s| s.is_ca = IsCa::NoCa),
        leaf_case("eku-client-auth-only", &ca, |s| {
            s.eku = vec![ExtendedKeyUsagePurpose::ClientAuth]
        }),
        leaf_case("id-longer-than-2048", &ca, |s| {
            s.uris = vec![long_id.clone()]
        }),
        case(
            "uri-name-constrained-ca",
            &[&svid(&constrained, ID), &constrained],
            &[(TD, &[&ca])],
        ),
    ];
    // The empty-bundle case carries `{"keys": []}`.
    if let Some(c) = cases.iter_mut().find(|c| c.name == "empty-bundle") {
        c.bundles = vec![(TD.into(), r#"{"keys": []}"#.into())];
    }
    cases
}

fn bundle_cases() -> Vec<(&'static str, String)> {
    let ca = svid_ca(TD);
    let other = svid_ca(TD);
    let key = x509_svid_jwk(&ca);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut k = key.clone();
        f(&mut k);
        jwks(vec![k], Some(1))
    };
    let key_text = key.to_string();
    vec![
        (
            "bundle-valid",
            jwks(vec![key.clone(), x509_svid_jwk(&other)], Some(3)),
        ),
        ("bundle-empty-keys", r#"{"keys": []}"#.to_owned()),
        (
            "bundle-keys-missing",
            r#"{"spiffe_sequence": 1}"#.to_owned(),
        ),
        ("bundle-not-json", "{\"keys\": [".to_owned()),
        (
            "bundle-x5c-two",
            with(&|k| {
                k["x5c"]
                    .as_array_mut()
                    .unwrap()
                    .push(x509_svid_jwk(&other)["x5c"][0].clone())
            }),
        ),
        (
            "bundle-x5c-missing",
            with(&|k| {
                k.as_object_mut().unwrap().remove("x5c");
            }),
        ),
        (
            "bundle-key-mismatch",
            with(&|k| k["x"] = x509_svid_jwk(&other)["x"].clone()),
        ),
        (
            "bundle-jwt-key-without-kid",
            jwks(
                vec![
                    json!({"use": "jwt-svid", "kty": "EC", "crv": "P-256", "x": key["x"], "y": key["y"]}),
                    key.clone(),
                ],
                None,
            ),
        ),
        (
            "bundle-unknown-use",
            jwks(
                vec![
                    json!({"use": "sig", "kty": "EC", "crv": "P-256", "x": key["x"], "y": key["y"]}),
                    key.clone(),
                ],
                None,
            ),
        ),
        // The named divergences.
        ("bundle-kid-on-x509-key", with(&|k| k["kid"] = "k1".into())),
        (
            "bundle-duplicate-member",
            format!(r#"{{"keys": [{key_text}], "keys": []}}"#),
        ),
        (
            "bundle-unknown-kty",
            jwks(
                vec![json!({"use": "x509-svid", "kty": "XYZ"}), key.clone()],
                None,
            ),
        ),
    ]
}

/// SPIFFE ID strings for `spiffeid.FromString` and `SpiffeId::parse`.
fn id_cases() -> Vec<String> {
    let mut ids: Vec<String> = [
        "spiffe://td/a/b",
        "spiffe://td",
        "spiffe://a-b_c.9/A.b/-_",
        "SPIFFE://td/a",
        "Spiffe://td/a",
        "spiffe:/td/a",
        "https://td/a",
        "",
        "spiffe://",
        "spiffe:///a",
        "spiffe://TD/a",
        "spiffe://t%64/a",
        "spiffe://td:443/a",
        "spiffe://user@td/a",
        "spiffe://t~d/a",
        "spiffe://tdé/a",
        "spiffe://td?x",
        "spiffe://td#x",
        "spiffe://td/",
        "spiffe://td/a/",
        "spiffe://td//a",
        "spiffe://td/.",
        "spiffe://td/a/../b",
        "spiffe://td/a/..",
        "spiffe://td/a%2Fb",
        "spiffe://td/a?b=c",
        "spiffe://td/a#b",
        "spiffe://td/a b",
        "spiffe://td/a~b",
        "spiffe://td/a:b",
        "spiffe://td/é",
        "spiffe://td/.a/a.",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    ids.push(format!(
        "spiffe://td/{}",
        "a".repeat(2048 - "spiffe://td/".len())
    ));
    ids.push(format!("spiffe://{}/a", "a".repeat(255)));
    ids
}

/// ID strings where go-spiffe accepts and pinset refuses: over the SPIFFE-ID §2.3 limits.
fn id_divergence(id: &str) -> bool {
    id.len() > pinset::spiffe::MAX_ID_BYTES
        || id
            .strip_prefix("spiffe://")
            .is_some_and(|r| r.split('/').next().unwrap_or("").len() > 255)
}

fn pinset_svid(c: &SvidCase) -> Result<String, String> {
    let mut set = BundleSet::new();
    for (td, doc) in &c.bundles {
        let b = Bundle::parse(TrustDomain::parse(td).unwrap(), doc.as_bytes())
            .map_err(|e| e.to_string())?;
        set.insert(b).map_err(|e| e.to_string())?;
    }
    // No authorization policy on the go-spiffe side: accept any ID of the presented domain.
    let id = leaf_spiffe_id(&c.chain[0]).map_err(|e| e.to_string())?;
    let matcher = IdMatcher::member_of(id.trust_domain()).map_err(|e| e.to_string())?;
    verify_svid(
        &c.chain,
        &set,
        &matcher,
        SvidUsage::Server,
        UnixTime::now(),
        None,
    )
    .map(|v| v.id.to_string())
    .map_err(|e| e.to_string())
}

fn run_go(input: &Value) -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spiffe-oracle");
    let out_dir = tempfile::tempdir().unwrap();
    let bin = out_dir.path().join("spiffe-oracle");
    let build = Command::new("go")
        .args(["build", "-mod=readonly", "-o"])
        .arg(&bin)
        .arg(".")
        .current_dir(&dir)
        .env("GOFLAGS", "-mod=readonly")
        .output()
        .unwrap_or_else(|e| {
            panic!("the go-spiffe oracle needs Go on PATH (.ci/run checks it): {e}")
        });
    assert!(
        build.status.success(),
        "go build of tests/spiffe-oracle failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let mut child = Command::new(&bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "spiffe-oracle failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn go_spiffe_and_pinset_agree_except_the_named_divergences() {
    let svids = svid_cases();
    let bundles = bundle_cases();
    let b64 = base64::engine::general_purpose::STANDARD;
    let now = UnixTime::now().as_secs();
    let mut ids = id_cases();
    ids.push(format!("spiffe://td/{}", "a".repeat(2048)));
    ids.push(format!("spiffe://{}/a", "a".repeat(256)));
    let input = json!({
        "ids": ids,
        "svids": svids.iter().map(|c| json!({
            "name": c.name,
            "chain": c.chain.iter().map(|d| b64.encode(d)).collect::<Vec<_>>(),
            "bundles": c.bundles.iter().map(|(td, j)| json!({"trust_domain": td, "jwks": j})).collect::<Vec<_>>(),
            "now": now,
        })).collect::<Vec<_>>(),
        "bundles": bundles.iter().map(|(name, doc)| json!({
            "name": name, "trust_domain": TD, "jwks": doc,
        })).collect::<Vec<_>>(),
    });
    let go = run_go(&input);
    let go_results: BTreeMap<String, (bool, String)> = go["svids"]
        .as_array()
        .unwrap()
        .iter()
        .chain(go["bundles"].as_array().unwrap())
        .map(|r| {
            let detail = r["error"]
                .as_str()
                .or(r["id"].as_str())
                .unwrap_or("")
                .to_owned();
            (
                r["name"].as_str().unwrap().to_owned(),
                (r["ok"].as_bool().unwrap(), detail),
            )
        })
        .collect();
    assert_eq!(
        go_results.len(),
        svids.len() + bundles.len(),
        "one go-spiffe answer per case"
    );

    let mut report = Vec::new();
    let go_ids = go["ids"].as_array().unwrap();
    assert_eq!(go_ids.len(), ids.len());
    for (id, r) in ids.iter().zip(go_ids) {
        let go_ok = r["ok"].as_bool().unwrap();
        let ours = pinset::spiffe::SpiffeId::parse(id);
        let expected = go_ok && !id_divergence(id);
        if ours.is_ok() != expected {
            report.push(format!("ID '{id}': pinset {ours:?}, go-spiffe {r}"));
        }
        if id_divergence(id) {
            assert!(
                go_ok,
                "'{id}' is a named divergence, but go-spiffe refused it: {r}"
            );
        }
    }
    let mut check = |name: &str, pinset: Result<String, String>| {
        let (go_ok, go_detail) = go_results[name].clone();
        let expected_pinset_ok = if DIVERGENCES.iter().any(|(n, _)| *n == name) {
            assert!(
                go_ok,
                "{name}: a named divergence, but go-spiffe refused it too: {go_detail}"
            );
            false
        } else if DIVERGENCES_GO_STRICTER.iter().any(|(n, _)| *n == name) {
            assert!(
                !go_ok,
                "{name}: go-spiffe was expected to refuse it: {go_detail}"
            );
            true
        } else {
            go_ok
        };
        if pinset.is_ok() != expected_pinset_ok {
            report.push(format!(
                "{name}: pinset {pinset:?}, go-spiffe ok={go_ok} ({go_detail})"
            ));
        }
        // Where both accept an SVID they must name the same ID.
        if let (Ok(id), true) = (&pinset, go_ok) {
            if !id.is_empty() && go_detail.starts_with("spiffe://") {
                assert_eq!(id, &go_detail, "{name}");
            }
        }
    };
    for c in &svids {
        check(c.name, pinset_svid(c));
    }
    for (name, doc) in &bundles {
        let r = Bundle::parse(TrustDomain::parse(TD).unwrap(), doc.as_bytes())
            .map(|b| b.x509_authorities().len().to_string())
            .map_err(|e| e.to_string());
        check(name, r);
    }
    assert!(
        report.is_empty(),
        "pinset and go-spiffe disagree outside the named divergences:\n{}",
        report.join("\n")
    );
    // Sanity: the accepting cases really were accepted by both.
    for name in [
        "valid",
        "valid-via-intermediate",
        "bundle-valid",
        "bundle-empty-keys",
    ] {
        assert!(go_results[name].0, "{name}: {:?}", go_results[name]);
    }
}
