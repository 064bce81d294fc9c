//! The TUF client scenarios (the tuf-conformance cases re-created, the anchors' CVEs, and
//! pinset's own rules), against a repository simulated in memory and signed for real.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::rc::Rc;

use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;

use super::cjson::Json;
use super::repository::{self, RepoKey, RoleSpec};
use super::*;

const BASE: &str = "https://pins.example.com/tuf/";
const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;
const PIN_A: &str = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=";
const PIN_B: &str = "sha256/sRHdihwgkaib1P1gxX8HFszlM+4hMvCalm+9a+bI2lg=";

fn manifest(serial: u64) -> String {
    format!(
        "version = 1\nserial = {serial}\n\n[[domain]]\nname = \"api.example.com\"\npins = [\"{PIN_A}\", \"{PIN_B}\"]\n"
    )
}

fn key() -> Rc<RepoKey> {
    let der = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Rc::new(RepoKey::from_pkcs8(der.as_ref()).unwrap())
}

fn set(j: &mut Json, path: &[&str], v: Json) {
    let Json::Obj(m) = j else {
        panic!("not an object")
    };
    if path.len() == 1 {
        m.insert(path[0].to_owned(), v);
    } else {
        set(m.get_mut(path[0]).unwrap(), &path[1..], v);
    }
}

/// A repository in memory, signed with real keys.
struct Sim {
    files: BTreeMap<String, Vec<u8>>,
    keys: BTreeMap<Role, Vec<Rc<RepoKey>>>,
    first_root: Vec<u8>,
    thresholds: BTreeMap<Role, u64>,
    root_v: u64,
    ts_v: u64,
    snap_v: u64,
    targets_v: u64,
    expires: i64,
    /// The last signed objects, for tests that tamper with them.
    targets: Json,
    snapshot: Json,
}

impl Sim {
    fn new() -> Self {
        let mut s = Self {
            files: BTreeMap::new(),
            keys: [Role::Root, Role::Timestamp, Role::Snapshot, Role::Targets]
                .into_iter()
                .map(|r| (r, vec![key()]))
                .collect(),
            thresholds: BTreeMap::new(),
            root_v: 0,
            ts_v: 0,
            snap_v: 0,
            targets_v: 0,
            expires: NOW + 30 * DAY,
            targets: Json::Null,
            snapshot: Json::Null,
            first_root: Vec::new(),
        };
        s.bump_root();
        s.first_root = s.root_bytes(1);
        s
    }

    fn root_signed(&self) -> Json {
        let roles: BTreeMap<Role, RoleSpec<'_>> = self
            .keys
            .iter()
            .map(|(r, ks)| {
                (
                    *r,
                    RoleSpec {
                        keys: ks.iter().map(|k| &**k).collect(),
                        threshold: self.thresholds.get(r).copied().unwrap_or(1),
                    },
                )
            })
            .collect();
        repository::root_signed(self.root_v, self.expires + 300 * DAY, &roles).unwrap()
    }

    /// Publishes root version `root_v + 1` signed by the current root keys (and, after a
    /// rotation, the caller adds the old ones with `put_root_signed_by`).
    fn bump_root(&mut self) {
        self.root_v += 1;
        let signed = self.root_signed();
        let keys: Vec<&RepoKey> = self.keys[&Role::Root].iter().map(|k| &**k).collect();
        let text = repository::sign(&signed, &keys).unwrap();
        self.put(
            &format!("metadata/{}.root.json", self.root_v),
            text.into_bytes(),
        );
    }

    /// Rotates `role` to a fresh key and publishes the next root signed by old and new root keys.
    fn rotate(&mut self, role: Role) {
        let old_root: Vec<Rc<RepoKey>> = self.keys[&Role::Root].clone();
        self.keys.insert(role, vec![key()]);
        self.root_v += 1;
        let signed = self.root_signed();
        let mut signers: Vec<&RepoKey> = old_root.iter().map(|k| &**k).collect();
        for k in &self.keys[&Role::Root] {
            if !signers.iter().any(|s| s.keyid == k.keyid) {
                signers.push(k);
            }
        }
        let text = repository::sign(&signed, &signers).unwrap();
        self.put(
            &format!("metadata/{}.root.json", self.root_v),
            text.into_bytes(),
        );
    }

    fn root_bytes(&self, v: u64) -> Vec<u8> {
        self.files[&format!("metadata/{v}.root.json")].clone()
    }

    fn put(&mut self, path: &str, data: Vec<u8>) {
        self.files.insert(path.to_owned(), data);
    }

    fn sign(&self, role: Role, signed: &Json) -> Vec<u8> {
        let keys: Vec<&RepoKey> = self.keys[&role].iter().map(|k| &**k).collect();
        repository::sign(signed, &keys).unwrap().into_bytes()
    }

