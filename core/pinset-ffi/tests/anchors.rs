//! Trust anchors across the FFI: a manifest naming anchor files loads only with their bytes,
//! each host gets its own rule's anchors (and only those), and a validated path is traced to its
//! anchor. Hostile anchor bytes are errors, never panics.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;

use pinset_ffi::{Pinset, PinsetError};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

fn ca(cn: &str) -> (Vec<u8>, String) {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    (cert.der().to_vec(), cert.pem())
}

fn pin(der: &[u8]) -> String {
    pinset_ffi::pin_of_certificate(der.to_vec()).unwrap()
}

fn manifest(corp: &[u8], anchors: &str) -> String {
    format!(
        "version = 1\n[[domain]]\nname = \"corp.example\"\ninclude_subdomains = true\n\
         pins = [\"{}\", \"{}\"]\ntrust_anchors = {anchors}\n\
         [[domain]]\nname = \"api.example.com\"\npins = [\"{}\", \"{}\"]\n",
        pin(corp),
        pin(&ca("backup").0),
        pin(&ca("a").0),
        pin(&ca("b").0)
    )
}

#[test]
fn anchors_must_be_supplied_at_load() {
    let (corp, _) = ca("corp");
    let toml = manifest(&corp, "[\"certs/corp.pem\"]");
    for r in [
        Pinset::from_toml(toml.clone()),
        Pinset::from_toml_with_anchors(toml.clone(), HashMap::new()),
        Pinset::from_toml_with_anchors(
            toml.clone(),
            HashMap::from([("corp.pem".to_owned(), corp.clone())]),
        ),
    ] {
        match r {
            Err(PinsetError::Anchor { reason }) => {
                assert!(reason.contains("certs/corp.pem"), "{reason}");
                assert!(reason.contains("<string>:3"), "{reason}");
                assert!(reason.contains("not supplied"), "{reason}");
            }
            other => panic!("loaded without the anchor: {other:?}"),
        }
    }
    // A manifest without files loads through both constructors.
    let plain = manifest(&corp, "[\"system\"]");
    assert!(Pinset::from_toml(plain.clone()).is_ok());
    assert!(Pinset::from_toml_with_anchors(plain, HashMap::new()).is_ok());
}

#[test]
fn hostile_anchor_bytes_are_errors() {
    let (corp, _) = ca("corp");
    let toml = manifest(&corp, "[\"corp.pem\"]");
    for bytes in [
        vec![],
        vec![0x30],
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
        vec![0u8; (1 << 20) + 1],
    ] {
        let r = Pinset::from_toml_with_anchors(
            toml.clone(),
            HashMap::from([("corp.pem".to_owned(), bytes)]),
        );
        assert!(matches!(r, Err(PinsetError::Anchor { .. })), "{r:?}");
    }
}

#[test]
fn each_host_gets_its_own_rules_anchors_only() {
    let (corp, corp_pem) = ca("corp");
    for (anchors, system) in [
        ("[\"corp.pem\"]", false),
        ("[\"system\", \"corp.pem\"]", true),
    ] {
        let p = Pinset::from_toml_with_anchors(
            manifest(&corp, anchors),
            HashMap::from([("corp.pem".to_owned(), corp_pem.clone().into_bytes())]),
        )
        .unwrap();
        let t = p.rule_trust("Build.Corp.Example.".into()).unwrap();
        assert_eq!(t.rule, "corp.example");
        assert_eq!(t.system, system);
        assert_eq!(t.anchors.len(), 1);
        assert_eq!(t.anchors[0].source, "corp.pem");
        assert_eq!(t.anchors[0].der, corp);
        // Another rule's host and a host without a rule use the platform's defaults.
        assert!(p.rule_trust("api.example.com".into()).is_none());
        assert!(p.rule_trust("www.example.org".into()).is_none());
        assert!(p.rule_trust("".into()).is_none());
        // The path's anchor: the rule's file, or `system` where the rule trusts it.
        let (other, _) = ca("other");
        assert_eq!(
            p.anchor_of("build.corp.example".into(), vec![corp.clone()]),
            Some("corp.pem".into())
        );
        assert_eq!(
            p.anchor_of("build.corp.example".into(), vec![other.clone()]),
            system.then(|| "system".into())
        );
        assert_eq!(
            p.anchor_of("api.example.com".into(), vec![other]),
            Some("system".into())
        );
        assert_eq!(p.anchor_of("api.example.com".into(), vec![]), None);
        assert_eq!(
            p.anchor_of("api.example.com".into(), vec![vec![0x30]]),
            None
        );
    }
}
