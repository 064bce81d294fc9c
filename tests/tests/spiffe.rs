//! SPIFFE X.509-SVID and bundle rules: every rule of issue #18 as a test that fails when the
//! rule is removed. Test PKIs are generated here with rcgen.
#![allow(clippy::unwrap_used, clippy::panic)]

use pinset::spiffe::{
    Bundle, BundleRule, BundleSet, IdMatcher, SpiffeError, SvidRule, SvidUsage, TrustDomain,
    check_leaf_rules, leaf_spiffe_id, verify_svid,
};
use pinset_tests::rcgen::{ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose};
use pinset_tests::svid::{
    LeafSpec, jwks, svid, svid_ca, svid_intermediate, svid_leaf, x509_svid_jwk,
};
use pinset_tests::{Cert, rcgen};
use rustls_pki_types::{CertificateDer, UnixTime};

const TD: &str = "mcp.example.org";
const ID: &str = "spiffe://mcp.example.org/ns/prod/sa/tools";

fn now() -> UnixTime {
    UnixTime::now()
}

fn bundle_of(td: &str, cas: &[&Cert]) -> Bundle {
    let keys = cas.iter().map(|c| x509_svid_jwk(c)).collect();
    Bundle::parse(
        TrustDomain::parse(td).unwrap(),
        jwks(keys, Some(1)).as_bytes(),
    )
    .unwrap()
}

fn set(bundles: Vec<Bundle>) -> BundleSet {
    let mut s = BundleSet::new();
    for b in bundles {
        s.insert(b).unwrap();
    }
    s
}

fn verify(
    chain: &[&Cert],
    bundles: &BundleSet,
    matcher: &IdMatcher,
) -> Result<String, SpiffeError> {
    let chain: Vec<CertificateDer<'_>> = chain.iter().map(|c| c.der.clone()).collect();
    verify_svid(&chain, bundles, matcher, SvidUsage::Server, now(), None).map(|v| v.id.to_string())
}

fn member() -> IdMatcher {
    IdMatcher::member_of(TD).unwrap()
}

fn svid_rule(r: Result<String, SpiffeError>) -> SvidRule {
    match r {
        Err(SpiffeError::Svid(rule)) => rule,
        other => panic!("expected an SVID rule error, got {other:?}"),
    }
}

// ----- a valid SVID --------------------------------------------------------------------------

#[test]
fn valid_svid_through_an_intermediate() {
    let ca = svid_ca(TD);
    let int = svid_intermediate(&ca, "intermediate", None);
    let leaf = svid(&int, ID);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    let chain = [leaf.der.clone(), int.der.clone()];
    let v = verify_svid(
        &chain,
        &bundles,
        &IdMatcher::id(ID).unwrap(),
        SvidUsage::Server,
        now(),
        None,
    )
    .unwrap();
    assert_eq!(v.id.as_str(), ID);
    assert_eq!(v.path.len(), 3, "leaf, intermediate, bundle CA");
    assert_eq!(v.path[2], ca.der);
    // Without the intermediate the chain cannot be built.
    assert!(matches!(
        verify(&[&leaf], &bundles, &member()),
        Err(SpiffeError::NotTrusted { .. })
    ));
}

#[test]
fn svids_need_no_dns_name_and_may_carry_one() {
    let ca = svid_ca(TD);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    let mut spec = LeafSpec::new(ID);
    spec.dns = vec!["tools.internal.example.org".into()];
    assert_eq!(
        verify(&[&svid_leaf(&ca, &spec)], &bundles, &member()).unwrap(),
        ID
    );
}

// ----- URI SAN rules -------------------------------------------------------------------------