    /// Publishes `manifest` as a new targets, snapshot and timestamp version.
    fn publish(&mut self, manifest: &str) {
        self.targets_v += 1;
        let files = [(DEFAULT_TARGET, manifest.as_bytes())];
        self.targets = repository::targets_signed(self.targets_v, self.expires, &files);
        self.put(
            &format!(
                "targets/{}",
                repository::target_file_name(DEFAULT_TARGET, manifest.as_bytes())
            ),
            manifest.as_bytes().to_vec(),
        );
        self.put_targets();
        self.snapshot = repository::snapshot_signed(self.snap_v + 1, self.expires, self.targets_v);
        self.snap_v += 1;
        self.put_snapshot_and_timestamp();
    }

    fn put_targets(&mut self) {
        let b = self.sign(Role::Targets, &self.targets);
        self.put(&format!("metadata/{}.targets.json", self.targets_v), b);
    }

    fn put_snapshot_and_timestamp(&mut self) {
        let b = self.sign(Role::Snapshot, &self.snapshot);
        self.put(
            &format!("metadata/{}.snapshot.json", self.snap_v),
            b.clone(),
        );
        self.ts_v += 1;
        let ts = repository::timestamp_signed(self.ts_v, self.expires, self.snap_v, &b);
        let t = self.sign(Role::Timestamp, &ts);
        self.put("metadata/timestamp.json", t);
    }

    fn fetcher(&self) -> impl Fn(&str, u64) -> Fetched + '_ {
        move |url: &str, _max: u64| match url.strip_prefix(BASE).and_then(|p| self.files.get(p)) {
            Some(b) => Fetched::Bytes(b.clone()),
            None => Fetched::NotFound,
        }
    }

    fn updater(&self, baseline: &str) -> Updater<MemoryStore> {
        Updater::new(
            &self.root_bytes(1),
            Some(baseline),
            UpdaterConfig::new(BASE),
            MemoryStore::new(),
        )
        .unwrap()
    }
}

fn stored(up: &Updater<MemoryStore>) -> Option<Vec<u8>> {
    up.store().load().unwrap()
}

fn rejected(o: &Outcome) -> RejectKind {
    match o {
        Outcome::Rejected(r) => r.kind,
        other => panic!("expected a rejection, got {other}"),
    }
}

fn stale_reason(o: &Outcome) -> StaleReason {
    match o {
        Outcome::Stale(s) => s.reason,
        other => panic!("expected stale, got {other}"),
    }
}

/// Runs a cycle that must be refused and checks that the stored state and the active
/// manifest did not change.
fn refused(up: &mut Updater<MemoryStore>, sim: &Sim, now: i64) -> Outcome {
    let before = stored(up);
    let active = up.active();
    let o = up.refresh(&sim.fetcher(), now);
    assert!(!o.is_success(), "{o}");
    assert_eq!(
        stored(up),
        before,
        "a refused cycle changed the stored state ({o})"
    );
    assert!(
        std::sync::Arc::ptr_eq(&up.active(), &active),
        "active manifest changed ({o})"
    );
    o
}

#[test]
fn update_then_no_change_then_next_serial() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let mut up = sim.updater(&manifest(1));
    assert_eq!(up.active().serial, 1);
    assert_eq!(up.active().source, ActiveSource::Baseline);
    let old_policy = up.active().policy.clone();
    assert_eq!(
        up.refresh(&sim.fetcher(), NOW),
        Outcome::Updated { serial: 2 }
    );
    assert_eq!(up.active().serial, 2);
    assert_eq!(up.active().text, manifest(2));
    assert!(!std::sync::Arc::ptr_eq(&old_policy, &up.active().policy));
    assert_eq!(up.refresh(&sim.fetcher(), NOW + 10), Outcome::NoChange);
    sim.publish(&manifest(3));
    assert_eq!(
        up.refresh(&sim.fetcher(), NOW + 20),
        Outcome::Updated { serial: 3 }
    );

    // A new process: the stored state is LKG at once, without network.
    let doc = stored(&up).unwrap();
    let store = MemoryStore::new();
    store.save(&doc).unwrap();
    let again = Updater::new(
        &sim.root_bytes(1),
        Some(&manifest(1)),
        UpdaterConfig::new(BASE),
        store,
    )
    .unwrap();
    assert_eq!(again.active().serial, 3);
    assert_eq!(again.active().source, ActiveSource::Update);
    assert!(again.recovered().is_none());
}

#[test]
fn republishing_the_same_manifest_is_no_change_and_metadata_is_committed() {
    let mut sim = Sim::new();
    sim.publish(&manifest(1));
    let mut up = sim.updater(&manifest(1));
    assert_eq!(up.refresh(&sim.fetcher(), NOW), Outcome::NoChange);
    let ts1 = up.stored().unwrap().timestamp.clone();
    sim.publish(&manifest(1));
    assert_eq!(up.refresh(&sim.fetcher(), NOW), Outcome::NoChange);
    assert_ne!(
        up.stored().unwrap().timestamp,
        ts1,
        "fresher metadata is committed"
    );
}

