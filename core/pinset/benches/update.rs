//! One TUF refresh cycle against the raw-crypto floor of the signature verifications it must
//! do, measured in the same run:
//! * `update/no_change`: `2.root.json` is 404 and `timestamp.json` is the trusted version
//!   (floor: one Ed25519 verification, `floor/update_sigs/timestamp`);
//! * `update/new_manifest`: new timestamp, snapshot, targets and manifest (floor: three
//!   Ed25519 verifications over the same canonical bytes, `floor/update_sigs/all_roles`).
//!
//! The repository is signed for real in memory with `pinset::update::repository`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pinset::update::repository::{self, RepoKey, RoleSpec};
use pinset::update::{
    DEFAULT_TARGET, Fetched, MemoryStore, Outcome, Role, Store as _, Updater, UpdaterConfig,
    parse_json,
};
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};

const BASE: &str = "https://pins.example.com/tuf/";
const NOW: i64 = 1_800_000_000;

fn manifest(serial: u64) -> String {
    format!(
        "version = 1\nserial = {serial}\n\n[defaults]\nexpires = \"2030-01-01\"\n\n[[domain]]\nname = \"api.example.com\"\ninclude_subdomains = true\npins = [\"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=\", \"sha256/sRHdihwgkaib1P1gxX8HFszlM+4hMvCalm+9a+bI2lg=\"]\n\n[[domain]]\nname = \"pay.example.com\"\npins = [\"sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=\", \"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=\"]\n"
    )
}

struct Repo {
    files: BTreeMap<String, Vec<u8>>,
    /// (public key, canonical signed bytes, signature) of timestamp, snapshot, targets.
    sigs: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
}

fn key() -> (RepoKey, Ed25519KeyPair) {
    let der = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    (
        RepoKey::from_pkcs8(der.as_ref()).unwrap(),
        Ed25519KeyPair::from_pkcs8(der.as_ref()).unwrap(),
    )
}

fn repo(serial: u64) -> (Repo, Vec<u8>) {
    let keys: BTreeMap<Role, (RepoKey, Ed25519KeyPair)> =
        [Role::Root, Role::Timestamp, Role::Snapshot, Role::Targets]
            .into_iter()
            .map(|r| (r, key()))
            .collect();
    let specs = keys
        .iter()
        .map(|(r, (k, _))| {
            (
                *r,
                RoleSpec {
                    keys: vec![k],
                    threshold: 1,
                },
            )
        })
        .collect();
    let exp = NOW + 86_400 * 30;
    let root = repository::root_signed(1, exp, &specs).unwrap();
    let root = repository::sign(&root, &[&keys[&Role::Root].0]).unwrap();
    let text = manifest(serial);
    let mut files = BTreeMap::new();
    let mut sigs = Vec::new();
    let mut put = |role: Role, signed: pinset::update::Json, name: String| {
        let (k, raw) = &keys[&role];
        let file = repository::sign(&signed, &[k]).unwrap();
        let canonical = signed.canonical();
        sigs.push((
            raw.public_key().as_ref().to_vec(),
            canonical.clone(),
            raw.sign(&canonical).as_ref().to_vec(),
        ));
        files.insert(name, file.clone().into_bytes());
        file
    };
    put(
        Role::Targets,
        repository::targets_signed(1, exp, &[(DEFAULT_TARGET, text.as_bytes())]),
        "metadata/1.targets.json".into(),
    );
    let snap = put(
        Role::Snapshot,
        repository::snapshot_signed(1, exp, 1),
        "metadata/1.snapshot.json".into(),
    );
    put(
        Role::Timestamp,
        repository::timestamp_signed(1, exp, 1, snap.as_bytes()),
        "metadata/timestamp.json".into(),
    );
    files.insert(
        format!(
            "targets/{}",
            repository::target_file_name(DEFAULT_TARGET, text.as_bytes())
        ),
        text.into_bytes(),
    );
    files.insert("metadata/1.root.json".into(), root.clone().into_bytes());
    (Repo { files, sigs }, root.into_bytes())
}

fn benches(c: &mut Criterion) {
    let (repo, root) = repo(2);
    let fetch = |url: &str, _max: u64| match url.strip_prefix(BASE).and_then(|p| repo.files.get(p))
    {
        Some(b) => Fetched::Bytes(b.clone()),
        None => Fetched::NotFound,
    };
    let fresh = || {
        Updater::new(
            &root,
            Some(&manifest(1)),
            UpdaterConfig::new(BASE),
            MemoryStore::new(),
        )
        .unwrap()
    };
    let mut up = fresh();
    assert_eq!(up.refresh(&fetch, NOW), Outcome::Updated { serial: 2 });
    let committed = up.store().load().unwrap().unwrap();

    c.bench_function("update/no_change", |b| {
        b.iter(|| {
            let o = up.refresh(&fetch, black_box(NOW));
            assert_eq!(o, Outcome::NoChange);
        })
    });
    c.bench_function("update/new_manifest", |b| {
        b.iter_batched(
            fresh,
            |mut u| {
                let o = u.refresh(&fetch, black_box(NOW));
                assert_eq!(o, Outcome::Updated { serial: 2 });
                u
            },
            BatchSize::SmallInput,
        )
    });
    drop(committed);

    let verify = |(k, m, s): &(Vec<u8>, Vec<u8>, Vec<u8>)| {
        UnparsedPublicKey::new(&ED25519, k)
            .verify(black_box(m), black_box(s))
            .unwrap();
    };
    let ts = repo.sigs.last().unwrap().clone();
    c.bench_function("floor/update_sigs/timestamp", |b| b.iter(|| verify(&ts)));
    c.bench_function("floor/update_sigs/all_roles", |b| {
        b.iter(|| repo.sigs.iter().for_each(verify))
    });

    // Not a target: what parsing and canonicalising the timestamp costs on its own.
    let ts_file = repo.files["metadata/timestamp.json"].clone();
    c.bench_function("update/parse_canonical_timestamp", |b| {
        b.iter(|| parse_json(black_box(&ts_file)).unwrap().canonical())
    });
}

criterion_group!(update, benches);
criterion_main!(update);
