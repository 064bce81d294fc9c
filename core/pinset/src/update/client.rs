//! The refresh cycle: TUF's detailed client workflow, then the manifest rules and the serial.

use std::borrow::Cow;
use std::sync::Arc;

use super::metadata::{
    DigestMismatch, Envelope, MetaError, Role, Root, Snapshot, Targets, Timestamp,
    check_length_and_hashes,
};
use super::state::{Store, StoredState};
use super::{
    Fetched, Fetcher, Limits, Outcome, RejectKind, Rejection, Stale, StaleReason, UpdateError,
};
use crate::manifest::Manifest;
use crate::policy::Policy;

/// Where the updater finds its repository and target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdaterConfig {
    /// Base URL of the repository, ending in `/`; `metadata/` and `targets/` are below it.
    pub repository: String,
    /// The manifest's target path (default [`super::DEFAULT_TARGET`]).
    pub target: String,
    /// Download limits.
    pub limits: Limits,
}

impl UpdaterConfig {
    /// A configuration for `repository` with the default target and limits (a missing
    /// trailing `/` is added).
    pub fn new(repository: &str) -> Self {
        let mut repository = repository.to_owned();
        if !repository.ends_with('/') {
            repository.push('/');
        }
        Self {
            repository,
            target: super::DEFAULT_TARGET.to_owned(),
            limits: Limits::default(),
        }
    }
}

/// Where the active manifest came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveSource {
    /// The baseline embedded in the app.
    Baseline,
    /// A verified update (stored state).
    Update,
}

/// The active manifest: what pins are enforced now. A new `Active` (and a new [`Policy`]) is
/// made for every accepted serial, so a TLS stack built from it starts with fresh session
/// state (build a new `PinningConfig` from [`Active::policy`]; resumed sessions would
/// otherwise keep old pins alive).
#[derive(Debug)]
pub struct Active {
    /// The manifest's TOML text, byte for byte as verified.
    pub text: String,
    /// The parsed manifest.
    pub manifest: Manifest,
    /// Its serial (0 for a baseline without one).
    pub serial: u64,
    /// Where it came from.
    pub source: ActiveSource,
    /// The policy built from it.
    pub policy: Arc<Policy>,
}

impl Active {
    fn new(text: String, manifest: Manifest, source: ActiveSource) -> Self {
        let serial = manifest.serial.unwrap_or(0);
        let policy = Arc::new(Policy::new(manifest.clone()));
        Self {
            text,
            manifest,
            serial,
            source,
            policy,
        }
    }
}

/// Metadata trusted under `root` (each piece verified against exactly that root).
#[derive(Debug, Clone)]
struct Trusted {
    root: (String, Root),
    timestamp: Option<(String, Timestamp)>,
    snapshot: Option<(String, Snapshot)>,
    targets: Option<(String, Targets)>,
}

enum Fail {
    Stale(Stale),
    Rejected(Rejection),
}

fn reject(kind: RejectKind, detail: impl Into<String>) -> Fail {
    Fail::Rejected(Rejection {
        kind,
        detail: detail.into(),
    })
}

fn stale(reason: StaleReason, detail: impl Into<String>) -> Fail {
    Fail::Stale(Stale {
        reason,
        detail: detail.into(),
    })
}

fn meta_fail(e: MetaError) -> Fail {
    match e {
        MetaError::Format(m) => reject(RejectKind::Format, m),
        MetaError::Unsupported(m) => reject(RejectKind::Unsupported, m),
        MetaError::Signature(m) => reject(RejectKind::Signature, m),
    }
}

fn digest_fail(what: &str, e: DigestMismatch) -> Fail {
    match e {
        DigestMismatch::Length(m) => reject(RejectKind::Length, format!("{what}: {m}")),
        DigestMismatch::Hash(m) => reject(RejectKind::Hash, format!("{what}: {m}")),
    }
}