#[test]
fn serial_must_increase_over_the_active_and_the_embedded_manifest() {
    // Lower than the embedded baseline.
    let mut sim = Sim::new();
    sim.publish(&manifest(4));
    let mut up = sim.updater(&manifest(5));
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Serial);

    // Same serial, different bytes.
    let mut sim = Sim::new();
    sim.publish(&(manifest(5) + "# edited\n"));
    let mut up = sim.updater(&manifest(5));
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Serial);

    // Lower than the stored one, whatever the TUF versions say.
    let mut sim = Sim::new();
    sim.publish(&manifest(7));
    let mut up = sim.updater(&manifest(1));
    assert!(up.refresh(&sim.fetcher(), NOW).is_success());
    sim.publish(&manifest(6));
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Serial);

    // A manifest delivered by update must carry a serial.
    let mut sim = Sim::new();
    sim.publish(&manifest(2).replace("serial = 2\n", ""));
    let mut up = sim.updater(&manifest(1));
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Serial);
}

#[test]
fn an_app_update_with_a_newer_baseline_wins_over_the_stored_manifest() {
    let mut sim = Sim::new();
    sim.publish(&manifest(3));
    let mut up = sim.updater(&manifest(1));
    assert!(up.refresh(&sim.fetcher(), NOW).is_success());
    let store = MemoryStore::new();
    store.save(&stored(&up).unwrap()).unwrap();
    let mut newer = Updater::new(
        &sim.root_bytes(1),
        Some(&manifest(9)),
        UpdaterConfig::new(BASE),
        store,
    )
    .unwrap();
    assert_eq!(newer.active().serial, 9);
    assert_eq!(newer.active().source, ActiveSource::Baseline);
    // The repository's serial 3 is now below what shipped.
    assert_eq!(
        rejected(&newer.refresh(&sim.fetcher(), NOW)),
        RejectKind::Serial
    );
}

#[test]
fn a_manifest_failing_the_manifest_rules_is_rejected() {
    let mut sim = Sim::new();
    // One pin only on an enforced domain: the backup-pin rule.
    sim.publish(&manifest(2).replace(&format!(", \"{PIN_B}\""), ""));
    let mut up = sim.updater(&manifest(1));
    let o = refused(&mut up, &sim, NOW);
    assert_eq!(rejected(&o), RejectKind::Manifest);
    assert!(o.to_string().contains("backup"), "{o}");
    // Not TOML at all; and a manifest that would pin nothing.
    for bad in ["serial = 2\nnot toml [", "version = 1\nserial = 2\n"] {
        let mut sim = Sim::new();
        sim.publish(bad);
        let mut up = sim.updater(&manifest(1));
        assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Manifest);
    }
}

#[test]
fn timestamp_rollback_and_snapshot_version_rollback() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let old_ts = sim.files["metadata/timestamp.json"].clone();
    sim.publish(&manifest(3));
    let mut up = sim.updater(&manifest(1));
    assert!(up.refresh(&sim.fetcher(), NOW).is_success());
    sim.put("metadata/timestamp.json", old_ts);
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Rollback);

    // A higher timestamp version that lists a lower snapshot version (rust-tuf #294).
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    sim.publish(&manifest(3));
    let mut up = sim.updater(&manifest(1));
    assert!(up.refresh(&sim.fetcher(), NOW).is_success());
    let snap1 = sim.files["metadata/1.snapshot.json"].clone();
    let ts = repository::timestamp_signed(sim.ts_v + 1, sim.expires, 1, &snap1);
    let b = sim.sign(Role::Timestamp, &ts);
    sim.put("metadata/timestamp.json", b);
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Rollback);
}

#[test]
fn targets_rollback_in_snapshot_and_targets_removal() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    sim.publish(&manifest(3));
    let mut up = sim.updater(&manifest(1));
    assert!(up.refresh(&sim.fetcher(), NOW).is_success());
    // New snapshot version listing targets version 1 (below the trusted 2).
    sim.snapshot = repository::snapshot_signed(sim.snap_v + 1, sim.expires, 1);
    sim.snap_v += 1;
    sim.put_snapshot_and_timestamp();
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Rollback);
    // A snapshot that no longer lists targets.json.
    let mut snap = repository::snapshot_signed(sim.snap_v + 1, sim.expires, 9);
    set(&mut snap, &["meta"], Json::Obj(SortedMap::new()));
    sim.snapshot = snap;
    sim.snap_v += 1;
    sim.put_snapshot_and_timestamp();
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Rollback);
}

#[test]
fn mix_and_match_snapshot_and_targets_versions() {
    // Timestamp names snapshot v2 but the file served under that name is v1's content.
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let snap1 = sim.files["metadata/1.snapshot.json"].clone();
    sim.publish(&manifest(3));
    sim.put("metadata/2.snapshot.json", snap1.clone());
    let mut up = sim.updater(&manifest(1));
    // The timestamp's hash catches it (same length) before any signature is checked.
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Hash);
    // Without hashes in the timestamp, the version rule catches it.
    let mut ts = repository::timestamp_signed(sim.ts_v + 1, sim.expires, 2, &snap1);
    set(&mut ts, &["meta", "snapshot.json"], {
        let mut m = SortedMap::new();
        m.insert("version".into(), Json::Int(2));
        Json::Obj(m)
    });
    let b = sim.sign(Role::Timestamp, &ts);
    sim.put("metadata/timestamp.json", b);
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Version);

    // Snapshot lists targets v2 but 2.targets.json holds v1 (snapshot lists no hashes).
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let t1 = sim.files["metadata/1.targets.json"].clone();
    sim.publish(&manifest(3));
    sim.put("metadata/2.targets.json", t1);
    let mut up = sim.updater(&manifest(1));
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Version);
}

