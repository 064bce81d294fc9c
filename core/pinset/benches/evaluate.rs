//! Policy evaluation against the raw-crypto floor, and manifest parsing.
//!
//! `evaluate/chain3_hit` / `evaluate/chain3_miss`: a validated leaf → intermediate → root path
//! (P-256) against a 50-domain manifest with 2 pins for the host; hit on the intermediate, and a
//! miss. `floor/sha256_spki_x3`: three SHA-256 over the same three SPKIs.
//! `manifest/parse_500_domains`: parse and validate a 500-domain manifest.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pinset::certificate::spki_of_certificate;
use pinset::pin::PinCache;
use pinset::{Manifest, Pin, Policy};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, PKCS_ECDSA_P256_SHA256};

fn ca(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p
}

/// `n` validated paths (leaf, intermediate, root DER), leaf first. Path 0 is "the" path; the
/// others have fresh leaves and the intermediate re-issued (new serial) with the same key, so the
/// same pin matches every path while no certificate repeats.
fn chains(n: u64) -> Vec<Vec<Vec<u8>>> {
    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let root_params = ca("bench root");
    let root = root_params.self_signed(&root_key).unwrap();
    let int_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut int_params = ca("bench intermediate");
    (0..n)
        .map(|serial| {
            int_params.serial_number = Some((1000 + serial).into());
            let int = int_params
                .signed_by(&int_key, &Issuer::from_params(&root_params, &root_key))
                .unwrap();
            let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
            let leaf = CertificateParams::new(vec!["api.host25.example.com".to_owned()])
                .unwrap()
                .signed_by(&leaf_key, &Issuer::from_params(&int_params, &int_key))
                .unwrap();
            vec![leaf.der().to_vec(), int.der().to_vec(), root.der().to_vec()]
        })
        .collect()
}

fn fake_pin(i: usize, j: usize) -> Pin {
    Pin::of_spki(format!("bench pin {i} {j}").as_bytes())
}

/// `n` domains `hostN.example.com` (include_subdomains), 2 pins each; domain 25 gets `pins25`.
fn manifest(n: usize, pins25: [Pin; 2]) -> String {
    let mut s = String::from("version = 1\n[defaults]\nexpires = \"2099-01-01\"\n");
    for i in 0..n {
        let (a, b) = if i == 25 {
            (pins25[0], pins25[1])
        } else {
            (fake_pin(i, 0), fake_pin(i, 1))
        };
        s.push_str(&format!(
            "[[domain]]\nname = \"host{i}.example.com\"\ninclude_subdomains = true\npins = [\"{a}\", \"{b}\"]\n"
        ));
    }
    s
}

fn benches(c: &mut Criterion) {
    let rotation = chains(64);
    let path = rotation[0].clone();
    let int_pin = Pin::of_certificate(&path[1]).unwrap();
    let hit = Policy::new(
        Manifest::parse(&manifest(50, [fake_pin(99, 0), int_pin]), None)
            .unwrap()
            .manifest,
    );
    let miss = Policy::new(
        Manifest::parse(&manifest(50, [fake_pin(99, 0), fake_pin(99, 1)]), None)
            .unwrap()
            .manifest,
    );
    let host = "api.host25.example.com";
    let now = 1_800_000_000;
    assert!(matches!(
        hit.check_path(host, now, &path),
        Ok(pinset::Decision::Trusted { cert_index: 1, .. })
    ));
    assert!(matches!(
        miss.check_path(host, now, &path),
        Ok(pinset::Decision::Violation { .. })
    ));

    let mut g = c.benchmark_group("evaluate");
    g.bench_function("chain3_hit", |b| {
        b.iter(|| hit.check_path(black_box(host), now, black_box(&path)))
    });
    g.bench_function("chain3_miss", |b| {
        b.iter(|| miss.check_path(black_box(host), now, black_box(&path)))
    });
    // With a `PinCache` (what the FFI checks use): the same path on every call, as every
    // handshake with one server presents it; and a path not seen in the last 64 calls (more than
    // the cache holds) on every call, the cache's worst case.
    let cache = PinCache::new();
    g.bench_function("chain3_hit_cached", |b| {
        b.iter(|| hit.check_path_cached(black_box(host), now, black_box(&path), &cache))
    });
    let cache = PinCache::new();
    let mut next = 0;
    g.bench_function("chain3_hit_cache_cold", |b| {
        b.iter(|| {
            next = (next + 1) % rotation.len();
            hit.check_path_cached(black_box(host), now, black_box(&rotation[next]), &cache)
        })
    });
    g.finish();
    for p in &rotation {
        assert!(matches!(
            hit.check_path_cached(host, now, p, &cache),
            Ok(pinset::Decision::Trusted { cert_index: 1, .. })
        ));
    }

    let spkis: Vec<Vec<u8>> = path
        .iter()
        .map(|c| spki_of_certificate(c).unwrap().to_vec())
        .collect();
    let mut g = c.benchmark_group("floor");
    g.bench_function("sha256_spki_x3", |b| {
        b.iter(|| {
            for s in black_box(&spkis) {
                black_box(ring::digest::digest(&ring::digest::SHA256, s));
            }
        })
    });
    g.finish();

    // Where the time over the floor goes (not targets; for profiling regressions).
    let mut g = c.benchmark_group("evaluate_parts");
    g.bench_function("locate_spki_x3", |b| {
        b.iter(|| {
            for c in black_box(&path) {
                black_box(spki_of_certificate(c).unwrap());
            }
        })
    });
    g.bench_function("canonical_host", |b| {
        b.iter(|| pinset::host::canonical_host(black_box(host)).unwrap().len())
    });
    g.bench_function("rule_lookup", |b| {
        b.iter(|| hit.rule_index_for(black_box(host)))
    });
    g.finish();

    let big = manifest(500, [fake_pin(99, 0), fake_pin(99, 1)]);
    let mut g = c.benchmark_group("manifest");
    g.bench_function("parse_500_domains", |b| {
        b.iter(|| Manifest::parse(black_box(&big), None).unwrap())
    });
    g.finish();
}

criterion_group!(evaluate, benches);
criterion_main!(evaluate);