/// Parses `bytes` as `role` and checks `root`'s threshold for it.
fn verified<T>(
    root: &Root,
    role: Role,
    bytes: &[u8],
    parse: fn(&crate::update::cjson::Json) -> Result<T, MetaError>,
) -> Result<T, MetaError> {
    let env = Envelope::parse(bytes, role)?;
    let meta = parse(&env.signed)?;
    root.verify_role(role, &env)?;
    Ok(meta)
}

/// Parses root bytes that must be signed by their own threshold.
fn self_signed_root(bytes: &[u8]) -> Result<Root, MetaError> {
    let env = Envelope::parse(bytes, Role::Root)?;
    let root = Root::from_signed(&env.signed)?;
    root.verify_role(Role::Root, &env)?;
    Ok(root)
}

fn check_target_path(t: &str) -> Result<(), UpdateError> {
    let ok = !t.is_empty()
        && t.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c))
        });
    if ok {
        Ok(())
    } else {
        Err(UpdateError::Config(format!(
            "target {t:?} must be '/'-separated segments of [A-Za-z0-9._-], without '.' or '..'"
        )))
    }
}

/// A TUF client for one pin manifest, with its stored last-known-good state.
#[derive(Debug)]
pub struct Updater<S: Store> {
    config: UpdaterConfig,
    store: S,
    embedded: (String, Root),
    baseline: Option<Arc<Active>>,
    /// Committed state, as stored.
    state: Option<StoredState>,
    /// The committed metadata, verified against its root.
    trusted: Option<Trusted>,
    active: Arc<Active>,
    recovered: Option<String>,
}

impl<S: Store> Updater<S> {
    /// Creates an updater from the app's embedded `root.json`, its baseline manifest (used
    /// while the store holds none, and whenever its serial is higher than the stored one),
    /// and the store. Pins are available from [`Self::active`] at once, without network.
    ///
    /// A stored state that cannot be read or verified is set aside (see [`Self::recovered`])
    /// and the baseline is used: never fewer pins, never none.
    pub fn new(
        root_json: &[u8],
        baseline: Option<&str>,
        config: UpdaterConfig,
        store: S,
    ) -> Result<Self, UpdateError> {
        if !(config.repository.ends_with('/')) {
            return Err(UpdateError::Config(
                "repository URL must end with '/'".into(),
            ));
        }
        check_target_path(&config.target)?;
        let root_text = std::str::from_utf8(root_json)
            .map_err(|_| UpdateError::Root("not UTF-8".into()))?
            .to_owned();
        let root = self_signed_root(root_json).map_err(|e| UpdateError::Root(e.to_string()))?;
        let baseline = baseline
            .map(|text| {
                let m = Manifest::parse_with(text, "<baseline>", None, None)
                    .map_err(|e| UpdateError::Baseline(e.to_string()))?;
                Ok::<_, UpdateError>(Arc::new(Active::new(
                    text.to_owned(),
                    m.manifest,
                    ActiveSource::Baseline,
                )))
            })
            .transpose()?;
        let (state, trusted, stored_active, recovered) = match store.load() {
            Ok(None) => (None, None, None, None),
            Ok(Some(doc)) => match Self::load_state(&doc) {
                Ok((s, t, a)) => (Some(s), Some(t), Some(a), None),
                Err(e) => (None, None, None, Some(e)),
            },
            Err(e) => (None, None, None, Some(e)),
        };
        let active = match (stored_active, &baseline) {
            (Some(s), Some(b)) if b.serial > s.serial => b.clone(),
            (Some(s), _) => Arc::new(s),
            (None, Some(b)) => b.clone(),
            (None, None) => return Err(UpdateError::NoManifest),
        };
        Ok(Self {
            config,
            store,
            embedded: (root_text, root),
            baseline,
            state,
            trusted,
            active,
            recovered,
        })
    }