#[test]
fn expired_roles_are_stale_and_lkg_stays() {
    for role in [Role::Timestamp, Role::Snapshot, Role::Targets] {
        let mut sim = Sim::new();
        sim.publish(&manifest(2));
        match role {
            Role::Targets => {
                set(
                    &mut sim.targets,
                    &["expires"],
                    Json::Str(format_time(NOW - 1)),
                );
                sim.put_targets();
                sim.snapshot =
                    repository::snapshot_signed(sim.snap_v + 1, sim.expires, sim.targets_v);
                sim.snap_v += 1;
                sim.put_snapshot_and_timestamp();
            }
            Role::Snapshot => {
                sim.snapshot = repository::snapshot_signed(sim.snap_v + 1, NOW - 1, sim.targets_v);
                sim.snap_v += 1;
                sim.put_snapshot_and_timestamp();
            }
            _ => {
                let snap = sim.files[&format!("metadata/{}.snapshot.json", sim.snap_v)].clone();
                let ts = repository::timestamp_signed(sim.ts_v + 1, NOW, sim.snap_v, &snap);
                let b = sim.sign(Role::Timestamp, &ts);
                sim.put("metadata/timestamp.json", b);
            }
        }
        let mut up = sim.updater(&manifest(1));
        let o = refused(&mut up, &sim, NOW);
        assert_eq!(stale_reason(&o), StaleReason::Expired, "{role:?}");
        assert!(o.to_string().contains(role.name()), "{o}");
    }
}

#[test]
fn expired_root_is_a_freeze_even_when_the_rest_is_fresh() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let mut up = sim.updater(&manifest(1));
    let root_expiry = sim.expires + 300 * DAY;
    let o = refused(&mut up, &sim, root_expiry);
    assert_eq!(stale_reason(&o), StaleReason::Expired);
    assert!(o.to_string().contains("root"));
}

#[test]
fn expired_local_state_recovers_when_the_server_signs_again() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let mut up = sim.updater(&manifest(1));
    assert!(up.refresh(&sim.fetcher(), NOW).is_success());
    let later = NOW + 40 * DAY; // local timestamp/snapshot/targets all expired
    assert_eq!(
        stale_reason(&refused(&mut up, &sim, later)),
        StaleReason::Expired
    );
    sim.expires = later + 30 * DAY;
    sim.publish(&manifest(3));
    assert_eq!(
        up.refresh(&sim.fetcher(), later),
        Outcome::Updated { serial: 3 }
    );
}

#[test]
fn threshold_counts_distinct_valid_keys() {
    // Targets threshold 2 of 2, signed by one key.
    let mut sim = Sim::new();
    sim.keys.get_mut(&Role::Targets).unwrap().push(key());
    sim.thresholds.insert(Role::Targets, 2);
    sim.rotate(Role::Root);
    sim.publish(&manifest(2));
    let one: Vec<&RepoKey> = sim.keys[&Role::Targets]
        .iter()
        .take(1)
        .map(|k| &**k)
        .collect();
    let b = repository::sign(&sim.targets, &one).unwrap();
    sim.put(
        &format!("metadata/{}.targets.json", sim.targets_v),
        b.into_bytes(),
    );
    sim.snapshot = repository::snapshot_signed(sim.snap_v + 1, sim.expires, sim.targets_v);
    sim.snap_v += 1;
    sim.put_snapshot_and_timestamp();
    let mut up = sim.updater(&manifest(1));
    assert_eq!(
        rejected(&refused(&mut up, &sim, NOW)),
        RejectKind::Signature
    );

    // The same key listed under two key ids, threshold 2: one key, counted once.
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let k = sim.keys[&Role::Targets][0].clone();
    let mut root = sim.root_signed();
    root = {
        let mut r = root;
        set(&mut r, &["version"], Json::Int(2));
        set(&mut r, &["keys", "deadbeef"], k.public_json().clone());
        set(
            &mut r,
            &["roles", "targets"],
            Json::Obj(SortedMap::from([
                (
                    "keyids".to_owned(),
                    Json::Arr(vec![
                        Json::Str(k.keyid.clone()),
                        Json::Str("deadbeef".into()),
                    ]),
                ),
                ("threshold".to_owned(), Json::Int(2)),
            ])),
        );
        r
    };
    let rb = sim.sign(Role::Root, &root);
    sim.put("metadata/2.root.json", rb);
    let msg = sim.targets.canonical();
    let sig = {
        let one: Vec<&RepoKey> = vec![&*k];
        let text = repository::sign(&sim.targets, &one).unwrap();
        let doc = parse_json(text.as_bytes()).unwrap();
        doc.as_obj().unwrap().get("signatures").unwrap().clone()
    };
    let Json::Arr(mut sigs) = sig else { panic!() };
    let mut dup = sigs[0].clone();
    set(&mut dup, &["keyid"], Json::Str("deadbeef".into()));
    sigs.push(dup);
    let env = Json::Obj(SortedMap::from([
        ("signed".to_owned(), sim.targets.clone()),
        ("signatures".to_owned(), Json::Arr(sigs)),
    ]));
    let _ = msg;
    sim.put(
        &format!("metadata/{}.targets.json", sim.targets_v),
        env.pretty().into_bytes(),
    );
    sim.snapshot = repository::snapshot_signed(sim.snap_v + 1, sim.expires, sim.targets_v);
    sim.snap_v += 1;
    sim.put_snapshot_and_timestamp();
    let mut up = sim.updater(&manifest(1));
    assert_eq!(
        rejected(&refused(&mut up, &sim, NOW)),
        RejectKind::Signature
    );
}

