//! `PinsetUpdater`: the core's TUF client behind the FFI with a foreign fetch callback and a
//! foreign or directory store. Repositories are signed at test time with the core's repository
//! API (Ed25519 keys made by rcgen); the fetch callback serves them from memory.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use pinset::update::Role;
use pinset::update::repository::{self, RepoKey, RoleSpec};
use pinset_ffi::{
    DecisionKind, FetchResult, PinReporter, PinsetError, PinsetUpdater, UpdateFetcher,
    UpdateOutcomeKind, UpdateStore, pin_of_certificate,
};
use rcgen::{CertificateParams, KeyPair};

const NOW: i64 = 1_800_000_000;
const BASE: &str = "https://updates.example/";

fn cert(host: &str) -> Vec<u8> {
    let key = KeyPair::generate().unwrap();
    CertificateParams::new(vec![host.to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .der()
        .to_vec()
}

fn manifest(serial: u64, pins: [&str; 2]) -> String {
    format!(
        "version = 1\nserial = {serial}\n\n[[domain]]\nname = \"api.example.com\"\npins = [\"{}\", \"{}\"]\n",
        pins[0], pins[1]
    )
}

/// A TUF repository in memory (path below `BASE` → bytes), one Ed25519 key for every role.
struct Repo {
    key: RepoKey,
    files: Mutex<HashMap<String, Vec<u8>>>,
    version: Mutex<u64>,
    offline: Mutex<bool>,
    throw: Mutex<bool>,
    log: Mutex<Vec<(String, u64)>>,
}

impl Repo {
    fn new() -> Arc<Self> {
        let der = KeyPair::generate_for(&rcgen::PKCS_ED25519)
            .unwrap()
            .serialize_der();
        let key = RepoKey::from_pkcs8(&der).unwrap();
        let r = Arc::new(Self {
            key,
            files: Mutex::new(HashMap::new()),
            version: Mutex::new(0),
            offline: Mutex::new(false),
            throw: Mutex::new(false),
            log: Mutex::new(Vec::new()),
        });
        let mut roles = BTreeMap::new();
        for role in [Role::Root, Role::Timestamp, Role::Snapshot, Role::Targets] {
            roles.insert(
                role,
                RoleSpec {
                    keys: vec![&r.key],
                    threshold: 1,
                },
            );
        }
        let root = repository::sign(
            &repository::root_signed(1, NOW + 365 * 86400, &roles).unwrap(),
            &[&r.key],
        )
        .unwrap();
        r.put("metadata/1.root.json", root.into_bytes());
        r
    }

    fn root(&self) -> Vec<u8> {
        self.files.lock().unwrap()["metadata/1.root.json"].clone()
    }

    fn put(&self, path: &str, bytes: Vec<u8>) {
        self.files.lock().unwrap().insert(path.to_owned(), bytes);
    }

    /// Publishes `manifest` as the next targets/snapshot/timestamp version; returns the target
    /// file's path.
    fn publish(&self, manifest: &str) -> String {
        let mut v = self.version.lock().unwrap();
        *v += 1;
        let exp = NOW + 30 * 86400;
        let data = manifest.as_bytes();
        let targets = repository::sign(
            &repository::targets_signed(*v, exp, &[("pinset/manifest.toml", data)]),
            &[&self.key],
        )
        .unwrap();
        let snapshot =
            repository::sign(&repository::snapshot_signed(*v, exp, *v), &[&self.key]).unwrap();
        let timestamp = repository::sign(
            &repository::timestamp_signed(*v, exp, *v, snapshot.as_bytes()),
            &[&self.key],
        )
        .unwrap();
        let target = format!(
            "targets/{}",
            repository::target_file_name("pinset/manifest.toml", data)
        );
        self.put(&target, data.to_vec());
        self.put(&format!("metadata/{v}.targets.json"), targets.into_bytes());
        self.put(
            &format!("metadata/{v}.snapshot.json"),
            snapshot.into_bytes(),
        );
        self.put("metadata/timestamp.json", timestamp.into_bytes());
        target
    }
}

impl UpdateFetcher for Repo {
    fn fetch(&self, url: String, max_len: u64) -> Result<FetchResult, PinsetError> {
        self.log.lock().unwrap().push((url.clone(), max_len));
        if *self.throw.lock().unwrap() {
            return Err(PinsetError::Callback {
                reason: "IOException: boom".into(),
            });
        }
        if *self.offline.lock().unwrap() {
            return Ok(FetchResult::Failed {
                reason: "connection refused".into(),
            });
        }
        let path = url.strip_prefix(BASE).unwrap();
        Ok(match self.files.lock().unwrap().get(path) {
            Some(b) => FetchResult::Bytes { body: b.clone() },
            None => FetchResult::NotFound,
        })
    }
}

#[derive(Debug, Default)]
struct Sink(Mutex<Vec<String>>);
impl PinReporter for Sink {
    fn report(&self, json: String, _report_uris: Vec<String>) -> Result<(), PinsetError> {
        self.0.lock().unwrap().push(json);
        Ok(())
    }
}

#[derive(Debug, Default)]
struct MemStore(Mutex<Option<Vec<u8>>>, Mutex<usize>);
impl UpdateStore for MemStore {
    fn load(&self) -> Result<Option<Vec<u8>>, PinsetError> {
        Ok(self.0.lock().unwrap().clone())
    }
    fn save(&self, document: Vec<u8>) -> Result<(), PinsetError> {
        *self.1.lock().unwrap() += 1;
        *self.0.lock().unwrap() = Some(document);
        Ok(())
    }
}

fn updater(repo: &Arc<Repo>, baseline: &str, store: &Arc<MemStore>) -> Arc<PinsetUpdater> {
    PinsetUpdater::with_store(
        repo.root(),
        Some(baseline.to_owned()),
        BASE.into(),
        None,
        HashMap::new(),
        repo.clone(),
        store.clone(),
    )
    .unwrap()
}

fn decide(u: &PinsetUpdater, chain: &[u8]) -> DecisionKind {
    u.pinset()
        .evaluate("api.example.com".into(), vec![chain.to_vec()], NOW, None)
        .unwrap()
        .kind
}

#[test]
fn lkg_at_construction_then_updated_no_change_rejected_stale() {
    let (old_cert, new_cert, backup) = (
        cert("api.example.com"),
        cert("api.example.com"),
        cert("b.example"),
    );
    let (old_pin, new_pin, backup_pin) = (
        pin_of_certificate(old_cert.clone()).unwrap(),
        pin_of_certificate(new_cert.clone()).unwrap(),
        pin_of_certificate(backup).unwrap(),
    );
    let repo = Repo::new();
    let store = Arc::new(MemStore::default());
    let baseline = manifest(1, [&old_pin, &backup_pin]);
    let u = updater(&repo, &baseline, &store);
    // LKG pins synchronously, no fetch yet.
    assert!(repo.log.lock().unwrap().is_empty());
    assert_eq!(u.serial(), 1);
    assert_eq!(decide(&u, &old_cert), DecisionKind::Trusted);
    assert_eq!(decide(&u, &new_cert), DecisionKind::Violation);

    // The baseline's reporter carries over to new pins.
    let sink = Arc::new(Sink::default());
    u.pinset().set_reporter(Some(sink.clone()));
    let before = u.pinset();

    // An empty repository: timestamp.json is 404 → stale, LKG stays.
    let o = u.refresh(NOW);
    assert_eq!(
        (o.kind, o.reason.as_str()),
        (UpdateOutcomeKind::Stale, "offline")
    );
    assert!(Arc::ptr_eq(&before, &u.pinset()));

    repo.publish(&manifest(2, [&new_pin, &backup_pin]));
    let o = u.refresh(NOW + 60);
    assert_eq!(
        (o.kind, o.serial),
        (UpdateOutcomeKind::Updated, 2),
        "{}",
        o.message
    );
    assert_eq!(o.message, "updated: serial 2");
    let after = u.pinset();
    assert!(
        !Arc::ptr_eq(&before, &after),
        "a new Pinset per accepted serial"
    );
    assert_eq!(decide(&u, &new_cert), DecisionKind::Trusted);
    assert_eq!(decide(&u, &old_cert), DecisionKind::Violation);
    // The old object keeps its pins (connections holding it are not half-updated).
    assert_eq!(
        before
            .evaluate("api.example.com".into(), vec![old_cert.clone()], NOW, None)
            .unwrap()
            .kind,
        DecisionKind::Trusted
    );
    assert_eq!(u.manifest(), manifest(2, [&new_pin, &backup_pin]));
    // Every download was bounded.
    assert!(
        repo.log
            .lock()
            .unwrap()
            .iter()
            .all(|(_, max)| *max > 0 && *max <= 1024 * 1024)
    );

    let o = u.refresh(NOW + 120);
    assert_eq!(o.kind, UpdateOutcomeKind::NoChange, "{}", o.message);
    assert!(Arc::ptr_eq(&after, &u.pinset()));

    // A tampered target (same name and length, other bytes): rejected, LKG and store unchanged,
    // reported to the reporter that the baseline's Pinset had.
    let stored = store.0.lock().unwrap().clone();
    let target = repo.publish(&manifest(3, [&new_pin, &backup_pin]));
    let mut evil = repo.files.lock().unwrap()[&target].clone();
    let i = evil.iter().position(|&c| c == b'3').unwrap();
    evil[i] = b'4';
    repo.put(&target, evil);
    let o = u.refresh(NOW + 180);
    assert_eq!(
        (o.kind, o.reason.as_str(), o.serial),
        (UpdateOutcomeKind::Rejected, "hash", 2)
    );
    assert!(Arc::ptr_eq(&after, &u.pinset()));
    assert_eq!(*store.0.lock().unwrap(), stored);
    // (The other reports are the pin violations of `decide(old_cert)` above.)
    let rejected = || -> Vec<String> {
        let all = sink.0.lock().unwrap();
        all.iter()
            .filter(|r| r.contains("update-rejected"))
            .cloned()
            .collect()
    };
    let reports = rejected();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let r: serde_json::Value = serde_json::from_str(&reports[0]).unwrap();
    assert_eq!(r["validation-result"], "update-rejected");
    assert_eq!(r["reason"], "hash");
    assert_eq!(r["update-repository"], BASE);
    assert_eq!(r["active-serial"], 2);
    // The same rejection again within 24 h is not reported twice.
    assert_eq!(u.refresh(NOW + 240).kind, UpdateOutcomeKind::Rejected);
    assert_eq!(rejected().len(), 1);

    // Server down, and a throwing callback: stale, LKG stays.
    *repo.offline.lock().unwrap() = true;
    let o = u.refresh(NOW + 300);
    assert_eq!(
        (o.kind, o.reason.as_str()),
        (UpdateOutcomeKind::Stale, "offline")
    );
    *repo.throw.lock().unwrap() = true;
    let o = u.refresh(NOW + 300);
    assert_eq!(
        (o.kind, o.reason.as_str()),
        (UpdateOutcomeKind::Stale, "offline")
    );
    assert!(o.message.contains("boom"), "{}", o.message);
    assert!(Arc::ptr_eq(&after, &u.pinset()));

    // A new process: the stored serial 2 is active at construction, without network.
    repo.log.lock().unwrap().clear();
    let again = updater(&repo, &baseline, &store);
    assert_eq!(again.serial(), 2);
    assert_eq!(decide(&again, &new_cert), DecisionKind::Trusted);
    assert!(repo.log.lock().unwrap().is_empty());
    assert_eq!(again.recovered(), None);
}

#[test]
fn directory_store_and_construction_errors() {
    let (c, b) = (cert("api.example.com"), cert("b.example"));
    let (p, bp) = (
        pin_of_certificate(c.clone()).unwrap(),
        pin_of_certificate(b).unwrap(),
    );
    let repo = Repo::new();
    repo.publish(&manifest(2, [&p, &bp]));
    let dir = tempfile::tempdir().unwrap();
    let mk = |root: Vec<u8>, baseline: Option<String>, url: &str| {
        PinsetUpdater::with_directory(
            root,
            baseline,
            url.into(),
            None,
            HashMap::new(),
            repo.clone(),
            dir.path().to_str().unwrap().into(),
        )
    };
    // No manifest at all, a root that is not self-signed root metadata, an invalid baseline,
    // a target outside the repository: errors, never an updater without pins.
    for (root, baseline, target) in [
        (repo.root(), None, None),
        (b"{}".to_vec(), Some(manifest(1, [&p, &bp])), None),
        (
            repo.root(),
            Some("version = 1\n[[domain]]\nname = \"x\"\n".into()),
            None,
        ),
        (
            repo.root(),
            Some(manifest(1, [&p, &bp])),
            Some("../x".to_owned()),
        ),
    ] {
        let e = PinsetUpdater::with_directory(
            root,
            baseline,
            BASE.into(),
            target,
            HashMap::new(),
            repo.clone(),
            dir.path().to_str().unwrap().into(),
        )
        .unwrap_err();
        assert!(matches!(e, PinsetError::Update { .. }), "{e:?}");
    }
    let u = mk(repo.root(), Some(manifest(1, [&p, &bp])), BASE).unwrap();
    assert_eq!(u.refresh(NOW).kind, UpdateOutcomeKind::Updated);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("manifest.toml")).unwrap(),
        manifest(2, [&p, &bp])
    );
    // A new updater over the same directory starts from serial 2, even without a baseline.
    let u = mk(repo.root(), None, BASE).unwrap();
    assert_eq!(u.serial(), 2);
    // A corrupted state file: the baseline, never no pins, and `recovered` says why.
    std::fs::write(dir.path().join("state.json"), b"{not json").unwrap();
    let u = mk(repo.root(), Some(manifest(1, [&p, &bp])), BASE).unwrap();
    assert_eq!(u.serial(), 1);
    assert!(u.recovered().is_some());
}

