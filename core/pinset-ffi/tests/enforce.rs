//! `Pinset::enforce` (the trust-manager hot path) decides exactly as `evaluate`, returns nothing on
//! the quiet outcomes and the full, reported verdict on the others.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use pinset_ffi::{DecisionKind, Pinset, PinsetError, ReportSink, pin_of_certificate};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

#[derive(Debug, Default)]
struct Sink(Mutex<Vec<String>>);
impl ReportSink for Sink {
    fn report(&self, json: String) -> Result<(), PinsetError> {
        self.0.lock().unwrap().push(json);
        Ok(())
    }
}

fn chain() -> Vec<Vec<u8>> {
    let root_key = KeyPair::generate().unwrap();
    let mut root = CertificateParams::new(Vec::<String>::new()).unwrap();
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let root_cert = root.self_signed(&root_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["api.example.com".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &Issuer::from_params(&root, &root_key))
        .unwrap();
    vec![leaf.der().to_vec(), root_cert.der().to_vec()]
}

fn other_pin() -> String {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["x.example".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    pin_of_certificate(cert.der().to_vec()).unwrap()
}

fn pinset(pins: [&str; 2], extra: &str) -> (Arc<Pinset>, Arc<Sink>) {
    let toml = format!(
        "version = 1\n[[domain]]\nname = \"api.example.com\"\npins = [\"{}\", \"{}\"]\n{extra}\n",
        pins[0], pins[1]
    );
    let p = Pinset::from_toml(toml).unwrap();
    let sink = Arc::new(Sink::default());
    p.set_report_sink(sink.clone());
    (p, sink)
}

const NOW: i64 = 1_800_000_000;

#[test]
fn quiet_outcomes_return_nothing_and_report_nothing() {
    let chain = chain();
    let root_pin = pin_of_certificate(chain[1].clone()).unwrap();
    let (p, sink) = pinset([&other_pin(), &root_pin], "");
    let host = "API.example.com.".to_owned();
    assert_eq!(
        p.enforce(host.clone(), chain.clone(), NOW, None).unwrap(),
        None
    );
    let full = p.evaluate(host, chain.clone(), NOW, None).unwrap();
    assert_eq!(full.kind, DecisionKind::Trusted);
    assert_eq!(full.matched_pin.as_deref(), Some(root_pin.as_str()));
    assert_eq!(full.chain_pins.len(), 2);
    // Not pinned: also quiet.
    assert_eq!(
        p.enforce("other.example".into(), chain, NOW, None).unwrap(),
        None
    );
    assert!(sink.0.lock().unwrap().is_empty());
}

#[test]
fn violations_return_the_reported_verdict() {
    let chain = chain();
    let (p, sink) = pinset([&other_pin(), &other_pin()], "");
    let v = p
        .enforce("api.example.com".into(), chain.clone(), NOW, Some(443))
        .unwrap()
        .unwrap();
    assert_eq!(v.kind, DecisionKind::Violation);
    assert!(!v.allowed);
    assert!(
        v.message
            .contains(&pin_of_certificate(chain[0].clone()).unwrap()),
        "{}",
        v.message
    );
    assert_eq!(
        v,
        p.evaluate("api.example.com".into(), chain, NOW, Some(443))
            .unwrap()
    );
    // The identical second report is throttled.
    assert_eq!(sink.0.lock().unwrap().len(), 1);
}

#[test]
fn report_only_and_expired_proceed_with_a_verdict() {
    let chain = chain();
    let (p, sink) = pinset([&other_pin(), &other_pin()], "enforce = false");
    let v = p
        .enforce("api.example.com".into(), chain.clone(), NOW, None)
        .unwrap()
        .unwrap();
    assert_eq!((v.kind, v.allowed), (DecisionKind::ReportOnly, true));
    let (p2, _) = pinset([&other_pin(), &other_pin()], "expires = \"2020-01-01\"");
    let v = p2
        .enforce("api.example.com".into(), chain, NOW, None)
        .unwrap()
        .unwrap();
    assert_eq!((v.kind, v.allowed), (DecisionKind::Expired, true));
    assert_eq!(sink.0.lock().unwrap().len(), 1);
}

#[test]
fn malformed_chains_are_errors_on_both_paths() {
    let (p, _) = pinset([&other_pin(), &other_pin()], "");
    for chain in [vec![], vec![vec![0x30, 0x01]]] {
        assert!(matches!(
            p.enforce("api.example.com".into(), chain.clone(), NOW, None),
            Err(PinsetError::Certificate { .. })
        ));
        assert!(
            p.evaluate("api.example.com".into(), chain, NOW, None)
                .is_err()
        );
    }
}