#[test]
fn duplicate_signature_keyids_are_a_format_error() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let text = String::from_utf8(sim.files["metadata/timestamp.json"].clone()).unwrap();
    let mut doc = parse_json(text.as_bytes()).unwrap();
    let Json::Obj(m) = &mut doc else { panic!() };
    let Some(Json::Arr(sigs)) = m.get_mut("signatures") else {
        panic!()
    };
    let first = sigs[0].clone();
    sigs.push(first);
    sim.put("metadata/timestamp.json", doc.pretty().into_bytes());
    let mut up = sim.updater(&manifest(1));
    let o = refused(&mut up, &sim, NOW);
    assert_eq!(rejected(&o), RejectKind::Format);
    assert!(o.to_string().contains("multiple signatures"), "{o}");
}

#[test]
fn keytype_scheme_mismatch_and_one_bad_signature_among_good_ones() {
    // Root lists the timestamp key with an ECDSA scheme: its signatures never count.
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let mut root = sim.root_signed();
    set(&mut root, &["version"], Json::Int(2));
    let id = sim.keys[&Role::Timestamp][0].keyid.clone();
    set(
        &mut root,
        &["keys", &id, "scheme"],
        Json::Str("ecdsa-sha2-nistp256".into()),
    );
    let rb = sim.sign(Role::Root, &root);
    sim.put("metadata/2.root.json", rb);
    let mut up = sim.updater(&manifest(1));
    assert_eq!(
        rejected(&refused(&mut up, &sim, NOW)),
        RejectKind::Signature
    );

    // Threshold 1, two timestamp keys; one signature is garbage: still accepted.
    let mut sim = Sim::new();
    sim.keys.get_mut(&Role::Timestamp).unwrap().push(key());
    sim.rotate(Role::Root);
    sim.publish(&manifest(2));
    let text = String::from_utf8(sim.files["metadata/timestamp.json"].clone()).unwrap();
    let mut doc = parse_json(text.as_bytes()).unwrap();
    let Json::Obj(m) = &mut doc else { panic!() };
    let Some(Json::Arr(sigs)) = m.get_mut("signatures") else {
        panic!()
    };
    assert_eq!(sigs.len(), 2);
    set(&mut sigs[1], &["sig"], Json::Str("00".repeat(64)));
    sim.put("metadata/timestamp.json", doc.pretty().into_bytes());
    let mut up = sim.updater(&manifest(1));
    assert_eq!(
        up.refresh(&sim.fetcher(), NOW),
        Outcome::Updated { serial: 2 }
    );
}

#[test]
fn target_hash_and_length_mismatch_and_limits() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let name = format!(
        "targets/{}",
        repository::target_file_name(DEFAULT_TARGET, manifest(2).as_bytes())
    );
    let mut evil = manifest(2).into_bytes();
    let last = evil.len() - 2;
    evil[last] ^= 1;
    sim.put(&name, evil);
    let mut up = sim.updater(&manifest(1));
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Hash);
    let mut longer = manifest(2).into_bytes();
    longer.push(b'\n');
    sim.put(&name, longer);
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Length);

    // A server that ignores max_len is cut off by the client.
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let mut big = sim.files["metadata/timestamp.json"].clone();
    big.resize(Limits::default().timestamp as usize + 1, b' ');
    sim.put("metadata/timestamp.json", big);
    let mut up = sim.updater(&manifest(1));
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Length);
}

#[test]
fn not_found_on_each_role_is_stale_offline() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    for path in [
        "metadata/timestamp.json".to_owned(),
        "metadata/1.snapshot.json".to_owned(),
        "metadata/1.targets.json".to_owned(),
        format!(
            "targets/{}",
            repository::target_file_name(DEFAULT_TARGET, manifest(2).as_bytes())
        ),
    ] {
        let mut s2 = Sim::new();
        s2.keys = std::mem::take(&mut sim.keys);
        s2.files = sim.files.clone();
        s2.files.remove(&path);
        let mut up = Updater::new(
            &sim.root_bytes(1),
            Some(&manifest(1)),
            UpdaterConfig::new(BASE),
            MemoryStore::new(),
        )
        .unwrap();
        let o = refused(&mut up, &s2, NOW);
        assert_eq!(stale_reason(&o), StaleReason::Offline, "{path}");
        assert!(o.to_string().contains(&path), "{o}");
        sim.keys = std::mem::take(&mut s2.keys);
    }
    // A transport error is offline too.
    let mut up = sim.updater(&manifest(1));
    let down = |_: &str, _: u64| Fetched::Error("connection refused".into());
    assert_eq!(stale_reason(&up.refresh(&down, NOW)), StaleReason::Offline);
}

