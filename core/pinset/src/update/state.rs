//! The updater's stored state (last known good) and where it lives.
//!
//! The whole state is one document, written in one step, so a commit is all or nothing: a
//! cycle that is rejected, or a process that dies between download and commit, leaves the
//! stored bytes exactly as they were.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Largest state document read back (the sum of the default metadata limits plus a manifest).
pub const MAX_STATE_BYTES: u64 = 4 << 20;

/// The format version of [`StoredState`] documents.
const STATE_FORMAT: u32 = 1;

/// Persistent storage for the updater's state: one opaque document.
///
/// `save` must replace the document atomically (all or nothing), e.g. write-then-rename, a
/// single Keychain item, one `SharedPreferences` commit. `load` returns `None` before the
/// first save.
pub trait Store: Send + Sync {
    /// The last saved document, if any.
    fn load(&self) -> Result<Option<Vec<u8>>, String>;
    /// Replaces the document atomically.
    fn save(&self, document: &[u8]) -> Result<(), String>;
}

/// A [`Store`] in memory (tests, short-lived processes).
#[derive(Debug, Default)]
pub struct MemoryStore {
    doc: Mutex<Option<Vec<u8>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    fn load(&self) -> Result<Option<Vec<u8>>, String> {
        Ok(self.doc.lock().map_err(|_| "store lock poisoned")?.clone())
    }
    fn save(&self, document: &[u8]) -> Result<(), String> {
        *self.doc.lock().map_err(|_| "store lock poisoned")? = Some(document.to_vec());
        Ok(())
    }
}

/// A [`Store`] in a directory: `state.json` (the authoritative document, replaced by
/// write-to-temporary, fsync, rename, fsync of the directory) and `manifest.toml`, a copy of
/// the active manifest for tools, rewritten the same way after each commit. A temporary file
/// left by a crash is never read.
#[derive(Debug, Clone)]
pub struct DirStore {
    dir: PathBuf,
}

impl DirStore {
    /// A store in `dir` (created on first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Path of the authoritative state document.
    pub fn state_path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// Path of the manifest copy.
    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join("manifest.toml")
    }
}

/// Writes `bytes` to `path` atomically (temporary file in the same directory, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        // Directory fsync makes the rename durable where the OS supports it.
        let _ = d.sync_all();
    }
    Ok(())
}

impl Store for DirStore {
    fn load(&self) -> Result<Option<Vec<u8>>, String> {
        let path = self.state_path();
        let f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let mut buf = Vec::new();
        f.take(MAX_STATE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if buf.len() as u64 > MAX_STATE_BYTES {
            return Err(format!(
                "{}: larger than {MAX_STATE_BYTES} bytes",
                path.display()
            ));
        }
        Ok(Some(buf))
    }

    fn save(&self, document: &[u8]) -> Result<(), String> {
        let path = self.state_path();
        write_atomic(&path, document).map_err(|e| format!("{}: {e}", path.display()))?;
        // The copy follows the authoritative document; a crash between the two renames leaves
        // an older copy that the next commit or `sync_manifest_copy` replaces.
        self.sync_manifest_copy(document)
    }
}

impl DirStore {
    /// Rewrites `manifest.toml` from a state document when it differs.
    pub fn sync_manifest_copy(&self, document: &[u8]) -> Result<(), String> {
        let state = StoredState::decode(document)?;
        let path = self.manifest_path();
        if std::fs::read(&path).ok().as_deref() != Some(state.manifest.as_bytes()) {
            write_atomic(&path, state.manifest.as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// The state document: trusted metadata exactly as downloaded, the active manifest, and the
/// time floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredState {
    /// Document format version.
    pub format: u32,
    /// The newest trusted root, as downloaded.
    pub root: String,
    /// The trusted timestamp, as downloaded.
    pub timestamp: String,
    /// The trusted snapshot, as downloaded.
    pub snapshot: String,
    /// The trusted targets, as downloaded.
    pub targets: String,
    /// The active manifest (TOML), verified against `targets`.
    pub manifest: String,
    /// Unix seconds: no expiry check ever uses an earlier time.
    pub floor: i64,
}

impl StoredState {
    /// Builds a document for the current format.
    pub fn new(
        root: String,
        timestamp: String,
        snapshot: String,
        targets: String,
        manifest: String,
        floor: i64,
    ) -> Self {
        Self {
            format: STATE_FORMAT,
            root,
            timestamp,
            snapshot,
            targets,
            manifest,
            floor,
        }
    }

    /// Serializes the document.
    pub fn encode(&self) -> Vec<u8> {
        // Sized for the strings plus a margin for their escapes, so the buffer is rarely regrown.
        let text = self.root.len()
            + self.timestamp.len()
            + self.snapshot.len()
            + self.targets.len()
            + self.manifest.len();
        let mut out = Vec::with_capacity(text + text / 4 + 256);
        match serde_json::to_writer_pretty(&mut out, self) {
            Ok(()) => out,
            Err(_) => Vec::new(),
        }
    }

    /// Reads a document; any other format version is an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let s: Self = serde_json::from_slice(bytes).map_err(|e| format!("state document: {e}"))?;
        if s.format != STATE_FORMAT {
            return Err(format!("state document format {} is unknown", s.format));
        }
        Ok(s)
    }
}
