//! The updater object: the core's TUF client (`pinset::update`) with a foreign fetch callback
//! and a foreign or directory store. Glue only: every check is the core's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use pinset::update::{self, DirStore, Fetched, Outcome, Store, Updater, UpdaterConfig};

use crate::{Pinset, PinsetError};

/// What the app's transport returned for one URL.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FetchResult {
    /// The body; at most `max_len` bytes should be read (a longer body is rejected).
    Bytes {
        /// The response body.
        body: Vec<u8>,
    },
    /// HTTP 404 or 403 (for `N.root.json` the normal end of the root chain).
    NotFound,
    /// Any other failure (network, TLS, another HTTP status).
    Failed {
        /// What went wrong.
        reason: String,
    },
}

/// The app's transport (Kotlin: OkHttp, Swift: `URLSession`). Called on the thread that runs
/// [`PinsetUpdater::refresh`], never on the main thread by pinset itself.
#[uniffi::export(foreign)]
pub trait UpdateFetcher: Send + Sync {
    /// Fetches `url`, reading at most `max_len` bytes. A thrown error counts as
    /// [`FetchResult::Failed`].
    fn fetch(&self, url: String, max_len: u64) -> Result<FetchResult, PinsetError>;
}

/// The app's storage for the updater's state document (one opaque blob).
#[uniffi::export(foreign)]
pub trait UpdateStore: Send + Sync {
    /// The last saved document, `None` before the first save.
    fn load(&self) -> Result<Option<Vec<u8>>, PinsetError>;
    /// Replaces the document atomically (all or nothing).
    fn save(&self, document: Vec<u8>) -> Result<(), PinsetError>;
}

/// The result class of one refresh cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UpdateOutcomeKind {
    /// A new manifest is active (see [`PinsetUpdater::pinset`]).
    Updated,
    /// Nothing newer; the active manifest is unchanged.
    NoChange,
    /// The cycle could not finish (offline, expired metadata, storage); the LKG stays active.
    Stale,
    /// The repository served something that must not be accepted; the LKG stays active and the
    /// rejection went to the reporter.
    Rejected,
}

/// The outcome of [`PinsetUpdater::refresh`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UpdateOutcome {
    /// The class.
    pub kind: UpdateOutcomeKind,
    /// The active manifest's serial after the cycle (0 for a baseline without one).
    pub serial: u64,
    /// For stale and rejected outcomes the reason's short name (`offline`, `expired`, `storage`;
    /// `rollback`, `signature`, `hash`, `length`, `manifest`, `serial`, …); empty otherwise.
    pub reason: String,
    /// The core's one-line summary (`updated: serial 2`, `rejected: hash (…)`).
    pub message: String,
}

/// The store behind an updater: a directory (`state.json` + `manifest.toml`) or the app's.
enum AnyStore {
    Dir(DirStore),
    Foreign(Arc<dyn UpdateStore>),
}

impl Store for AnyStore {
    fn load(&self) -> Result<Option<Vec<u8>>, String> {
        match self {
            Self::Dir(d) => d.load(),
            Self::Foreign(f) => f.load().map_err(|e| e.to_string()),
        }
    }
    fn save(&self, document: &[u8]) -> Result<(), String> {
        match self {
            Self::Dir(d) => d.save(document),
            Self::Foreign(f) => f.save(document.to_vec()).map_err(|e| e.to_string()),
        }
    }
}

impl std::fmt::Debug for AnyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Dir(_) => "DirStore",
            Self::Foreign(_) => "UpdateStore",
        })
    }
}

struct Bridge<'a>(&'a dyn UpdateFetcher);

impl update::Fetcher for Bridge<'_> {
    fn fetch(&self, url: &str, max_len: u64) -> Fetched {
        match self.0.fetch(url.to_owned(), max_len) {
            Ok(FetchResult::Bytes { body }) => Fetched::Bytes(body),
            Ok(FetchResult::NotFound) => Fetched::NotFound,
            Ok(FetchResult::Failed { reason }) => Fetched::Error(reason),
            Err(e) => Fetched::Error(e.to_string()),
        }
    }
}

/// A signed pin-set updater (TUF 1.0 client, see docs/updates.md). Its [`Self::pinset`] is the
/// last known good manifest, available at construction without network; [`Self::refresh`] runs
/// one cycle and, for every accepted serial, makes a new [`Pinset`] (new policy, new pin cache)
/// that replaces the old one in one atomic swap. The update host should not depend on the pins
/// being rotated (use system trust, or a separate pin-set, for it).
#[derive(uniffi::Object)]
pub struct PinsetUpdater {
    updater: Mutex<Updater<AnyStore>>,
    fetcher: Arc<dyn UpdateFetcher>,
    anchors: HashMap<String, Vec<u8>>,
    current: RwLock<Arc<Pinset>>,
    repository: String,
}

impl std::fmt::Debug for PinsetUpdater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinsetUpdater")
            .field("repository", &self.repository)
            .finish_non_exhaustive()
    }
}

