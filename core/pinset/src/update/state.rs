//! The updater's stored state (last known good) and where it lives.
//!
//! The whole state is one document, written in one step, so a commit is all or nothing: a
//! cycle that is rejected, or a process that dies between download and commit, leaves the
//! stored bytes exactly as they were.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::cjson::{self, Json};

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
#[derive(Debug, Clone, PartialEq, Eq)]
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

    /// Serializes the document (JSON, one member per line).
    pub fn encode(&self) -> Vec<u8> {
        // Sized for the strings plus a margin for their escapes, so the buffer is rarely regrown.
        let text = self.root.len()
            + self.timestamp.len()
            + self.snapshot.len()
            + self.targets.len()
            + self.manifest.len();
        let mut out = String::with_capacity(text + text / 4 + 256);
        out.push_str("{\n  \"format\": ");
        out.push_str(&self.format.to_string());
        for (name, value) in [
            ("root", &self.root),
            ("timestamp", &self.timestamp),
            ("snapshot", &self.snapshot),
            ("targets", &self.targets),
            ("manifest", &self.manifest),
        ] {
            out.push_str(",\n  \"");
            out.push_str(name);
            out.push_str("\": ");
            cjson::write_str(value, &mut out);
        }
        out.push_str(",\n  \"floor\": ");
        out.push_str(&self.floor.to_string());
        out.push_str("\n}");
        out.into_bytes()
    }

    /// Reads a document (strict JSON: every member present once, no other member, the right
    /// types); any other format version is an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let fail = |what: String| format!("state document: {what}");
        let Json::Obj(mut members) = cjson::parse(bytes).map_err(|e| fail(e.to_string()))? else {
            return Err(fail("not a JSON object".into()));
        };
        let mut int = |name: &str| match members.remove(name) {
            Some(Json::Int(n)) => Ok(n),
            Some(_) => Err(fail(format!("`{name}` is not an integer"))),
            None => Err(fail(format!("missing field `{name}`"))),
        };
        let format = int("format")?;
        if format != i64::from(STATE_FORMAT) {
            return Err(format!("state document format {format} is unknown"));
        }
        let floor = int("floor")?;
        let mut text = |name: &str| match members.remove(name) {
            Some(Json::Str(s)) => Ok(s),
            Some(_) => Err(fail(format!("`{name}` is not a string"))),
            None => Err(fail(format!("missing field `{name}`"))),
        };
        let s = Self {
            format: STATE_FORMAT,
            root: text("root")?,
            timestamp: text("timestamp")?,
            snapshot: text("snapshot")?,
            targets: text("targets")?,
            manifest: text("manifest")?,
            floor,
        };
        if let Some(name) = members.keys().next() {
            return Err(fail(format!("unknown field `{name}`")));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> StoredState {
        StoredState::new(
            "{\"signed\":{}}\n".into(),
            "t \"quoted\" \\ back\u{1}slash".into(),
            "snapshot é \u{1F600}".into(),
            String::new(),
            "serial = 3\n[[pin-set]]\n\ttab\r\n".into(),
            -5,
        )
    }

    #[test]
    fn encode_decode_round_trip_keeps_every_byte() {
        let s = sample();
        let doc = s.encode();
        // Valid JSON by an independent reader, with the same member values.
        let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
        assert_eq!(v["timestamp"], s.timestamp.as_str());
        assert_eq!(v["manifest"], s.manifest.as_str());
        assert_eq!(v["floor"], -5);
        assert_eq!(StoredState::decode(&doc).unwrap(), s);
    }

    #[test]
    fn decode_reads_a_document_written_by_serde_json() {
        // The form earlier releases wrote (serde_json, pretty, declaration order).
        let s = sample();
        let doc = serde_json::to_vec_pretty(&serde_json::json!({
            "format": 1, "root": s.root, "timestamp": s.timestamp, "snapshot": s.snapshot,
            "targets": s.targets, "manifest": s.manifest, "floor": s.floor,
        }))
        .unwrap();
        assert_eq!(StoredState::decode(&doc).unwrap(), s);
    }

    #[test]
    fn decode_is_strict() {
        let good = String::from_utf8(sample().encode()).unwrap();
        for (doc, what) in [
            (
                good.replace("\"floor\"", "\"flor\""),
                "missing field `floor`",
            ),
            (
                good.replacen("\"root\"", "\"extra\": 1, \"root\"", 1),
                "unknown field `extra`",
            ),
            (
                good.replace("\"format\": 1", "\"format\": 2"),
                "format 2 is unknown",
            ),
            (
                good.replace("\"format\": 1", "\"format\": \"1\""),
                "`format` is not an integer",
            ),
            (good.replace("\"floor\": -5", "\"floor\": 1.5"), "float"),
            (
                good.replacen("\"targets\": \"\"", "\"targets\": 7", 1),
                "`targets` is not a string",
            ),
            (
                good.replacen("\"manifest\"", "\"snapshot\"", 1),
                "duplicate key",
            ),
            ("[]".to_owned(), "not a JSON object"),
            (good[..good.len() - 1].to_owned(), "JSON at byte"),
        ] {
            let e = StoredState::decode(doc.as_bytes()).unwrap_err();
            assert!(e.contains(what), "{what}: {e}");
        }
        let missing = good.replace(",\n  \"floor\": -5", "");
        let e = StoredState::decode(missing.as_bytes()).unwrap_err();
        assert!(e.contains("missing field `floor`"), "{e}");
    }
}