    fn load_state(doc: &[u8]) -> Result<(StoredState, Trusted, Active), String> {
        let s = StoredState::decode(doc)?;
        let root = self_signed_root(s.root.as_bytes()).map_err(|e| format!("stored root: {e}"))?;
        let ts = verified(
            &root,
            Role::Timestamp,
            s.timestamp.as_bytes(),
            Timestamp::from_signed,
        )
        .map_err(|e| format!("stored timestamp: {e}"))?;
        let snap = verified(
            &root,
            Role::Snapshot,
            s.snapshot.as_bytes(),
            Snapshot::from_signed,
        )
        .map_err(|e| format!("stored snapshot: {e}"))?;
        let targets = verified(
            &root,
            Role::Targets,
            s.targets.as_bytes(),
            Targets::from_signed,
        )
        .map_err(|e| format!("stored targets: {e}"))?;
        let m = Manifest::parse_with(&s.manifest, "<stored>", None, None)
            .map_err(|e| format!("stored manifest: {e}"))?;
        let trusted = Trusted {
            root: (s.root.clone(), root),
            timestamp: Some((s.timestamp.clone(), ts)),
            snapshot: Some((s.snapshot.clone(), snap)),
            targets: Some((s.targets.clone(), targets)),
        };
        let active = Active::new(s.manifest.clone(), m.manifest, ActiveSource::Update);
        Ok((s, trusted, active))
    }

    /// The active manifest (LKG): available synchronously, never empty.
    pub fn active(&self) -> Arc<Active> {
        self.active.clone()
    }

    /// Why a stored state was set aside at creation (unreadable, failed verification), if it was.
    pub fn recovered(&self) -> Option<&str> {
        self.recovered.as_deref()
    }