#[allow(clippy::needless_pass_by_value)] // UniFFI passes owned values.
impl PinsetUpdater {
    fn build(
        root_json: Vec<u8>,
        baseline: Option<String>,
        repository: String,
        target: Option<String>,
        anchors: HashMap<String, Vec<u8>>,
        fetcher: Arc<dyn UpdateFetcher>,
        store: AnyStore,
    ) -> Result<Arc<Self>, PinsetError> {
        let mut config = UpdaterConfig::new(&repository);
        if let Some(t) = target {
            config.target = t;
        }
        let repository = config.repository.clone();
        let updater =
            Updater::new(&root_json, baseline.as_deref(), config, store).map_err(|e| {
                PinsetError::Update {
                    reason: e.to_string(),
                }
            })?;
        let active = updater.active();
        let pinset = match Pinset::load(&active.text, anchors.clone()) {
            Ok(p) => p,
            // A stored manifest whose anchors the app no longer supplies: the baseline's pins,
            // never none.
            Err(stored) => match (updater.baseline(), active.source) {
                (Some(b), update::ActiveSource::Update) => Pinset::load(&b.text, anchors.clone())?,
                _ => return Err(stored),
            },
        };
        Ok(Arc::new(Self {
            updater: Mutex::new(updater),
            fetcher,
            anchors,
            current: RwLock::new(pinset),
            repository,
        }))
    }
}

#[uniffi::export]
impl PinsetUpdater {
    /// An updater whose state lives in the directory `state_dir` (`state.json`, written
    /// atomically, and a copy of the active manifest in `manifest.toml`). `root_json` and
    /// `baseline` (the manifest shipped in the app) are embedded in the app; `repository` is the
    /// base URL holding `metadata/` and `targets/`; `target` defaults to `pinset/manifest.toml`;
    /// `anchors` are the trust-anchor files the manifests may name (path → PEM or DER).
    #[uniffi::constructor]
    pub fn with_directory(
        root_json: Vec<u8>,
        baseline: Option<String>,
        repository: String,
        target: Option<String>,
        anchors: HashMap<String, Vec<u8>>,
        fetcher: Arc<dyn UpdateFetcher>,
        state_dir: String,
    ) -> Result<Arc<Self>, PinsetError> {
        let store = AnyStore::Dir(DirStore::new(state_dir));
        Self::build(
            root_json, baseline, repository, target, anchors, fetcher, store,
        )
    }

    /// The same with the app's own store (Keychain, `SharedPreferences`, …).
    #[uniffi::constructor]
    pub fn with_store(
        root_json: Vec<u8>,
        baseline: Option<String>,
        repository: String,
        target: Option<String>,
        anchors: HashMap<String, Vec<u8>>,
        fetcher: Arc<dyn UpdateFetcher>,
        store: Arc<dyn UpdateStore>,
    ) -> Result<Arc<Self>, PinsetError> {
        Self::build(
            root_json,
            baseline,
            repository,
            target,
            anchors,
            fetcher,
            AnyStore::Foreign(store),
        )
    }

    /// The active pins (LKG). The object is replaced, never changed, when an update is
    /// accepted: fetch it again after [`UpdateOutcomeKind::Updated`].
    pub fn pinset(&self) -> Arc<Pinset> {
        match self.current.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The active manifest's serial (0 for a baseline without one).
    pub fn serial(&self) -> u64 {
        self.updater.lock().map_or(0, |u| u.active().serial)
    }

    /// The active manifest's TOML text, byte for byte as verified.
    pub fn manifest(&self) -> String {
        self.updater
            .lock()
            .map(|u| u.active().text.clone())
            .unwrap_or_default()
    }

    /// Why a stored state was set aside at construction (unreadable or failing verification),
    /// if it was; the baseline is active then.
    pub fn recovered(&self) -> Option<String> {
        self.updater
            .lock()
            .ok()
            .and_then(|u| u.recovered().map(str::to_owned))
    }

    /// Runs one refresh cycle at `now_unix` (Unix seconds) through the fetch callback. Blocking:
    /// call it off the main thread. Cycles are serialised. A rejection is reported to the
    /// active [`Pinset`]'s reporter (at most once per 24 h per repository and reason).
    pub fn refresh(&self, now_unix: i64) -> UpdateOutcome {
        let Ok(mut updater) = self.updater.lock() else {
            return UpdateOutcome {
                kind: UpdateOutcomeKind::Stale,
                serial: 0,
                reason: "storage".into(),
                message: "stale: storage (updater lock poisoned)".into(),
            };
        };
        // A new manifest is loaded as a Pinset before the core commits it, so one whose
        // anchor files the app did not supply is rejected with the state untouched.
        let mut loaded = None;
        let outcome = updater.refresh_with(&Bridge(self.fetcher.as_ref()), now_unix, &mut |a| {
            loaded = Some(Pinset::load(&a.text, self.anchors.clone()).map_err(|e| e.to_string())?);
            Ok(())
        });
        let active = updater.active();
        drop(updater);
        let message = outcome.to_string();
        let (kind, reason) = match &outcome {
            Outcome::Updated { .. } => (UpdateOutcomeKind::Updated, String::new()),
            Outcome::NoChange => (UpdateOutcomeKind::NoChange, String::new()),
            Outcome::Stale(s) => (UpdateOutcomeKind::Stale, s.reason.name().to_owned()),
            Outcome::Rejected(r) => (UpdateOutcomeKind::Rejected, r.kind.name().to_owned()),
        };
        if let Outcome::Rejected(r) = &outcome {
            self.pinset()
                .report_update_rejection(&self.repository, r, active.serial, now_unix);
        }
        if let (Outcome::Updated { .. }, Some(next)) = (&outcome, loaded) {
            let old = self.pinset();
            next.inherit_reporter(&old);
            match self.current.write() {
                Ok(mut p) => *p = next,
                Err(poisoned) => *poisoned.into_inner() = next,
            }
        }
        UpdateOutcome {
            kind,
            serial: active.serial,
            reason,
            message,
        }
    }
}
