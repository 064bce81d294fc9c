//! One TUF refresh cycle against the raw-crypto floor of the signature verifications that same
//! cycle must do, both measured in the same run:
//! * `update/no_change`: a cycle that finds nothing new. `2.root.json` is 404 and
//!   `timestamp.json` is the trusted version, so the snapshot, targets and manifest are the
//!   trusted ones; the clock moves on, so the new time floor is committed, as every real cycle
//!   does. Floor `floor/update_sigs/no_change`: the timestamp's one Ed25519 verification.
//! * `update/new_manifest`: an updater holding only the embedded root and baseline accepts a new
//!   timestamp, snapshot, targets and manifest (serial 1 -> 2) and commits them. Floor
//!   `floor/update_sigs/new_manifest`: the three Ed25519 verifications (timestamp, snapshot,
//!   targets). The embedded root's self-signature is checked by `Updater::new`, in the untimed
//!   setup, so it is in neither number.
//!
//! Why these are the floors: every role has one key and threshold 1, so TUF requires exactly one
//! valid signature per role file the cycle accepts, and no valid cycle can do fewer
//! verifications than that; the root chain ends at a 404 (nothing to verify). The floor's inputs
//! are read back from the very files the fetcher serves (the public key from root's key for the
//! role, the canonical bytes of `signed`, the signature), so the key type, the message and the
//! count are the cycle's own. Ed25519 is the cheapest key type the client verifies, so it gives
//! the strictest ratio. What the cycle adds on top of the floor is parsing, canonical JSON, the
//! TUF rules, hashing, the manifest parse and the commit.
//!
//! Clock: the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), for the cycles and the
//! floors alike, so time the thread spends waiting for a core on a shared machine is in neither
//! number (criterion still reports it as "time").
//!
//! The repository is signed for real in memory with `pinset::update::repository`.
#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::cell::Cell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use pinset::update::repository::{self, RepoKey, RoleSpec};
use pinset::update::{
    DEFAULT_TARGET, Fetched, Json, MemoryStore, Outcome, Role, Updater, UpdaterConfig, parse_json,
};
use ring::rand::SystemRandom;
use ring::signature::{ED25519, UnparsedPublicKey};
use rustix::time::{ClockId, clock_gettime};

const BASE: &str = "https://pins.example.com/tuf/";
const NOW: i64 = 1_800_000_000;

fn manifest(serial: u64) -> String {
    format!(
        "version = 1\nserial = {serial}\n\n[defaults]\nexpires = \"2030-01-01\"\n\n[[domain]]\nname = \"api.example.com\"\ninclude_subdomains = true\npins = [\"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=\", \"sha256/sRHdihwgkaib1P1gxX8HFszlM+4hMvCalm+9a+bI2lg=\"]\n\n[[domain]]\nname = \"pay.example.com\"\npins = [\"sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=\", \"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=\"]\n"
    )
}

/// CPU time of this thread so far.
fn cpu() -> Duration {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap(),
        u32::try_from(t.tv_nsec).unwrap(),
    )
}

/// Runs `f` `iters` times; returns the CPU time it took.
fn timed(iters: u64, mut f: impl FnMut()) -> Duration {
    let start = cpu();
    for _ in 0..iters {
        f();
    }
    cpu() - start
}

fn key() -> RepoKey {
    let der = ring::signature::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    RepoKey::from_pkcs8(der.as_ref()).unwrap()
}

