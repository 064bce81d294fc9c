//! Signed pin-set updates without an app release: a TUF 1.0 client for the pin manifest.
//!
//! The app embeds a TUF `root.json` and a baseline manifest. [`Updater::active`] gives the
//! last known good (LKG) manifest synchronously at launch; [`Updater::refresh`] runs one cycle
//! of the TUF specification's *Detailed client workflow* against a repository reached through
//! the app's own [`Fetcher`] and, only when the whole cycle and the strict manifest parse
//! succeed, commits the new state to the [`Store`] in one atomic write.
//!
//! What this client implements (a subset of TUF 1.0, repository format unchanged, so
//! python-tuf, tuftool or RSTUF can produce it):
//! * top-level roles (root, timestamp, snapshot, targets); `delegations` are refused;
//! * keys `ed25519`, `ecdsa-sha2-nistp256` (DER signatures) and `rsassa-pss-sha256`;
//! * consistent snapshots (`N.root.json`, `V.snapshot.json`, `V.targets.json`,
//!   `targets/<dir>/<sha256>.<name>`) and plain names;
//! * signatures over OLPC canonical JSON; duplicate keys, floats and non-canonical numbers
//!   in metadata are refused; every download is bounded by [`Limits`].
//!
//! On top of TUF: the target is a pin manifest that must pass every manifest rule and carry
//! a `serial` greater than the active manifest's (embedded baseline included); a clock behind
//! the [time floor](StoredState::floor) uses the floor. The updater never fails open and
//! never empties pins: in every outcome but [`Outcome::Updated`] the active manifest stays
//! what it was.

mod cjson;
mod client;
mod keys;
mod map;
mod metadata;
pub mod repository;
mod state;
#[cfg(test)]
mod tests;

use std::fmt;

pub use cjson::{Json, JsonError, parse as parse_json};
pub use client::{Active, ActiveSource, Updater, UpdaterConfig};
pub use map::{Iter as SortedMapIter, SortedMap};
pub use metadata::{Role, format_time, parse_time};
pub use state::{DirStore, MAX_STATE_BYTES, MemoryStore, Store, StoredState, write_atomic};

/// The default target: the pin manifest's path in the repository.
pub const DEFAULT_TARGET: &str = "pinset/manifest.toml";

/// What a fetch returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The body (the fetcher should stop reading past `max_len`; longer bodies are refused).
    Bytes(Vec<u8>),
    /// The server answered 404 or 403 (for `N.root.json`, the normal end of the root chain).
    NotFound,
    /// Any other failure (network, TLS, HTTP status).
    Error(String),
}

/// The app's transport: fetches a URL, reading at most `max_len` bytes.
///
/// TUF authenticates the content, so the transport's TLS only adds privacy. The update host
/// should not depend on the very pins being rotated (use system trust or a separate, long-lived
/// pin-set for it), or an expired pin could block its own fix.
pub trait Fetcher {
    /// Fetches `url`.
    fn fetch(&self, url: &str, max_len: u64) -> Fetched;
}

impl<F: Fn(&str, u64) -> Fetched> Fetcher for F {
    fn fetch(&self, url: &str, max_len: u64) -> Fetched {
        self(url, max_len)
    }
}

/// Download limits (bytes) and the root-chain bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `N.root.json`.
    pub root: u64,
    /// Largest `timestamp.json`.
    pub timestamp: u64,
    /// Largest snapshot (when timestamp lists no length).
    pub snapshot: u64,
    /// Largest targets metadata (when snapshot lists no length).
    pub targets: u64,
    /// Largest manifest target.
    pub manifest: u64,
    /// Most root versions walked in one cycle (python-tuf's default, 256).
    pub max_root_rotations: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            root: 512 * 1024,
            timestamp: 16 * 1024,
            snapshot: 512 * 1024,
            targets: 1024 * 1024,
            manifest: 1024 * 1024,
            max_root_rotations: 256,
        }
    }
}

/// The result of one refresh cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new manifest with this serial is active and committed.
    Updated {
        /// The new manifest's serial.
        serial: u64,
    },
    /// The repository holds nothing newer; the active manifest is unchanged (fresher
    /// metadata may have been committed).
    NoChange,
    /// The cycle could not finish; the active manifest stays LKG and nothing was stored.
    Stale(Stale),
    /// The repository served something that must not be accepted; the active manifest stays
    /// LKG, nothing was stored, and the app should report it like a pin failure.
    Rejected(Rejection),
}

impl Outcome {
    /// `true` for [`Outcome::Updated`] and [`Outcome::NoChange`].
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Updated { .. } | Self::NoChange)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Updated { serial } => write!(f, "updated: serial {serial}"),
            Self::NoChange => f.write_str("no-change"),
            Self::Stale(s) => write!(f, "stale: {} ({})", s.reason.name(), s.detail),
            Self::Rejected(r) => write!(f, "rejected: {} ({})", r.kind.name(), r.detail),
        }
    }
}