    /// The committed state document, if any.
    pub fn stored(&self) -> Option<&StoredState> {
        self.state.as_ref()
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The time floor: no expiry check uses an earlier time.
    pub fn floor(&self) -> i64 {
        self.state.as_ref().map_or(0, |s| s.floor)
    }

    /// Runs one refresh cycle at `system_now` (Unix seconds; a clock behind the floor uses the
    /// floor). Commits only when the whole cycle and the manifest checks pass.
    pub fn refresh(&mut self, fetcher: &dyn Fetcher, system_now: i64) -> Outcome {
        self.refresh_with(fetcher, system_now, &mut |_| Ok(()))
    }

    /// [`Updater::refresh`] with one more check of the caller's on a new manifest, run after
    /// every manifest rule and before anything is committed: an `Err` rejects the cycle as
    /// [`RejectKind::Manifest`] with that reason, and the stored state stays as it was. An
    /// embedding layer uses it for what only it can judge (the FFI: every trust-anchor file the
    /// new manifest names was supplied by the app).
    pub fn refresh_with(
        &mut self,
        fetcher: &dyn Fetcher,
        system_now: i64,
        accept: &mut dyn FnMut(&Active) -> Result<(), String>,
    ) -> Outcome {
        let now = system_now.max(self.floor());
        let (next, trusted, new_active) = match self.cycle(fetcher, now) {
            Ok(v) => v,
            Err(Fail::Stale(s)) => return Outcome::Stale(s),
            Err(Fail::Rejected(r)) => return Outcome::Rejected(r),
        };
        if let Some(a) = &new_active {
            if let Err(why) = accept(a) {
                return Outcome::Rejected(Rejection {
                    kind: RejectKind::Manifest,
                    detail: format!("{}: {why}", self.config.target),
                });
            }
        }
        if self.state.as_ref() != Some(&next) {
            if let Err(e) = self.store.save(&next.encode()) {
                return Outcome::Stale(Stale {
                    reason: StaleReason::Storage,
                    detail: e,
                });
            }
        }
        self.state = Some(next);
        self.trusted = Some(trusted);
        match new_active {
            Some(a) => {
                let serial = a.serial;
                self.active = Arc::new(a);
                Outcome::Updated { serial }
            }
            None => Outcome::NoChange,
        }
    }

    fn get(&self, f: &dyn Fetcher, path: &str, max: u64) -> Result<Option<Vec<u8>>, Fail> {
        let url = format!("{}{path}", self.config.repository);
        match f.fetch(&url, max) {
            Fetched::Bytes(b) if b.len() as u64 > max => Err(reject(
                RejectKind::Length,
                format!("{path}: longer than {max} bytes"),
            )),
            Fetched::Bytes(b) => Ok(Some(b)),
            Fetched::NotFound => Ok(None),
            Fetched::Error(e) => Err(stale(StaleReason::Offline, format!("{path}: {e}"))),
        }
    }

    fn need(&self, f: &dyn Fetcher, path: &str, max: u64) -> Result<Vec<u8>, Fail> {
        self.get(f, path, max)?
            .ok_or_else(|| stale(StaleReason::Offline, format!("{path}: not found")))
    }

    fn text(bytes: Vec<u8>, what: &str) -> Result<String, Fail> {
        String::from_utf8(bytes)
            .map_err(|_| reject(RejectKind::Format, format!("{what}: not UTF-8")))
    }

    #[allow(clippy::too_many_lines)]
    fn cycle(
        &self,
        f: &dyn Fetcher,
        now: i64,
    ) -> Result<(StoredState, Trusted, Option<Active>), Fail> {
        let lim = self.config.limits;
        // §5.2: the trusted root is the newest of the stored and the embedded one.
        let stored_root = self.trusted.as_ref().map(|t| &t.root);
        let mut root = match stored_root {
            Some(r) if r.1.common.version >= self.embedded.1.common.version => r.clone(),
            _ => self.embedded.clone(),
        };

        // §5.3: the root chain, N+1 exactly, signed by the old and the new threshold.
        let first = root.1.common.version;
        for v in first + 1..=first.saturating_add(lim.max_root_rotations) {
            let path = format!("metadata/{v}.root.json");
            let Some(bytes) = self.get(f, &path, lim.root)? else {
                break;
            };
            let env = Envelope::parse(&bytes, Role::Root).map_err(meta_fail)?;
            let new = Root::from_signed(&env.signed).map_err(meta_fail)?;
            root.1
                .verify_role(Role::Root, &env)
                .map_err(|e| reject(RejectKind::Signature, format!("{path}: old root: {e}")))?;
            if new.common.version != v {
                return Err(reject(
                    RejectKind::Version,
                    format!(
                        "{path}: holds root version {}, expected {v}",
                        new.common.version
                    ),
                ));
            }
            new.verify_role(Role::Root, &env)
                .map_err(|e| reject(RejectKind::Signature, format!("{path}: new root: {e}")))?;
            root = (Self::text(bytes, &path)?, new);
        }
        // §5.3.10: the final root must not be expired (a freeze otherwise).
        if root.1.common.is_expired(now) {
            return Err(stale(StaleReason::Expired, "root is expired"));
        }

        // The committed timestamp, snapshot and targets, as trusted under the final root.
        // Same root: as verified at load. New root: re-verified (a piece that no longer
        // verifies is dropped), and §5.3.11 fast-forward recovery drops timestamp and snapshot
        // when either role's keys changed.
        // Borrowed unless the root changed: a cycle under the same root copies only what it keeps.
        let mut old = match &self.trusted {
            Some(t) => Cow::Borrowed(t),
            None => Cow::Owned(Trusted {
                root: root.clone(),
                timestamp: None,
                snapshot: None,
                targets: None,
            }),
        };
        if old.root.0 != root.0 {
            let old = old.to_mut();
            if old.root.1.role_changed(&root.1, Role::Timestamp)
                || old.root.1.role_changed(&root.1, Role::Snapshot)
            {
                old.timestamp = None;
                old.snapshot = None;
            }
            let r = &root.1;
            old.timestamp = old.timestamp.take().filter(|(t, _)| {
                verified(r, Role::Timestamp, t.as_bytes(), Timestamp::from_signed).is_ok()
            });
            old.snapshot = old.snapshot.take().filter(|(t, _)| {
                verified(r, Role::Snapshot, t.as_bytes(), Snapshot::from_signed).is_ok()
            });
            old.targets = old.targets.take().filter(|(t, _)| {
                verified(r, Role::Targets, t.as_bytes(), Targets::from_signed).is_ok()
            });
        }

        // §5.4: timestamp.
        let path = "metadata/timestamp.json";
        let bytes = self.need(f, path, lim.timestamp)?;
        let new_ts = verified(&root.1, Role::Timestamp, &bytes, Timestamp::from_signed)
            .map_err(meta_fail)?;
        let ts = match &old.timestamp {
            Some((_, o)) if new_ts.common.version < o.common.version => {
                return Err(reject(
                    RejectKind::Rollback,
                    format!(
                        "timestamp version {} is below the trusted {}",
                        new_ts.common.version, o.common.version
                    ),
                ));
            }
            // Equal version: the trusted one stays (normal when nothing changed).
            Some(o) if new_ts.common.version == o.1.common.version => o.clone(),
            Some((_, o)) if new_ts.snapshot.version < o.snapshot.version => {
                return Err(reject(
                    RejectKind::Rollback,
                    format!(
                        "timestamp lists snapshot version {}, below the trusted {}",
                        new_ts.snapshot.version, o.snapshot.version
                    ),
                ));
            }
            _ => (Self::text(bytes, path)?, new_ts),
        };
        if ts.1.common.is_expired(now) {
            return Err(stale(StaleReason::Expired, "timestamp is expired"));
        }

        // §5.5: snapshot. The trusted one is used when it is the version timestamp names and
        // not expired; otherwise it is the rollback reference for the new one.
        let want = &ts.1.snapshot;
        let snap = match &old.snapshot {
            Some(o) if o.1.common.version == want.version && !o.1.common.is_expired(now) => {
                o.clone()
            }
            _ => {
                let path = if root.1.consistent_snapshot {
                    format!("metadata/{}.snapshot.json", want.version)
                } else {
                    "metadata/snapshot.json".to_owned()
                };
                let max = Self::bound(want.length, lim.snapshot, &path)?;
                let bytes = self.need(f, &path, max)?;
                check_length_and_hashes(&bytes, want.length, want.hashes.as_ref())
                    .map_err(|e| digest_fail(&path, e))?;
                let new = verified(&root.1, Role::Snapshot, &bytes, Snapshot::from_signed)
                    .map_err(meta_fail)?;
                if let Some((_, o)) = &old.snapshot {
                    for (name, info) in &o.meta {
                        match new.meta.get(name) {
                            None => {
                                return Err(reject(
                                    RejectKind::Rollback,
                                    format!("snapshot no longer lists {name}"),
                                ));
                            }
                            Some(n) if n.version < info.version => {
                                return Err(reject(
                                    RejectKind::Rollback,
                                    format!(
                                        "snapshot lists {name} version {}, below the trusted {}",
                                        n.version, info.version
                                    ),
                                ));
                            }
                            Some(_) => {}
                        }
                    }
                }
                if new.common.is_expired(now) {
                    return Err(stale(StaleReason::Expired, "snapshot is expired"));
                }
                if new.common.version != want.version {
                    return Err(reject(
                        RejectKind::Version,
                        format!(
                            "snapshot version {} is not the {} timestamp lists",
                            new.common.version, want.version
                        ),
                    ));
                }
                (Self::text(bytes, &path)?, new)
            }
        };

        // §5.6: targets, as snapshot lists it.
        let Some(want) = snap.1.meta.get("targets.json") else {
            return Err(reject(
                RejectKind::Format,
                "snapshot does not list targets.json",
            ));
        };
        let local_ok = old.targets.as_ref().filter(|(t, o)| {
            o.common.version == want.version
                && !o.common.is_expired(now)
                && check_length_and_hashes(t.as_bytes(), want.length, want.hashes.as_ref()).is_ok()
        });
        let targets = match local_ok {
            Some(o) => o.clone(),
            None => {
                let path = if root.1.consistent_snapshot {
                    format!("metadata/{}.targets.json", want.version)
                } else {
                    "metadata/targets.json".to_owned()
                };
                let max = Self::bound(want.length, lim.targets, &path)?;
                let bytes = self.need(f, &path, max)?;
                check_length_and_hashes(&bytes, want.length, want.hashes.as_ref())
                    .map_err(|e| digest_fail(&path, e))?;
                let new = verified(&root.1, Role::Targets, &bytes, Targets::from_signed)
                    .map_err(meta_fail)?;
                if new.common.version != want.version {
                    return Err(reject(
                        RejectKind::Version,
                        format!(
                            "targets version {} is not the {} snapshot lists",
                            new.common.version, want.version
                        ),
                    ));
                }
                if new.common.is_expired(now) {
                    return Err(stale(StaleReason::Expired, "targets is expired"));
                }
                (Self::text(bytes, &path)?, new)
            }
        };

        // §5.7: the manifest target.
        let name = &self.config.target;
        let Some(info) = targets.1.targets.get(name) else {
            return Err(reject(
                RejectKind::Format,
                format!("targets does not list {name}"),
            ));
        };
        let current = &self.active;
        let unchanged = check_length_and_hashes(
            current.text.as_bytes(),
            Some(info.length),
            Some(&info.hashes),
        )
        .is_ok();
        let (manifest_text, new_active) = if unchanged {
            (current.text.clone(), None)
        } else {
            if info.length > lim.manifest {
                return Err(reject(
                    RejectKind::Length,
                    format!(
                        "{name}: {} bytes listed, limit {}",
                        info.length, lim.manifest
                    ),
                ));
            }
            let path = match (root.1.consistent_snapshot, info.hashes.iter().next()) {
                (true, Some((_, hash))) => match name.rsplit_once('/') {
                    Some((dir, base)) => format!("targets/{dir}/{hash}.{base}"),
                    None => format!("targets/{hash}.{name}"),
                },
                _ => format!("targets/{name}"),
            };
            let bytes = self.need(f, &path, info.length)?;
            check_length_and_hashes(&bytes, Some(info.length), Some(&info.hashes))
                .map_err(|e| digest_fail(&path, e))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| reject(RejectKind::Manifest, format!("{name}: not UTF-8")))?;
            let loaded = Manifest::parse_with(&text, name, None, Some(now))
                .map_err(|e| reject(RejectKind::Manifest, e.to_string()))?;
            let Some(serial) = loaded.manifest.serial else {
                return Err(reject(
                    RejectKind::Serial,
                    format!("{name}: a manifest delivered by update must carry a serial"),
                ));
            };
            if serial <= current.serial {
                return Err(reject(
                    RejectKind::Serial,
                    format!(
                        "{name}: serial {serial} is not above the active manifest's {}{}",
                        current.serial,
                        if serial == current.serial {
                            " (same serial, different content)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            let active = Active::new(text.clone(), loaded.manifest, ActiveSource::Update);
            (text, Some(active))
        };

        let next = StoredState::new(
            root.0.clone(),
            ts.0.clone(),
            snap.0.clone(),
            targets.0.clone(),
            manifest_text,
            now,
        );
        let trusted = Trusted {
            root,
            timestamp: Some(ts),
            snapshot: Some(snap),
            targets: Some(targets),
        };
        Ok((next, trusted, new_active))
    }

    /// The download bound for a listed length: the length itself, unless it exceeds the limit.
    fn bound(listed: Option<u64>, limit: u64, path: &str) -> Result<u64, Fail> {
        match listed {
            Some(l) if l > limit => Err(reject(
                RejectKind::Length,
                format!("{path}: {l} bytes listed, limit {limit}"),
            )),
            Some(l) => Ok(l),
            None => Ok(limit),
        }
    }

    /// The baseline manifest, if one was given.
    pub fn baseline(&self) -> Option<Arc<Active>> {
        self.baseline.clone()
    }
}