/// The served files (path below `BASE` -> bytes) and the embedded `1.root.json`.
fn repo(serial: u64) -> (BTreeMap<String, Vec<u8>>, Vec<u8>) {
    let keys: BTreeMap<Role, RepoKey> =
        [Role::Root, Role::Timestamp, Role::Snapshot, Role::Targets]
            .into_iter()
            .map(|r| (r, key()))
            .collect();
    let specs = keys
        .iter()
        .map(|(r, k)| {
            (
                *r,
                RoleSpec {
                    keys: vec![k],
                    threshold: 1,
                },
            )
        })
        .collect();
    // Far enough ahead for every iteration of the moving clock of `update/no_change`.
    let exp = NOW + 86_400 * 3650;
    let root = repository::root_signed(1, exp, &specs).unwrap();
    let root = repository::sign(&root, &[&keys[&Role::Root]]).unwrap();
    let text = manifest(serial);
    let mut files = BTreeMap::new();
    let mut put = |role: Role, signed: Json, name: &str| {
        let file = repository::sign(&signed, &[&keys[&role]]).unwrap();
        files.insert(name.to_owned(), file.clone().into_bytes());
        file
    };
    put(
        Role::Targets,
        repository::targets_signed(1, exp, &[(DEFAULT_TARGET, text.as_bytes())]),
        "metadata/1.targets.json",
    );
    let snap = put(
        Role::Snapshot,
        repository::snapshot_signed(1, exp, 1),
        "metadata/1.snapshot.json",
    );
    put(
        Role::Timestamp,
        repository::timestamp_signed(1, exp, 1, snap.as_bytes()),
        "metadata/timestamp.json",
    );
    files.insert(
        format!(
            "targets/{}",
            repository::target_file_name(DEFAULT_TARGET, text.as_bytes())
        ),
        text.into_bytes(),
    );
    files.insert("metadata/1.root.json".into(), root.clone().into_bytes());
    (files, root.into_bytes())
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The one signature check `role`'s file needs under `root`: (public key, canonical bytes of
/// `signed`, signature), read from the files as served. Panics unless the role has exactly one
/// key, threshold 1 and one signature by that key, i.e. unless one verification is the floor.
fn sig_work(root: &[u8], role: Role, file: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let root = parse_json(root).unwrap();
    let ids = repository::role_keyids(&root, role).unwrap();
    assert_eq!(ids.len(), 1, "{role:?}: one key");
    assert_eq!(repository::role_threshold(&root, role).unwrap(), 1);
    let keys = root
        .as_obj()
        .unwrap()
        .get("signed")
        .unwrap()
        .as_obj()
        .unwrap()
        .get("keys")
        .unwrap()
        .as_obj()
        .unwrap();
    let k = keys.get(&ids[0]).unwrap().as_obj().unwrap();
    assert_eq!(k.get("keytype").unwrap().as_str(), Some("ed25519"));
    let public = hex(k
        .get("keyval")
        .unwrap()
        .as_obj()
        .unwrap()
        .get("public")
        .unwrap()
        .as_str()
        .unwrap());

    let doc = parse_json(file).unwrap();
    let top = doc.as_obj().unwrap();
    let Json::Arr(sigs) = top.get("signatures").unwrap() else {
        panic!("{role:?}: signatures")
    };
    assert_eq!(sigs.len(), 1, "{role:?}: one signature");
    let s = sigs[0].as_obj().unwrap();
    assert_eq!(s.get("keyid").unwrap().as_str(), Some(ids[0].as_str()));
    let work = (
        public,
        top.get("signed").unwrap().canonical(),
        hex(s.get("sig").unwrap().as_str().unwrap()),
    );
    verify(&work);
    work
}

fn verify((k, m, s): &(Vec<u8>, Vec<u8>, Vec<u8>)) {
    UnparsedPublicKey::new(&ED25519, black_box(k))
        .verify(black_box(m), black_box(s))
        .unwrap();
}

fn benches(c: &mut Criterion) {
    let (files, root) = repo(2);
    let fetch = |url: &str, _max: u64| match url.strip_prefix(BASE).and_then(|p| files.get(p)) {
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
    let now = Cell::new(NOW);
    let mut g = c.benchmark_group("update");
    g.bench_function("no_change", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                now.set(now.get() + 1);
                let o = up.refresh(&fetch, black_box(now.get()));
                assert_eq!(o, Outcome::NoChange);
            })
        })
    });
    // The clock moved, so every cycle committed its new floor.
    assert_eq!(up.floor(), now.get());

    g.bench_function("new_manifest", |b| {
        b.iter_custom(|iters| {
            // Fresh updaters made (and dropped) outside the timed loop, a batch at a time.
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(32);
                left -= n;
                let mut batch: Vec<_> = (0..n).map(|_| fresh()).collect();
                let mut it = batch.iter_mut();
                total += timed(n, || {
                    let u = it.next().unwrap();
                    let o = u.refresh(&fetch, black_box(NOW));
                    assert_eq!(o, Outcome::Updated { serial: 2 });
                });
            }
            total
        })
    });
    g.finish();

    let work = |role, path: &str| sig_work(&root, role, &files[path]);
    let no_change = [work(Role::Timestamp, "metadata/timestamp.json")];
    let new_manifest = [
        work(Role::Timestamp, "metadata/timestamp.json"),
        work(Role::Snapshot, "metadata/1.snapshot.json"),
        work(Role::Targets, "metadata/1.targets.json"),
    ];
    let mut g = c.benchmark_group("floor");
    for (cycle, sigs) in [
        ("no_change", &no_change[..]),
        ("new_manifest", &new_manifest[..]),
    ] {
        g.bench_with_input(BenchmarkId::new("update_sigs", cycle), sigs, |b, sigs| {
            b.iter_custom(|iters| timed(iters, || sigs.iter().for_each(verify)))
        });
    }
    g.finish();
}

criterion_group!(update, benches);
criterion_main!(update);