#[test]
fn wrong_type_and_non_canonical_metadata_are_format_errors() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    // A snapshot signed by the timestamp key, served as timestamp.json.
    let b = sim.sign(Role::Timestamp, &sim.snapshot.clone());
    sim.put("metadata/timestamp.json", b);
    let mut up = sim.updater(&manifest(1));
    let o = refused(&mut up, &sim, NOW);
    assert_eq!(rejected(&o), RejectKind::Format);
    assert!(o.to_string().contains("_type"), "{o}");

    // A duplicate key and a float, each in otherwise well-signed metadata.
    for tweak in ["\"version\": 1,\n  \"version\": 1,", "\"version\": 1.0,"] {
        let mut sim = Sim::new();
        sim.publish(&manifest(2));
        let text = String::from_utf8(sim.files["metadata/timestamp.json"].clone()).unwrap();
        let text = text.replacen("\"version\": 1", tweak.trim_end_matches(','), 1);
        sim.put("metadata/timestamp.json", text.into_bytes());
        let mut up = sim.updater(&manifest(1));
        assert_eq!(
            rejected(&refused(&mut up, &sim, NOW)),
            RejectKind::Format,
            "{tweak}"
        );
    }
}

#[test]
fn root_rotation_chain_and_the_stored_root_is_trusted() {
    let mut sim = Sim::new();
    sim.rotate(Role::Root); // v2: new root key, signed by old and new
    sim.rotate(Role::Timestamp); // v3
    sim.rotate(Role::Root); // v4
    sim.publish(&manifest(2));
    let mut up = sim.updater(&manifest(1));
    assert_eq!(
        up.refresh(&sim.fetcher(), NOW),
        Outcome::Updated { serial: 2 }
    );
    let doc = stored(&up).unwrap();
    assert!(up.stored().unwrap().root.contains("\"version\": 4"));
    // Next process, app still embeds v1: the stored v4 is the trusted root.
    sim.files.retain(|p, _| !p.ends_with(".root.json"));
    sim.publish(&manifest(3));
    let store = MemoryStore::new();
    store.save(&doc).unwrap();
    let mut again = Updater::new(
        &sim.first_root,
        Some(&manifest(1)),
        UpdaterConfig::new(BASE),
        store,
    );
    let again = again.as_mut().unwrap();
    assert_eq!(
        again.refresh(&sim.fetcher(), NOW),
        Outcome::Updated { serial: 3 }
    );
}

#[test]
fn root_must_be_exactly_the_next_version_and_signed_by_both_thresholds() {
    // CVE-2025-2885: 2.root.json holds version 3.
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let mut root = sim.root_signed();
    set(&mut root, &["version"], Json::Int(3));
    let rb = sim.sign(Role::Root, &root);
    sim.put("metadata/2.root.json", rb);
    let mut up = sim.updater(&manifest(1));
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Version);

    // Signed by the new root key only, and by the old one only.
    for signer in ["new", "old"] {
        let mut sim = Sim::new();
        sim.publish(&manifest(2));
        let old = sim.keys[&Role::Root][0].clone();
        sim.keys.insert(Role::Root, vec![key()]);
        sim.root_v = 2;
        let root = sim.root_signed();
        let rb = if signer == "new" {
            sim.sign(Role::Root, &root)
        } else {
            repository::sign(&root, &[&*old]).unwrap().into_bytes()
        };
        sim.put("metadata/2.root.json", rb);
        let mut up = Updater::new(
            &sim.first_root,
            Some(&manifest(1)),
            UpdaterConfig::new(BASE),
            MemoryStore::new(),
        )
        .unwrap();
        assert_eq!(
            rejected(&refused(&mut up, &sim, NOW)),
            RejectKind::Signature,
            "{signer}"
        );
    }
}

#[test]
fn the_root_chain_is_bounded() {
    let mut sim = Sim::new();
    for _ in 0..6 {
        sim.bump_root();
    }
    sim.publish(&manifest(2));
    let mut cfg = UpdaterConfig::new(BASE);
    cfg.limits.max_root_rotations = 3;
    let counter = std::cell::Cell::new(0);
    let f = |url: &str, max: u64| {
        if url.ends_with(".root.json") {
            counter.set(counter.get() + 1);
        }
        sim.fetcher()(url, max)
    };
    let mut up = Updater::new(
        &sim.root_bytes(1),
        Some(&manifest(1)),
        cfg,
        MemoryStore::new(),
    )
    .unwrap();
    assert_eq!(up.refresh(&f, NOW), Outcome::Updated { serial: 2 });
    assert_eq!(counter.get(), 3);
    assert!(up.stored().unwrap().root.contains("\"version\": 4"));
}