#[test]
fn exactly_one_uri_san() {
    let ca = svid_ca(TD);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    let mut none = LeafSpec::new(ID);
    none.uris.clear();
    none.dns = vec!["tools.example.org".into()];
    assert_eq!(
        svid_rule(verify(&[&svid_leaf(&ca, &none)], &bundles, &member())),
        SvidRule::NoUriSan
    );
    let mut two = LeafSpec::new(ID);
    two.uris.push("spiffe://mcp.example.org/other".into());
    assert_eq!(
        svid_rule(verify(&[&svid_leaf(&ca, &two)], &bundles, &member())),
        SvidRule::SeveralUriSans(2)
    );
    // A non-SPIFFE second URI still makes two URI SANs.
    let mut mixed = LeafSpec::new(ID);
    mixed.uris.push("https://example.org/".into());
    assert_eq!(
        svid_rule(verify(&[&svid_leaf(&ca, &mixed)], &bundles, &member())),
        SvidRule::SeveralUriSans(2)
    );
}

#[test]
fn the_uri_san_must_be_a_valid_spiffe_id() {
    let ca = svid_ca(TD);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    for bad in [
        "https://mcp.example.org/ns/prod",
        "SPIFFE://mcp.example.org/ns/prod",
        "spiffe://MCP.example.org/ns/prod",
        "spiffe://mcp.example.org/ns%2Fprod",
        "spiffe://mcp.example.org/ns/prod/",
        "spiffe://mcp.example.org/ns/../prod",
        "spiffe://mcp.example.org/ns/prod?x=1",
        "spiffe://mcp.example.org:8443/ns/prod",
    ] {
        let leaf = svid_leaf(&ca, &LeafSpec::new(bad));
        assert!(
            matches!(
                svid_rule(verify(&[&leaf], &bundles, &member())),
                SvidRule::InvalidId(_)
            ),
            "{bad}"
        );
    }
}

#[test]
fn a_leaf_needs_a_path() {
    let ca = svid_ca(TD);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    let leaf = svid_leaf(&ca, &LeafSpec::new("spiffe://mcp.example.org"));
    assert!(matches!(
        svid_rule(verify(&[&leaf], &bundles, &member())),
        SvidRule::NoPath(_)
    ));
    // leaf_spiffe_id alone (used to pick the bundle) accepts it; the leaf rules do not.
    assert!(leaf_spiffe_id(&leaf.der).is_ok());
    assert!(check_leaf_rules(&leaf.der).is_err());
}

// ----- basicConstraints and keyUsage ---------------------------------------------------------