/// A verified update whose manifest names a trust-anchor file the app did not supply is
/// rejected before the core commits it: the state document, the serial, the manifest text and
/// the pins in force all stay as they were, and the next launch still starts from them.
#[test]
fn an_update_naming_an_unsupplied_anchor_file_is_rejected_before_commit() {
    let (c, backup) = (cert("api.example.com"), cert("b.example"));
    let (pin, backup_pin) = (
        pin_of_certificate(c.clone()).unwrap(),
        pin_of_certificate(backup).unwrap(),
    );
    let repo = Repo::new();
    let store = Arc::new(MemStore::default());
    let baseline = manifest(1, [&pin, &backup_pin]);
    let u = updater(&repo, &baseline, &store);
    repo.publish(&manifest(2, [&pin, &backup_pin]));
    assert_eq!(u.refresh(NOW).kind, UpdateOutcomeKind::Updated);
    let committed = store.0.lock().unwrap().clone().unwrap();
    let saves = *store.1.lock().unwrap();

    let with_anchor = format!(
        "{}trust_anchors = [\"system\", \"corp.pem\"]\n",
        manifest(3, [&pin, &backup_pin])
    );
    repo.publish(&with_anchor);
    let out = u.refresh(NOW);
    assert_eq!(out.kind, UpdateOutcomeKind::Rejected, "{}", out.message);
    assert_eq!(out.reason, "manifest", "{}", out.message);
    assert!(out.message.contains("corp.pem"), "{}", out.message);
    assert_eq!(out.serial, 2);
    assert_eq!(u.serial(), 2);
    assert_eq!(u.manifest(), manifest(2, [&pin, &backup_pin]));
    assert_eq!(*store.1.lock().unwrap(), saves, "nothing saved");
    assert_eq!(store.0.lock().unwrap().clone().unwrap(), committed);
    assert_eq!(decide(&u, &c), DecisionKind::Trusted);

    // The next launch starts from the same committed state.
    let again = updater(&repo, &baseline, &store);
    assert_eq!(again.serial(), 2);
    assert!(again.recovered().is_none());
}