/// Why a cycle is stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The class.
    pub reason: StaleReason,
    /// What happened, naming the file.
    pub detail: String,
}

/// Classes of stale cycles: the client cannot tell these from one another's causes (a freeze
/// attack and a server that stopped signing both look like expired metadata; so does a
/// device clock that runs ahead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    /// A fetch failed or a role file was not found.
    Offline,
    /// Metadata (the final root, timestamp, snapshot or targets) is expired at the cycle's
    /// time: a freeze, a repository that stopped signing, or a clock ahead.
    Expired,
    /// The verified state could not be saved; nothing changed.
    Storage,
}

impl StaleReason {
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::Expired => "expired",
            Self::Storage => "storage",
        }
    }
}

/// Why a cycle was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The class.
    pub kind: RejectKind,
    /// What was wrong, naming the file.
    pub detail: String,
}

impl Rejection {
    /// The JSON report of a rejected cycle, for the same reporter as pin failures:
    /// `validation-result` is `update-rejected`, `reason` the [`RejectKind::name`], `detail`
    /// what was wrong, `active-serial` the serial that stays in force. `now` is Unix seconds.
    pub fn report_json(&self, repository: &str, active_serial: u64, now: i64) -> String {
        // Members in code-point order, one line, every string escaped.
        let mut out = String::with_capacity(160 + repository.len() + self.detail.len());
        out.push_str("{\"active-serial\":");
        out.push_str(&active_serial.to_string());
        for (name, value) in [
            ("date-time", crate::report::rfc3339(now).as_str()),
            ("detail", self.detail.as_str()),
            ("reason", self.kind.name()),
            ("update-repository", repository),
            ("validation-result", "update-rejected"),
        ] {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":");
            cjson::write_str(value, &mut out);
        }
        out.push('}');
        out
    }
}

/// Classes of rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectKind {
    /// A version went down (timestamp, snapshot's version in timestamp, a snapshot entry).
    Rollback,
    /// A version differs from the one required (root N+1, snapshot and targets as listed).
    Version,
    /// The role's threshold of valid signatures by distinct keys was not met.
    Signature,
    /// A hash differs from the listed one.
    Hash,
    /// A length differs from the listed one, or a file exceeds its limit.
    Length,
    /// Not strict JSON or not TUF metadata (wrong `_type`, missing field, duplicate keyid…).
    Format,
    /// A TUF feature this client refuses (delegations).
    Unsupported,
    /// The target is not a valid pin manifest (every manifest rule applies).
    Manifest,
    /// The manifest's serial is missing, lower than the active one, or equal with different
    /// content.
    Serial,
}

impl RejectKind {
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rollback => "rollback",
            Self::Version => "version",
            Self::Signature => "signature",
            Self::Hash => "hash",
            Self::Length => "length",
            Self::Format => "format",
            Self::Unsupported => "unsupported",
            Self::Manifest => "manifest",
            Self::Serial => "serial",
        }
    }
}

/// Why an updater could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// The embedded root is not valid, self-signed root metadata.
    #[error("embedded root: {0}")]
    Root(String),
    /// The embedded baseline manifest is invalid.
    #[error("baseline manifest: {0}")]
    Baseline(String),
    /// Neither the store nor the app holds a manifest.
    #[error("no manifest: the store holds no state and no baseline manifest was given")]
    NoManifest,
    /// The configuration is unusable (repository URL, target name).
    #[error("configuration: {0}")]
    Config(String),
}

/// The `tuf_metadata` fuzz entry (see `crate::fuzzing`): never panics on any input.
#[doc(hidden)]
#[allow(clippy::panic)]
pub fn fuzz_metadata(data: &[u8]) {
    use metadata::{Envelope, Root, Snapshot, Targets, Timestamp};
    let Ok(doc) = cjson::parse(data) else {
        return;
    };
    let again = cjson::parse(doc.pretty().as_bytes())
        .unwrap_or_else(|e| panic!("pretty form does not parse: {e}"));
    assert_eq!(again, doc, "pretty form parses to another tree");
    assert_eq!(again.canonical(), doc.canonical());
    for role in [Role::Root, Role::Timestamp, Role::Snapshot, Role::Targets] {
        if let Ok(env) = Envelope::parse(data, role) {
            let _ = match role {
                Role::Root => Root::from_signed(&env.signed).map(|r| {
                    let _ = r.verify_role(Role::Targets, &env);
                }),
                Role::Timestamp => Timestamp::from_signed(&env.signed).map(drop),
                Role::Snapshot => Snapshot::from_signed(&env.signed).map(drop),
                Role::Targets => Targets::from_signed(&env.signed).map(drop),
            };
        }
    }
}
