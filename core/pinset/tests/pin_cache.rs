//! `Policy::check_path_cached` decides exactly as `check_path` on every input, however warm the
//! cache: only exact certificate bytes are ever served from it, malformed certificates are still
//! refused, it stays bounded, and concurrent callers neither block nor mix up certificates.
#![allow(clippy::unwrap_used)]

use pinset::certificate::spki_of_certificate;
use pinset::pin::{PinCache, cache::CAPACITY};
use pinset::{Decision, Manifest, Pin, Policy};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, PKCS_ECDSA_P256_SHA256};

const NOW: i64 = 1_800_000_000;
const HOST: &str = "api.example.com";

struct Pki {
    root_params: CertificateParams,
    root_key: KeyPair,
    root: Vec<u8>,
    int_params: CertificateParams,
    int_key: KeyPair,
}

fn ca(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p
}

fn pki() -> Pki {
    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let root_params = ca("cache root");
    let root = root_params.self_signed(&root_key).unwrap().der().to_vec();
    let int_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let int_params = ca("cache intermediate");
    Pki {
        root_params,
        root_key,
        root,
        int_params,
        int_key,
    }
}

impl Pki {
    /// The intermediate, re-issued with serial `serial` (same key, different bytes).
    fn intermediate(&self, serial: u64) -> Vec<u8> {
        let mut p = self.int_params.clone();
        p.serial_number = Some(serial.into());
        p.signed_by(
            &self.int_key,
            &Issuer::from_params(&self.root_params, &self.root_key),
        )
        .unwrap()
        .der()
        .to_vec()
    }

    /// A fresh leaf (new key) under the intermediate.
    fn leaf(&self) -> Vec<u8> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        CertificateParams::new(vec![HOST.to_owned()])
            .unwrap()
            .signed_by(&key, &Issuer::from_params(&self.int_params, &self.int_key))
            .unwrap()
            .der()
            .to_vec()
    }
}

fn policy(pins: [Pin; 2], extra: &str) -> Policy {
    let src = format!(
        "version = 1\n[[domain]]\nname = \"example.com\"\ninclude_subdomains = true\npins = [\"{}\", \"{}\"]\n{extra}",
        pins[0], pins[1]
    );
    Policy::new(Manifest::parse(&src, None).unwrap().manifest)
}

fn other() -> Pin {
    Pin::of_spki(b"some other key")
}

fn another() -> Pin {
    Pin::of_spki(b"yet another key")
}

#[test]
fn same_decisions_as_the_uncached_check_cold_and_warm() {
    let pki = pki();
    let path = vec![pki.leaf(), pki.intermediate(1), pki.root.clone()];
    let pin = |i: usize| Pin::of_certificate(&path[i]).unwrap();
    let policies = [
        policy([other(), pin(0)], ""),
        policy([pin(1), other()], ""),
        policy([other(), pin(2)], ""),
        policy([other(), another()], ""),
        policy([other(), another()], "enforce = false"),
        policy([pin(1), other()], "expires = \"2020-01-01\""),
    ];
    for (i, p) in policies.iter().enumerate() {
        let cache = PinCache::new();
        for host in [HOST, "API.EXAMPLE.COM.", "example.org", "bad host"] {
            let want = p.check_path(host, NOW, &path);
            for round in 0..3 {
                assert_eq!(
                    p.check_path_cached(host, NOW, &path, &cache),
                    want,
                    "policy {i}, {host}, round {round}"
                );
            }
        }
    }
    let p = &policies[1];
    assert!(matches!(
        p.check_path_cached(HOST, NOW, &path, &PinCache::new()),
        Ok(Decision::Trusted { cert_index: 1, .. })
    ));
}

#[test]
fn only_the_exact_bytes_are_served_from_the_cache() {
    let pki = pki();
    let leaf = pki.leaf();
    let int = pki.intermediate(1);
    let int_pin = Pin::of_certificate(&int).unwrap();
    let p = policy([int_pin, other()], "");
    let cache = PinCache::new();
    let path = vec![leaf.clone(), int.clone()];
    assert!(matches!(
        p.check_path_cached(HOST, NOW, &path, &cache),
        Ok(Decision::Trusted { cert_index: 1, .. })
    ));

    // Same length, one byte of the intermediate's public key changed: another key, no match.
    let spki = spki_of_certificate(&int).unwrap();
    let spki_at = spki.as_ptr() as usize - int.as_ptr() as usize;
    let mut forged = int.clone();
    let last = spki_at + spki.len() - 1;
    forged[last] ^= 1;
    assert_ne!(Pin::of_certificate(&forged).unwrap(), int_pin);
    let forged_path = vec![leaf.clone(), forged];
    let want = p.check_path(HOST, NOW, &forged_path);
    assert!(matches!(want, Ok(Decision::Violation { .. })), "{want:?}");
    assert_eq!(p.check_path_cached(HOST, NOW, &forged_path, &cache), want);

    // A truncated copy of a cached certificate is malformed, not a cache hit.
    let truncated = vec![leaf.clone(), int[..int.len() - 1].to_vec()];
    assert!(p.check_path(HOST, NOW, &truncated).is_err());
    assert_eq!(
        p.check_path_cached(HOST, NOW, &truncated, &cache),
        p.check_path(HOST, NOW, &truncated)
    );
    // The genuine path still matches afterwards.
    assert!(matches!(
        p.check_path_cached(HOST, NOW, &path, &cache),
        Ok(Decision::Trusted { cert_index: 1, .. })
    ));
}

#[test]
fn rotating_leaves_stay_bounded_and_correct() {
    let pki = pki();
    let int = pki.intermediate(1);
    let p = policy([Pin::of_certificate(&int).unwrap(), other()], "");
    let cache = PinCache::new();
    for serial in 0..(3 * CAPACITY as u64) {
        // A load balancer's many leaves, and re-issued intermediates with the same key.
        let path = vec![pki.leaf(), pki.intermediate(serial % 5)];
        assert_eq!(
            p.check_path_cached(HOST, NOW, &path, &cache),
            p.check_path(HOST, NOW, &path)
        );
        assert!(cache.len() <= CAPACITY);
    }
    assert_eq!(cache.len(), CAPACITY);
}

#[test]
fn concurrent_callers_share_one_cache() {
    let pki = pki();
    let int = pki.intermediate(1);
    let p = policy([Pin::of_certificate(&int).unwrap(), other()], "");
    let cache = PinCache::new();
    let good = vec![pki.leaf(), int];
    let bad = vec![pki.leaf(), pki.leaf()];
    std::thread::scope(|s| {
        for t in 0..4 {
            let (p, cache, good, bad) = (&p, &cache, &good, &bad);
            s.spawn(move || {
                for i in 0..2000 {
                    let (path, trusted) = if (i + t) % 3 == 0 {
                        (bad, false)
                    } else {
                        (good, true)
                    };
                    let d = p.check_path_cached(HOST, NOW, path, cache).unwrap();
                    assert_eq!(d.allows_connection(), trusted, "thread {t} call {i}");
                }
            });
        }
    });
}