#[test]
fn fast_forward_recovery_after_timestamp_and_snapshot_key_rotation() {
    for role in [Role::Timestamp, Role::Snapshot] {
        let mut sim = Sim::new();
        sim.publish(&manifest(2));
        let mut up = sim.updater(&manifest(1));
        assert!(up.refresh(&sim.fetcher(), NOW).is_success());
        // An attacker with the role's key pushed the client far ahead.
        match role {
            Role::Timestamp => sim.ts_v = 1000,
            _ => sim.snap_v = 1000,
        }
        sim.publish(&manifest(3));
        assert!(up.refresh(&sim.fetcher(), NOW).is_success());
        // The repository rotates the key and starts again from low versions.
        sim.rotate(role);
        sim.ts_v = 1;
        sim.snap_v = 1;
        sim.publish(&manifest(4));
        assert_eq!(
            up.refresh(&sim.fetcher(), NOW),
            Outcome::Updated { serial: 4 },
            "{role:?}"
        );
    }
    // Without the rotation the low versions are a rollback.
    let mut sim = Sim::new();
    sim.ts_v = 1000;
    sim.publish(&manifest(2));
    let mut up = sim.updater(&manifest(1));
    assert!(up.refresh(&sim.fetcher(), NOW).is_success());
    sim.ts_v = 1;
    sim.publish(&manifest(3));
    assert_eq!(rejected(&refused(&mut up, &sim, NOW)), RejectKind::Rollback);
}

#[test]
fn delegations_are_refused_not_skipped() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    set(
        &mut sim.targets,
        &["delegations"],
        Json::Obj(SortedMap::from([
            ("keys".to_owned(), Json::Obj(SortedMap::new())),
            ("roles".to_owned(), Json::Arr(vec![])),
        ])),
    );
    sim.put_targets();
    sim.snapshot = repository::snapshot_signed(sim.snap_v + 1, sim.expires, sim.targets_v);
    sim.snap_v += 1;
    sim.put_snapshot_and_timestamp();
    let mut up = sim.updater(&manifest(1));
    assert_eq!(
        rejected(&refused(&mut up, &sim, NOW)),
        RejectKind::Unsupported
    );
}

#[test]
fn clock_behind_the_floor_uses_the_floor() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let mut up = sim.updater(&manifest(1));
    assert!(up.refresh(&sim.fetcher(), NOW).is_success());
    assert_eq!(up.floor(), NOW);
    // New metadata that expired before the floor; a clock set back a week would accept it.
    sim.expires = NOW - DAY;
    sim.publish(&manifest(3));
    let o = refused(&mut up, &sim, NOW - 7 * DAY);
    assert_eq!(stale_reason(&o), StaleReason::Expired);
    // The floor never goes down.
    sim.expires = NOW + 30 * DAY;
    sim.publish(&manifest(4));
    assert!(up.refresh(&sim.fetcher(), NOW - 7 * DAY).is_success());
    assert_eq!(up.floor(), NOW);
}

#[test]
fn clock_ahead_is_stale_never_a_lock_out() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let mut up = sim.updater(&manifest(1));
    assert!(up.refresh(&sim.fetcher(), NOW).is_success());
    // The user's clock jumps a year ahead: fresh metadata looks expired.
    sim.publish(&manifest(3));
    let ahead = NOW + 365 * DAY;
    assert_eq!(
        stale_reason(&refused(&mut up, &sim, ahead)),
        StaleReason::Expired
    );
    assert_eq!(up.floor(), NOW, "a stale cycle never moves the floor");
    // The clock is fixed: the update goes through.
    assert_eq!(
        up.refresh(&sim.fetcher(), NOW + 60),
        Outcome::Updated { serial: 3 }
    );
}

/// A store whose save fails, as if the process died between download and commit.
#[derive(Debug, Default)]
struct CrashingStore {
    inner: MemoryStore,
}

impl Store for CrashingStore {
    fn load(&self) -> Result<Option<Vec<u8>>, String> {
        self.inner.load()
    }
    fn save(&self, _: &[u8]) -> Result<(), String> {
        Err("killed before commit".into())
    }
}

