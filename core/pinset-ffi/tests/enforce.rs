//! `Pinset::enforce` (the trust-manager hot path) decides exactly as `evaluate`, returns nothing on
//! the quiet outcomes and the full, reported verdict on the others.
#![allow(clippy::unwrap_used, clippy::panic, unsafe_code)]

use std::sync::{Arc, Mutex};

use pinset_ffi::{DecisionKind, PinReporter, PinVerdict, Pinset, PinsetError, pin_of_certificate};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

#[derive(Debug, Default)]
struct Sink(Mutex<Vec<String>>, Mutex<Vec<Vec<String>>>);
impl PinReporter for Sink {
    fn report(&self, json: String, report_uris: Vec<String>) -> Result<(), PinsetError> {
        self.0.lock().unwrap().push(json);
        self.1.lock().unwrap().push(report_uris);
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
    p.set_reporter(Some(sink.clone()));
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
fn the_reporter_gets_the_rules_report_uris_and_can_be_removed() {
    let chain = chain();
    let toml = format!(
        "version = 1\n[defaults]\nreport_uris = [\"https://d.example/r\"]\n\
         [[domain]]\nname = \"api.example.com\"\npins = [\"{}\", \"{}\"]\n\
         report_uris = [\"https://r.example/a\", \"http://127.0.0.1:9/b\"]\n\
         [[domain]]\nname = \"b.example.com\"\npins = [\"{}\", \"{}\"]\n",
        other_pin(),
        other_pin(),
        other_pin(),
        other_pin()
    );
    let p = Pinset::from_toml(toml).unwrap();
    let sink = Arc::new(Sink::default());
    p.set_reporter(Some(sink.clone()));
    p.enforce("api.example.com".into(), chain.clone(), NOW, None)
        .unwrap();
    p.enforce("b.example.com".into(), chain.clone(), NOW, None)
        .unwrap();
    assert_eq!(
        *sink.1.lock().unwrap(),
        [
            vec![
                "https://r.example/a".to_owned(),
                "http://127.0.0.1:9/b".to_owned()
            ],
            vec!["https://d.example/r".to_owned()],
        ]
    );
    let json = sink.0.lock().unwrap()[0].clone();
    assert!(
        json.contains("\"noted-hostname\": \"api.example.com\""),
        "{json}"
    );
    assert!(
        !json.contains("report"),
        "report_uris are not part of the JSON: {json}"
    );
    // Removed: a new violation (another port, so not throttled) reaches nobody.
    p.set_reporter(None);
    let v = p
        .enforce("api.example.com".into(), chain, NOW, Some(8443))
        .unwrap()
        .unwrap();
    assert_eq!(v.kind, DecisionKind::Violation);
    assert_eq!(sink.0.lock().unwrap().len(), 2);
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
    use pinset_ffi::fast::{FAST_ERROR, FAST_FULL_PATH, FAST_PROCEED, FAST_TRUSTED, decide};

    /// The fast path's input: host length (u16 BE), port (u16 BE, 0 = unknown), host, then the
    /// certificates' DER.
    fn input_with_port(host: &[u8], port: u16, chain: &[Vec<u8>]) -> Vec<u8> {
        let mut v = u16::try_from(host.len()).unwrap().to_be_bytes().to_vec();
        v.extend_from_slice(&port.to_be_bytes());
        v.extend_from_slice(host);
        for c in chain {
            v.extend_from_slice(c);
        }
        v
    }

    fn input(host: &[u8], chain: &[Vec<u8>]) -> Vec<u8> {
        input_with_port(host, 0, chain)
    }

    #[test]
    fn agrees_with_the_full_path() {
        let chain = chain();
        let leaf_pin = pin_of_certificate(chain[0].clone()).unwrap();
        let root_pin = pin_of_certificate(chain[1].clone()).unwrap();
        // (pins, manifest extra, fast answer, reported)
        for (pins, extra, expected, reported) in [
            ([other_pin(), leaf_pin.clone()], "", FAST_TRUSTED, false),
            ([root_pin.clone(), other_pin()], "", FAST_TRUSTED, false),
            ([other_pin(), other_pin()], "", FAST_FULL_PATH, true),
            (
                [other_pin(), other_pin()],
                "enforce = false",
                FAST_PROCEED,
                true,
            ),
            (
                [other_pin(), other_pin()],
                "expires = \"2020-01-01\"",
                FAST_PROCEED,
                true,
            ),
        ] {
            let (p, sink) = pinset([&pins[0], &pins[1]], extra);
            let h = p.clone().fast_path_handle();
            for host in ["api.example.com", "API.Example.COM.", "other.example"] {
                // Twice: cold, then with the certificates in the object's pin cache.
                for round in 0..2 {
                    let got = decide(h, &input(host.as_bytes(), &chain), NOW);
                    let allowed = p
                        .enforce(host.into(), chain.clone(), NOW, None)
                        .unwrap()
                        .is_none_or(|v| v.allowed);
                    let want = if host == "other.example" {
                        FAST_PROCEED
                    } else {
                        expected
                    };
                    assert_eq!(got, want, "{host} {extra} {pins:?} round {round}");
                    assert_eq!(
                        got == FAST_PROCEED || got == FAST_TRUSTED,
                        allowed,
                        "{host} {extra}"
                    );
                }
            }
            // One report per identical outcome, whichever path made it: the fast path and the
            // full path share the de-duplication (both spellings are one canonical host).
            let reports = sink.0.lock().unwrap().len();
            assert_eq!(reports, usize::from(reported), "{extra}");
        }
    }

    /// "Trusted" (the one answer a caller may remember for the rest of the UTC day) up to the
    /// expiry, which is always a 00:00 UTC, so the last trusted day is trusted to its end; from the
    /// expiry on the decision is "expired" (reported) and the answer "proceed".
    #[test]
    fn trusted_is_answered_only_when_it_holds_for_the_whole_day() {
        const DAY: i64 = 86_400;
        let chain = chain();
        let leaf_pin = pin_of_certificate(chain[0].clone()).unwrap();
        let host = b"api.example.com";
        let (p, sink) = pinset([&leaf_pin, &other_pin()], "expires = \"2031-06-15\"");
        let h = p.clone().fast_path_handle();
        let expiry = pinset::Date::parse("2031-06-15").unwrap().midnight_utc();
        for (now, want) in [
            (expiry - 2 * DAY, FAST_TRUSTED),
            // The day before the expiry date still ends at the expiry (00:00 UTC): trusted all day.
            (expiry - DAY, FAST_TRUSTED),
            (expiry - 1, FAST_TRUSTED),
        ] {
            assert_eq!(decide(h, &input(host, &chain), now), want, "{now}");
        }
        assert_eq!(sink.0.lock().unwrap().len(), 0);
        assert_eq!(decide(h, &input(host, &chain), expiry), FAST_PROCEED);
        assert_eq!(sink.0.lock().unwrap().len(), 1, "expired is reported");
        // Not pinned and exempt proceed, but are not "trusted".
        assert_eq!(
            decide(h, &input(b"other.example", &chain), expiry - 2 * DAY),
            FAST_PROCEED
        );
    }

    #[test]
    fn refusal_gives_the_uniffi_verdict_in_uniffi_form() {
        use pinset_ffi::fast::refusal;
        let chain = chain();
        let (p, sink) = pinset([&other_pin(), &other_pin()], "");
        let h = p.clone().fast_path_handle();
        let input = input_with_port(b"API.example.com", 443, &chain);
        assert_eq!(decide(h, &input, NOW), FAST_FULL_PATH);
        let bytes = refusal(h, &input, NOW).expect("an enforced violation has a refusal verdict");
        let mut rest = &bytes[..];
        let decoded =
            <PinVerdict as uniffi::Lift<pinset_ffi::UniFfiTag>>::try_read(&mut rest).unwrap();
        assert!(rest.is_empty(), "the whole buffer is the verdict");
        let full = p
            .enforce("API.example.com".into(), chain.clone(), NOW, Some(443))
            .unwrap()
            .unwrap();
        assert_eq!(decoded, full);
        assert_eq!(decoded.kind, DecisionKind::Violation);
        assert!(!decoded.allowed);
        assert!(decoded.message.contains("Certificate pinning failure!"));
        // Reported once: the refusal and the UniFFI path share the de-duplication.
        assert_eq!(sink.0.lock().unwrap().len(), 1);
        // Nothing to refuse: no verdict (the caller proceeds or takes the UniFFI path).
        let leaf_pin = pin_of_certificate(chain[0].clone()).unwrap();
        let (ok, _) = pinset([&leaf_pin, &other_pin()], "");
        let h_ok = ok.clone().fast_path_handle();
        assert_eq!(refusal(h_ok, &input, NOW), None);
        let (ro, _) = pinset([&other_pin(), &other_pin()], "enforce = false");
        assert_eq!(refusal(ro.clone().fast_path_handle(), &input, NOW), None);
        assert_eq!(refusal(h, &input[..input.len() - 1], NOW), None);
        assert_eq!(refusal(0, &input, NOW), None);
    }

    #[test]
    fn report_only_and_expired_are_reported_by_the_fast_path_itself() {
        let chain = chain();
        for extra in ["enforce = false", "expires = \"2020-01-01\""] {
            let (p, sink) = pinset([&other_pin(), &other_pin()], extra);
            let h = p.clone().fast_path_handle();
            let host = b"api.example.com";
            assert_eq!(
                decide(h, &input_with_port(host, 8443, &chain), NOW),
                FAST_PROCEED
            );
            {
                let reports = sink.0.lock().unwrap();
                assert_eq!(reports.len(), 1, "{extra}");
                let json: serde_json::Value = serde_json::from_str(&reports[0]).unwrap();
                assert_eq!(json["hostname"], "api.example.com", "{extra}");
                assert_eq!(json["port"], 8443, "{extra}");
                let kind = if extra.starts_with("enforce") {
                    "report-only"
                } else {
                    "expired"
                };
                assert_eq!(json["validation-result"], kind, "{extra}");
                assert_eq!(
                    json["validated-certificate-chain"]
                        .as_array()
                        .unwrap()
                        .len(),
                    chain.len()
                );
            }
            // The same handshake again: no second report within 24 h; a day later, one more.
            assert_eq!(
                decide(h, &input_with_port(host, 8443, &chain), NOW + 60),
                FAST_PROCEED
            );
            assert_eq!(sink.0.lock().unwrap().len(), 1, "{extra}");
            assert_eq!(
                decide(
                    h,
                    &input_with_port(host, 8443, &chain),
                    NOW + 24 * 3600 + 60
                ),
                FAST_PROCEED
            );
            assert_eq!(sink.0.lock().unwrap().len(), 2, "{extra}");
            // Another port is another report.
            assert_eq!(
                decide(h, &input_with_port(host, 443, &chain), NOW + 60),
                FAST_PROCEED
            );
            assert_eq!(sink.0.lock().unwrap().len(), 3, "{extra}");
        }
    }

    #[test]
    fn bad_input_and_dead_handles_take_the_full_path() {
        let chain = chain();
        let root_pin = pin_of_certificate(chain[1].clone()).unwrap();
        let (p, _) = pinset([&root_pin, &other_pin()], "");
        let h = p.clone().fast_path_handle();
        let host = b"api.example.com";
        let good = input(host, &chain);
        assert_eq!(decide(h, &good, NOW), FAST_TRUSTED);
        // Truncated anywhere: inside the header, the host, a certificate; or trailing bytes.
        for cut in [0, 1, 2, 3, 4, 10, 19, 40, good.len() - 1] {
            assert_eq!(decide(h, &good[..cut], NOW), FAST_ERROR, "cut at {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0x30);
        assert_eq!(decide(h, &trailing, NOW), FAST_ERROR);
        // A host length pointing past the end, a host that is not UTF-8, a bad host, no path.
        let mut long_host = good.clone();
        long_host[0] = 0xff;
        assert_eq!(decide(h, &long_host, NOW), FAST_ERROR);
        assert_eq!(decide(h, &input(&[0xff], &chain), NOW), FAST_ERROR);
        assert_eq!(decide(h, &input(b"bad host", &chain), NOW), FAST_ERROR);
        assert_eq!(decide(h, &input(host, &[]), NOW), FAST_ERROR);
        // A path longer than 16 certificates is refused (the full path decides).
        let long: Vec<Vec<u8>> = std::iter::repeat_n(chain[0].clone(), 17).collect();
        assert_eq!(decide(h, &input(host, &long), NOW), FAST_ERROR);
        let sixteen: Vec<Vec<u8>> = std::iter::repeat_n(chain[1].clone(), 16).collect();
        assert_eq!(decide(h, &input(host, &sixteen), NOW), FAST_TRUSTED);
        assert_eq!(decide(0, &good, NOW), FAST_ERROR);
        assert_eq!(decide(u64::MAX, &good, NOW), FAST_ERROR);
        // The handle does not keep the object alive, and a dead handle is refused.
        drop(p);
        assert_eq!(decide(h, &good, NOW), FAST_ERROR);
        // Its slot may be reused by the next object, which gets a working handle; the stale handle
        // still refers to nothing (never to the newcomer).
        let (p2, _) = pinset([&root_pin, &other_pin()], "");
        let h2 = p2.clone().fast_path_handle();
        assert_ne!(h, h2);
        assert_eq!(decide(h2, &good, NOW), FAST_TRUSTED);
        assert_eq!(decide(h, &good, NOW), FAST_ERROR);
    }

    #[test]
    fn the_c_entry_point_refuses_null_and_bad_lengths() {
        let chain = chain();
        let root_pin = pin_of_certificate(chain[1].clone()).unwrap();
        let (p, _) = pinset([&root_pin, &other_pin()], "");
        let h = p.clone().fast_path_handle();
        let good = input(b"api.example.com", &chain);
        let len = i32::try_from(good.len()).unwrap();
        use pinset_ffi::fast::pinset_fast_decide as f;
        // SAFETY: the pointer is either null (refused) or valid for the lengths given.
        unsafe {
            assert_eq!(f(h, good.as_ptr(), len, NOW), FAST_TRUSTED);
            assert_eq!(f(h, std::ptr::null(), len, NOW), FAST_ERROR);
            assert_eq!(f(h, good.as_ptr(), -1, NOW), FAST_ERROR);
            assert_eq!(f(h, good.as_ptr(), 0, NOW), FAST_ERROR);
            assert_eq!(f(h, good.as_ptr(), len - 1, NOW), FAST_ERROR);
        }
    }
}
