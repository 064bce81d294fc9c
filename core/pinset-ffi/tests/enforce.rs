//! `Pinset::enforce` (the trust-manager hot path) decides exactly as `evaluate`, returns nothing on
//! the quiet outcomes and the full, reported verdict on the others.
#![allow(clippy::unwrap_used, clippy::panic, unsafe_code)]

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

mod fast_path {
    use super::*;
    use pinset_ffi::fast::{FAST_ERROR, FAST_FULL_PATH, FAST_PROCEED, decide};

    fn concat(chain: &[Vec<u8>]) -> (Vec<u8>, Vec<i32>) {
        let all = chain.concat();
        let lens = chain
            .iter()
            .map(|c| i32::try_from(c.len()).unwrap())
            .collect();
        (all, lens)
    }

    #[test]
    fn agrees_with_the_full_path() {
        let chain = chain();
        let (all, lens) = concat(&chain);
        let leaf_pin = pin_of_certificate(chain[0].clone()).unwrap();
        let root_pin = pin_of_certificate(chain[1].clone()).unwrap();
        for (pins, extra, expected) in [
            ([other_pin(), leaf_pin.clone()], "", FAST_PROCEED),
            ([root_pin.clone(), other_pin()], "", FAST_PROCEED),
            ([other_pin(), other_pin()], "", FAST_FULL_PATH),
            (
                [other_pin(), other_pin()],
                "enforce = false",
                FAST_FULL_PATH,
            ),
            (
                [other_pin(), other_pin()],
                "expires = \"2020-01-01\"",
                FAST_FULL_PATH,
            ),
        ] {
            let (p, sink) = pinset([&pins[0], &pins[1]], extra);
            let h = p.clone().fast_path_handle();
            for host in ["api.example.com", "API.Example.COM.", "other.example"] {
                let got = decide(h, host.as_bytes(), &all, &lens, NOW);
                let quiet = p
                    .enforce(host.into(), chain.clone(), NOW, None)
                    .unwrap()
                    .is_none();
                let want = if host == "other.example" {
                    FAST_PROCEED
                } else {
                    expected
                };
                assert_eq!(got, want, "{host} {extra} {pins:?}");
                assert_eq!(got == FAST_PROCEED, quiet, "{host} {extra}");
            }
            // The fast path itself never reports; only the full path did above.
            let reports = sink.0.lock().unwrap().len();
            assert_eq!(reports, usize::from(expected == FAST_FULL_PATH), "{extra}");
        }
    }

    #[test]
    fn bad_arguments_and_dead_handles_take_the_full_path() {
        let chain = chain();
        let (all, lens) = concat(&chain);
        let root_pin = pin_of_certificate(chain[1].clone()).unwrap();
        let (p, _) = pinset([&root_pin, &other_pin()], "");
        let h = p.clone().fast_path_handle();
        let host = b"api.example.com";
        assert_eq!(decide(h, host, &all, &lens, NOW), FAST_PROCEED);
        // Lengths that do not add up, zero, negative, or too many.
        let mut short = lens.clone();
        short[0] -= 1;
        assert_eq!(decide(h, host, &all, &short, NOW), FAST_ERROR);
        assert_eq!(decide(h, host, &all, &[0, lens[1]], NOW), FAST_ERROR);
        assert_eq!(decide(h, host, &all, &[-1, lens[1]], NOW), FAST_ERROR);
        assert_eq!(
            decide(h, host, &all[..all.len() - 1], &lens, NOW),
            FAST_ERROR
        );
        assert_eq!(decide(h, b"bad host", &all, &lens, NOW), FAST_ERROR);
        // The safe entry refuses empty and over-long paths itself (no slice panics).
        assert_eq!(decide(h, host, &all, &[], NOW), FAST_ERROR);
        assert_eq!(decide(h, host, &all, &[1; 17], NOW), FAST_ERROR);
        assert_eq!(decide(h, &[0xff], &all, &lens, NOW), FAST_ERROR);
        assert_eq!(decide(0, host, &all, &lens, NOW), FAST_ERROR);
        assert_eq!(decide(u64::MAX, host, &all, &lens, NOW), FAST_ERROR);
        // The handle does not keep the object alive, and a dead handle is refused.
        drop(p);
        assert_eq!(decide(h, host, &all, &lens, NOW), FAST_ERROR);
        // Its slot may be reused by the next object, which gets a working handle; the stale handle
        // still refers to nothing (never to the newcomer).
        let (p2, _) = pinset([&root_pin, &other_pin()], "");
        let h2 = p2.clone().fast_path_handle();
        assert_ne!(h, h2);
        assert_eq!(decide(h2, host, &all, &lens, NOW), FAST_PROCEED);
        assert_eq!(decide(h, host, &all, &lens, NOW), FAST_ERROR);
    }

    #[test]
    fn the_c_entry_point_refuses_null_and_negative_lengths() {
        let (p, _) = pinset([&other_pin(), &other_pin()], "");
        let h = p.clone().fast_path_handle();
        let host = b"api.example.com";
        let lens = [1i32];
        // SAFETY: pointers are either null (refused) or valid for the lengths given.
        unsafe {
            use pinset_ffi::fast::pinset_fast_decide as f;
            assert_eq!(
                f(
                    h,
                    std::ptr::null(),
                    3,
                    host.as_ptr(),
                    1,
                    lens.as_ptr(),
                    1,
                    NOW
                ),
                FAST_ERROR
            );
            assert_eq!(
                f(
                    h,
                    host.as_ptr(),
                    -1,
                    host.as_ptr(),
                    1,
                    lens.as_ptr(),
                    1,
                    NOW
                ),
                FAST_ERROR
            );
            assert_eq!(
                f(
                    h,
                    host.as_ptr(),
                    15,
                    host.as_ptr(),
                    1,
                    std::ptr::null(),
                    1,
                    NOW
                ),
                FAST_ERROR
            );
            assert_eq!(
                f(
                    h,
                    host.as_ptr(),
                    15,
                    host.as_ptr(),
                    1,
                    lens.as_ptr(),
                    0,
                    NOW
                ),
                FAST_ERROR
            );
            assert_eq!(
                f(
                    h,
                    host.as_ptr(),
                    15,
                    host.as_ptr(),
                    1,
                    lens.as_ptr(),
                    17,
                    NOW
                ),
                FAST_ERROR
            );
        }
    }
}