#[test]
fn crash_between_download_and_commit_changes_nothing() {
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let mut up = sim.updater(&manifest(1));
    assert!(up.refresh(&sim.fetcher(), NOW).is_success());
    let doc = stored(&up).unwrap();
    sim.publish(&manifest(3));
    let store = CrashingStore::default();
    store.inner.save(&doc).unwrap();
    let mut up = Updater::new(
        &sim.root_bytes(1),
        Some(&manifest(1)),
        UpdaterConfig::new(BASE),
        store,
    )
    .unwrap();
    let o = up.refresh(&sim.fetcher(), NOW);
    assert_eq!(stale_reason(&o), StaleReason::Storage);
    assert_eq!(
        up.active().serial,
        2,
        "the new manifest is not active until committed"
    );
    assert_eq!(up.store().load().unwrap().unwrap(), doc);

    // On disk: a temporary file left by a crash is never read, and a rejected cycle leaves
    // every file byte-identical.
    let dir = std::env::temp_dir().join(format!("pinset-update-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ds = DirStore::new(&dir);
    ds.save(&doc).unwrap();
    std::fs::write(dir.join(".state.json.tmp"), b"half-written").unwrap();
    let snapshot = |d: &std::path::Path| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = snapshot(&dir);
    let mut up = Updater::new(
        &sim.root_bytes(1),
        Some(&manifest(1)),
        UpdaterConfig::new(BASE),
        ds,
    )
    .unwrap();
    assert_eq!(up.active().serial, 2);
    assert_eq!(
        std::fs::read_to_string(dir.join("manifest.toml")).unwrap(),
        manifest(2)
    );
    sim.publish(&manifest(1));
    assert_eq!(
        rejected(&up.refresh(&sim.fetcher(), NOW)),
        RejectKind::Serial
    );
    assert_eq!(snapshot(&dir), before);
    sim.publish(&manifest(5));
    assert_eq!(
        up.refresh(&sim.fetcher(), NOW),
        Outcome::Updated { serial: 5 }
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("manifest.toml")).unwrap(),
        manifest(5)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_rejected_snapshot_does_not_leave_its_timestamp_behind() {
    // CVE-2025-2888: the new timestamp passed, its snapshot failed; the next cycle, with the
    // repository fixed, must not be stuck behind a cached timestamp.
    let mut sim = Sim::new();
    sim.publish(&manifest(2));
    let mut up = sim.updater(&manifest(1));
    assert!(up.refresh(&sim.fetcher(), NOW).is_success());
    sim.publish(&manifest(3));
    let good = sim.files[&format!("metadata/{}.snapshot.json", sim.snap_v)].clone();
    sim.put(
        &format!("metadata/{}.snapshot.json", sim.snap_v),
        b"{}".to_vec(),
    );
    assert!(matches!(refused(&mut up, &sim, NOW), Outcome::Rejected(_)));
    sim.put(&format!("metadata/{}.snapshot.json", sim.snap_v), good);
    assert_eq!(
        up.refresh(&sim.fetcher(), NOW),
        Outcome::Updated { serial: 3 }
    );
}

#[test]
fn unreadable_stored_state_falls_back_to_the_baseline() {
    let sim = Sim::new();
    for doc in [&b"not json"[..], b"{\"format\":9}"] {
        let store = MemoryStore::new();
        store.save(doc).unwrap();
        let up = Updater::new(
            &sim.root_bytes(1),
            Some(&manifest(1)),
            UpdaterConfig::new(BASE),
            store,
        )
        .unwrap();
        assert_eq!(up.active().source, ActiveSource::Baseline);
        assert!(up.recovered().is_some());
    }
    // No state and no baseline: nothing to pin with is an error, never an empty policy.
    let e = Updater::new(
        &sim.root_bytes(1),
        None,
        UpdaterConfig::new(BASE),
        MemoryStore::new(),
    )
    .unwrap_err();
    assert_eq!(e, UpdateError::NoManifest);
}

#[test]
fn embedded_root_must_be_valid_and_self_signed() {
    let sim = Sim::new();
    // Threshold 0 would disable verification (GHSA-fphv-w9fq-2525): refused at parse.
    let mut root = sim.root_signed();
    set(&mut root, &["roles", "root", "threshold"], Json::Int(0));
    let rb = sim.sign(Role::Root, &root);
    let e = Updater::new(
        &rb,
        Some(&manifest(1)),
        UpdaterConfig::new(BASE),
        MemoryStore::new(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, UpdateError::Root(m) if m.contains("threshold")),
        "{e}"
    );
    // Signed by a key root does not list.
    let other = key();
    let rb = repository::sign(&sim.root_signed(), &[&other]).unwrap();
    let e = Updater::new(
        rb.as_bytes(),
        Some(&manifest(1)),
        UpdaterConfig::new(BASE),
        MemoryStore::new(),
    )
    .unwrap_err();
    assert!(matches!(e, UpdateError::Root(_)));
    // Target paths never come from metadata, and the configured one is checked.
    let mut cfg = UpdaterConfig::new(BASE);
    cfg.target = "../etc/pins.toml".into();
    assert!(matches!(
        Updater::new(
            &sim.root_bytes(1),
            Some(&manifest(1)),
            cfg,
            MemoryStore::new()
        ),
        Err(UpdateError::Config(_))
    ));
}

#[test]
fn ecdsa_p256_repository_keys_verify() {
    let rng = SystemRandom::new();
    let der = ring::signature::EcdsaKeyPair::generate_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &rng,
    )
    .unwrap();
    let ec = RepoKey::from_pkcs8(der.as_ref()).unwrap();
    let mut sim = Sim::new();
    sim.keys.insert(Role::Targets, vec![Rc::new(ec)]);
    sim.rotate(Role::Root);
    sim.publish(&manifest(2));
    let mut up = sim.updater(&manifest(1));
    assert_eq!(
        up.refresh(&sim.fetcher(), NOW),
        Outcome::Updated { serial: 2 }
    );
}