fn leaf_rule(tweak: impl FnOnce(&mut LeafSpec)) -> Result<(), SvidRule> {
    let ca = svid_ca(TD);
    let mut spec = LeafSpec::new(ID);
    tweak(&mut spec);
    match check_leaf_rules(&svid_leaf(&ca, &spec).der) {
        Ok(_) => Ok(()),
        Err(SpiffeError::Svid(r)) => Err(r),
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn basic_constraints_present_with_ca_false() {
    assert_eq!(leaf_rule(|_| {}), Ok(()));
    assert_eq!(
        leaf_rule(|s| s.is_ca = IsCa::NoCa),
        Err(SvidRule::BasicConstraintsMissing)
    );
    assert_eq!(
        leaf_rule(|s| s.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained)),
        Err(SvidRule::LeafIsCa)
    );
    // End to end, the missing extension is refused too (webpki alone accepts it).
    let ca = svid_ca(TD);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    let mut spec = LeafSpec::new(ID);
    spec.is_ca = IsCa::NoCa;
    assert_eq!(
        svid_rule(verify(&[&svid_leaf(&ca, &spec)], &bundles, &member())),
        SvidRule::BasicConstraintsMissing
    );
}

#[test]
fn key_usage_present_critical_digital_signature_only() {
    assert_eq!(
        leaf_rule(|s| s.key_usages.clear()),
        Err(SvidRule::KeyUsageMissing)
    );
    assert_eq!(
        leaf_rule(|s| s.key_usage_not_critical = true),
        Err(SvidRule::KeyUsageNotCritical)
    );
    assert_eq!(
        leaf_rule(|s| s.key_usages = vec![KeyUsagePurpose::KeyEncipherment]),
        Err(SvidRule::NoDigitalSignature)
    );
    assert_eq!(
        leaf_rule(|s| s.key_usages.push(KeyUsagePurpose::KeyCertSign)),
        Err(SvidRule::KeyCertSign)
    );
    assert_eq!(
        leaf_rule(|s| s.key_usages.push(KeyUsagePurpose::CrlSign)),
        Err(SvidRule::CrlSign)
    );
    // keyEncipherment and keyAgreement MAY be set beside digitalSignature.
    assert_eq!(
        leaf_rule(|s| {
            s.key_usages.push(KeyUsagePurpose::KeyEncipherment);
            s.key_usages.push(KeyUsagePurpose::KeyAgreement);
        }),
        Ok(())
    );
    // End to end as well: webpki alone would accept every one of these leaves.
    let ca = svid_ca(TD);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    let mut spec = LeafSpec::new(ID);
    spec.key_usages.push(KeyUsagePurpose::KeyCertSign);
    assert_eq!(
        svid_rule(verify(&[&svid_leaf(&ca, &spec)], &bundles, &member())),
        SvidRule::KeyCertSign
    );
    let mut spec = LeafSpec::new(ID);
    spec.key_usages.clear();
    assert_eq!(
        svid_rule(verify(&[&svid_leaf(&ca, &spec)], &bundles, &member())),
        SvidRule::KeyUsageMissing
    );
}

#[test]
fn a_repeated_extension_is_refused() {
    assert_eq!(
        leaf_rule(|s| s.duplicate_san = true),
        Err(SvidRule::DuplicateExtension("subjectAltName"))
    );
}

// ----- EKU (webpki: required if present) -----------------------------------------------------

#[test]
fn extended_key_usage_per_webpki() {
    let ca = svid_ca(TD);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    let run = |eku: Vec<ExtendedKeyUsagePurpose>, usage: SvidUsage| {
        let mut spec = LeafSpec::new(ID);
        spec.eku = eku;
        let leaf = svid_leaf(&ca, &spec);
        verify_svid(
            std::slice::from_ref(&leaf.der),
            &bundles,
            &member(),
            usage,
            now(),
            None,
        )
    };
    use ExtendedKeyUsagePurpose::{ClientAuth, ServerAuth};
    assert!(matches!(
        run(vec![ClientAuth], SvidUsage::Server),
        Err(SpiffeError::NotTrusted { .. })
    ));
    assert!(run(vec![ClientAuth], SvidUsage::Client).is_ok());
    assert!(matches!(
        run(vec![ServerAuth], SvidUsage::Client),
        Err(SpiffeError::NotTrusted { .. })
    ));
    assert!(run(vec![ServerAuth, ClientAuth], SvidUsage::Client).is_ok());
    // No EKU extension: allowed (the spec says SHOULD).
    assert!(run(vec![], SvidUsage::Server).is_ok());
}

// ----- which bundle, and path validation -----------------------------------------------------

#[test]
fn the_bundle_is_the_presented_ids_trust_domain() {
    let ca = svid_ca(TD);
    let other_ca = svid_ca("attacker.example");
    let bundles = set(vec![
        bundle_of(TD, &[&ca]),
        bundle_of("attacker.example", &[&other_ca]),
    ]);
    // A leaf claiming TD but issued by another trust domain's CA does not chain to TD's bundle.
    let forged = svid(&other_ca, ID);
    assert!(matches!(
        verify(&[&forged], &bundles, &member()),
        Err(SpiffeError::NotTrusted { .. })
    ));
    // An honest leaf of the other domain is refused by the rule before any validation.
    let other = svid(&other_ca, "spiffe://attacker.example/ns/prod/sa/tools");
    assert!(matches!(
        verify(&[&other], &bundles, &member()),
        Err(SpiffeError::TrustDomainNotAllowed { .. })
    ));
    // The rule's domain without a bundle.
    let only_other = set(vec![bundle_of("attacker.example", &[&other_ca])]);
    assert_eq!(
        verify(&[&svid(&ca, ID)], &only_other, &member()),
        Err(SpiffeError::NoBundle(TD.into()))
    );
}

#[test]
fn an_empty_bundle_revokes_every_svid() {
    let ca = svid_ca(TD);
    let empty = Bundle::parse(TrustDomain::parse(TD).unwrap(), br#"{"keys": []}"#).unwrap();
    assert!(empty.x509_authorities().is_empty());
    assert_eq!(
        verify(&[&svid(&ca, ID)], &set(vec![empty]), &member()),
        Err(SpiffeError::BundleEmpty(TD.into()))
    );
}

#[test]
fn expired_and_not_yet_valid_svids() {
    let ca = svid_ca(TD);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    let t = i64::try_from(now().as_secs()).unwrap();
    for (nb, na) in [(t - 7200, t - 3600), (t + 3600, t + 7200)] {
        let mut spec = LeafSpec::new(ID);
        spec.validity = Some((nb, na));
        assert!(matches!(
            verify(&[&svid_leaf(&ca, &spec)], &bundles, &member()),
            Err(SpiffeError::NotTrusted { .. })
        ));
    }
}

#[test]
fn uri_name_constrained_cas_fail_under_webpki() {
    let ca = svid_ca(TD);
    let int = svid_intermediate(&ca, "constrained", Some("spiffe://mcp.example.org"));
    let leaf = svid(&int, ID);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    let err = verify(&[&leaf, &int], &bundles, &member()).unwrap_err();
    assert_eq!(err, SpiffeError::NameConstraints { id: ID.into() });
    assert!(err.to_string().contains("URI name constraints"), "{err}");
}

// ----- authorization -------------------------------------------------------------------------

#[test]
fn id_matching_after_validation() {
    let ca = svid_ca(TD);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    let agent = svid(&ca, "spiffe://mcp.example.org/spire/agent");
    let agentish = svid(&ca, "spiffe://mcp.example.org/spire/agentish");
    let below = svid(&ca, "spiffe://mcp.example.org/spire/agent/k8s/n1");
    let prefix = IdMatcher::prefix("spiffe://mcp.example.org/spire/agent").unwrap();
    assert!(
        verify(&[&agent], &bundles, &prefix).is_ok(),
        "prefix equal to the whole ID"
    );
    assert!(verify(&[&below], &bundles, &prefix).is_ok());
    assert!(matches!(
        verify(&[&agentish], &bundles, &prefix),
        Err(SpiffeError::NotAuthorized { .. })
    ));
    let exact = IdMatcher::id(ID).unwrap();
    let err = verify(&[&agent], &bundles, &exact).unwrap_err();
    assert_eq!(
        err,
        SpiffeError::NotAuthorized {
            id: "spiffe://mcp.example.org/spire/agent".into(),
            expected: format!("id = \"{ID}\""),
        }
    );
}

#[test]
fn the_path_check_runs_last_and_only_on_verified_paths() {
    let ca = svid_ca(TD);
    let bundles = set(vec![bundle_of(TD, &[&ca])]);
    let leaf = svid(&ca, ID);
    let seen = std::cell::Cell::new(0);
    let refuse = |p: &webpki::VerifiedPath<'_>| {
        seen.set(seen.get() + 1);
        assert_eq!(p.end_entity().der(), leaf.der);
        false
    };
    let chain = [leaf.der.clone()];
    assert_eq!(
        verify_svid(
            &chain,
            &bundles,
            &member(),
            SvidUsage::Server,
            now(),
            Some(&refuse)
        ),
        Err(SpiffeError::PathRefused { id: ID.into() })
    );
    assert_eq!(seen.get(), 1);
    // An unauthorized ID is reported as such even when the path check refuses too.
    let wrong = IdMatcher::id("spiffe://mcp.example.org/other").unwrap();
    assert!(matches!(
        verify_svid(
            &chain,
            &bundles,
            &wrong,
            SvidUsage::Server,
            now(),
            Some(&refuse)
        ),
        Err(SpiffeError::NotAuthorized { .. })
    ));
    let accept = |_: &webpki::VerifiedPath<'_>| true;
    assert!(
        verify_svid(
            &chain,
            &bundles,
            &member(),
            SvidUsage::Server,
            now(),
            Some(&accept)
        )
        .is_ok()
    );
}

// ----- bundles -------------------------------------------------------------------------------

fn td() -> TrustDomain {
    TrustDomain::parse(TD).unwrap()
}

fn bundle_rule(doc: &str) -> BundleRule {
    match Bundle::parse(td(), doc.as_bytes()) {
        Err(SpiffeError::Bundle { rule, .. }) => rule,
        other => panic!("expected a bundle error for {doc}, got {other:?}"),
    }
}

#[test]
fn bundle_keys_must_be_present() {
    assert_eq!(
        bundle_rule(r#"{"spiffe_sequence": 1}"#),
        BundleRule::KeysMissing
    );
    assert!(matches!(bundle_rule(r#"{"keys": 5}"#), BundleRule::Json(_)));
    assert!(matches!(bundle_rule("{\"keys\": [\n"), BundleRule::Json(m) if m.contains("line 2")));
}

#[test]
fn x509_svid_keys_hold_exactly_one_certificate_and_no_kid() {
    let ca = svid_ca(TD);
    let other = svid_ca(TD);
    let mut two = x509_svid_jwk(&ca);
    two["x5c"]
        .as_array_mut()
        .unwrap()
        .push(x509_svid_jwk(&other)["x5c"][0].clone());
    assert_eq!(
        bundle_rule(&jwks(vec![two], None)),
        BundleRule::X5cCount { index: 0, count: 2 }
    );
    let mut none = x509_svid_jwk(&ca);
    none.as_object_mut().unwrap().remove("x5c");
    assert_eq!(
        bundle_rule(&jwks(vec![x509_svid_jwk(&other), none], None)),
        BundleRule::X5cCount { index: 1, count: 0 }
    );
    let mut kid = x509_svid_jwk(&ca);
    kid["kid"] = "k1".into();
    assert_eq!(
        bundle_rule(&jwks(vec![kid], None)),
        BundleRule::KidOnX509Key { index: 0 }
    );
    let mut b64 = x509_svid_jwk(&ca);
    b64["x5c"][0] = "not base64!".into();
    assert_eq!(
        bundle_rule(&jwks(vec![b64], None)),
        BundleRule::Base64 { index: 0 }
    );
}

#[test]
fn the_jwk_key_must_be_the_certificates_key() {
    let ca = svid_ca(TD);
    let other = svid_ca(TD);
    let mut swapped = x509_svid_jwk(&ca);
    swapped["x"] = x509_svid_jwk(&other)["x"].clone();
    swapped["y"] = x509_svid_jwk(&other)["y"].clone();
    assert_eq!(
        bundle_rule(&jwks(vec![swapped], None)),
        BundleRule::KeyMismatch { index: 0 }
    );
    let mut missing = x509_svid_jwk(&ca);
    missing.as_object_mut().unwrap().remove("y");
    assert!(matches!(
        bundle_rule(&jwks(vec![missing], None)),
        BundleRule::KeyParameters { index: 0, .. }
    ));
    let mut wrong_type = x509_svid_jwk(&ca);
    wrong_type["kty"] = "RSA".into();
    wrong_type["n"] = "AQAB".into();
    wrong_type["e"] = "AQAB".into();
    assert_eq!(
        bundle_rule(&jwks(vec![wrong_type], None)),
        BundleRule::KeyMismatch { index: 0 }
    );
}

#[test]
fn unknown_key_types_and_uses_are_ignored_jwt_keys_need_a_kid() {
    let ca = svid_ca(TD);
    let doc = jwks(
        vec![
            serde_json::json!({"use": "x509-svid", "kty": "oct", "k": "AAAA", "x5c": ["garbage", "more"]}),
            serde_json::json!({"use": "sig", "kty": "EC", "x5c": []}),
            serde_json::json!({"kty": "EC", "kid": "no-use"}),
            serde_json::json!({"use": "jwt-svid", "kty": "EC", "kid": "k1", "crv": "P-256", "x": "", "y": ""}),
            x509_svid_jwk(&ca),
        ],
        Some(7),
    );
    let b = Bundle::parse(td(), doc.as_bytes()).unwrap();
    assert_eq!(b.x509_authorities(), std::slice::from_ref(&ca.der));
    assert_eq!(b.sequence(), Some(7));
    assert_eq!(b.refresh_hint(), Some(300));
    let jwt_no_kid = jwks(
        vec![serde_json::json!({"use": "jwt-svid", "kty": "EC"})],
        None,
    );
    assert_eq!(
        bundle_rule(&jwt_no_kid),
        BundleRule::JwtKeyWithoutKid { index: 0 }
    );
}

#[test]
fn repeated_members_are_refused() {
    let ca = svid_ca(TD);
    let key = x509_svid_jwk(&ca).to_string();
    let doc = format!(r#"{{"keys": [{key}], "keys": []}}"#);
    assert!(matches!(bundle_rule(&doc), BundleRule::Json(m) if m.contains("duplicate")));
    let dup_use = key.replacen(
        "\"use\":\"x509-svid\"",
        "\"use\":\"x509-svid\",\"use\":\"sig\"",
        1,
    );
    assert_ne!(dup_use, key);
    assert!(matches!(
        bundle_rule(&format!(r#"{{"keys": [{dup_use}]}}"#)),
        BundleRule::Json(_)
    ));
}

#[test]
fn bundles_are_bounded() {
    let big = format!(
        "{{\"keys\": [], \"pad\": \"{}\"}}",
        "x".repeat(pinset::spiffe::MAX_BUNDLE_BYTES)
    );
    assert!(matches!(bundle_rule(&big), BundleRule::TooLarge(_)));
}

#[test]
fn pem_bundles() {
    let ca = svid_ca(TD);
    let other = svid_ca(TD);
    let pem = ca.pem() + &other.pem();
    let b = Bundle::parse(td(), pem.as_bytes()).unwrap();
    assert_eq!(b.x509_authorities().len(), 2);
    assert_eq!(b.sequence(), None);
    assert!(matches!(
        bundle_rule("not a certificate"),
        BundleRule::Pem(_)
    ));
}

#[test]
fn spiffe_sequence_only_increases() {
    let ca = svid_ca(TD);
    let rotated = svid_ca(TD);
    let parse = |cas: &[&Cert], seq: Option<u64>| {
        Bundle::parse(
            td(),
            jwks(cas.iter().map(|c| x509_svid_jwk(c)).collect(), seq).as_bytes(),
        )
        .unwrap()
    };
    let held = parse(&[&ca], Some(5));
    assert!(held.check_update(&parse(&[&ca, &rotated], Some(6))).is_ok());
    assert!(
        held.check_update(&parse(&[&ca], Some(5))).is_ok(),
        "a re-fetch of the same bundle"
    );
    for (cas, seq) in [
        (vec![&rotated], Some(4)),
        (vec![&rotated], Some(5)),
        (vec![&ca], None),
    ] {
        assert!(
            matches!(
                held.check_update(&parse(&cas, seq)),
                Err(SpiffeError::SequenceRegression { previous: 5, .. })
            ),
            "{seq:?}"
        );
    }
    // Through a BundleSet: a rollback leaves the held bundle in place.
    let mut s = BundleSet::new();
    s.insert(held).unwrap();
    assert!(s.update(parse(&[&rotated], Some(3))).is_err());
    assert_eq!(s.get(TD).unwrap().sequence(), Some(5));
    s.update(parse(&[&rotated], Some(9))).unwrap();
    assert_eq!(
        s.get(TD).unwrap().x509_authorities(),
        std::slice::from_ref(&rotated.der)
    );
    // Another trust domain's bundle cannot replace this one.
    let foreign = Bundle::parse(
        TrustDomain::parse("other.example").unwrap(),
        jwks(vec![x509_svid_jwk(&ca)], Some(10)).as_bytes(),
    )
    .unwrap();
    assert!(matches!(
        s.get(TD).unwrap().check_update(&foreign),
        Err(SpiffeError::Bundle {
            rule: BundleRule::OtherTrustDomain(_),
            ..
        })
    ));
}

#[test]
fn one_bundle_per_trust_domain() {
    let ca = svid_ca(TD);
    let mut s = BundleSet::new();
    s.insert(bundle_of(TD, &[&ca])).unwrap();
    assert_eq!(
        s.insert(bundle_of(TD, &[&ca])),
        Err(SpiffeError::DuplicateTrustDomain(TD.into()))
    );
}
