//! The TUF metadata model (top-level roles only), parsed strictly from the wire envelope
//! `{"signed": …, "signatures": [{"keyid", "sig"}]}`, and threshold signature checks.

use super::map::SortedMap;

use ring::digest;

use super::cjson::{self, Json};
use super::keys::{PublicKey, hex_decode, hex_encode};

/// One of the four top-level roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// `root`: keys and thresholds for every role.
    Root,
    /// `timestamp`: the newest snapshot version.
    Timestamp,
    /// `snapshot`: the versions of the targets metadata.
    Snapshot,
    /// `targets`: target files with lengths and hashes.
    Targets,
}

impl Role {
    /// The role's name as TUF writes it (`_type` and file names).
    pub fn name(self) -> &'static str {
        match self {
            Self::Root => "root",
            Self::Timestamp => "timestamp",
            Self::Snapshot => "snapshot",
            Self::Targets => "targets",
        }
    }
}

/// Why metadata was refused (before any version or expiry rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaError {
    /// Not strict JSON or not the TUF shape; the message names the field.
    Format(String),
    /// Uses a TUF feature this client refuses rather than half-reads (delegations).
    Unsupported(String),
    /// The role's threshold of distinct keys did not sign it.
    Signature(String),
}

impl std::fmt::Display for MetaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Format(m) | Self::Unsupported(m) | Self::Signature(m) => f.write_str(m),
        }
    }
}

fn fmt_err(role: Role, m: impl std::fmt::Display) -> MetaError {
    MetaError::Format(format!("{}: {m}", role.name()))
}

/// A signed envelope: the parsed `signed` tree, its canonical bytes, and the signatures.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The `signed` object.
    pub signed: Json,
    /// OLPC canonical JSON of `signed`: the bytes every signature covers.
    pub canonical: Vec<u8>,
    /// `keyid` → signature bytes; a keyid appears at most once.
    pub signatures: SortedMap<String, Vec<u8>>,
}

impl Envelope {
    /// Parses the envelope of a `role` file.
    pub fn parse(bytes: &[u8], role: Role) -> Result<Self, MetaError> {
        let doc = cjson::parse(bytes).map_err(|e| fmt_err(role, e))?;
        let Json::Obj(mut top) = doc else {
            return Err(fmt_err(role, "metadata must be a JSON object"));
        };
        let signed = top
            .remove("signed")
            .ok_or_else(|| fmt_err(role, "missing \"signed\""))?;
        let Some(Json::Arr(sigs)) = top.remove("signatures") else {
            return Err(fmt_err(role, "\"signatures\" must be an array"));
        };
        // Other top-level fields are unsigned; like python-tuf, they are ignored.
        let mut signatures = SortedMap::new();
        for s in &sigs {
            let o = s
                .as_obj()
                .ok_or_else(|| fmt_err(role, "a signature must be an object"))?;
            let keyid = o
                .get("keyid")
                .and_then(Json::as_str)
                .ok_or_else(|| fmt_err(role, "signature \"keyid\" must be a string"))?;
            let sig = o
                .get("sig")
                .and_then(Json::as_str)
                .ok_or_else(|| fmt_err(role, "signature \"sig\" must be a string"))?;
            // An unparseable hex signature simply never verifies; python-tuf does the same.
            let sig = hex_decode(sig).unwrap_or_default();
            if signatures.insert(keyid.to_owned(), sig).is_some() {
                return Err(fmt_err(
                    role,
                    format!("multiple signatures for keyid {keyid}"),
                ));
            }
        }
        let canonical = signed.canonical();
        Ok(Self {
            signed,
            canonical,
            signatures,
        })
    }
}

/// Fields every role carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    /// `version`, at least 1.
    pub version: u64,
    /// `expires`, Unix seconds.
    pub expires: i64,
}

impl Common {
    /// Whether the metadata is expired at `now` (expired from the `expires` second on, as in
    /// python-tuf).
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires
    }
}

/// A role entry in root: which keys sign it and how many must.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleKeys {
    /// Key ids, unique.
    pub keyids: Vec<String>,
    /// At least 1.
    pub threshold: u64,
}

/// Root metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// Version and expiry.
    pub common: Common,
    /// Whether files are published under versioned/hashed names.
    pub consistent_snapshot: bool,
    /// Every key, by key id.
    pub keys: SortedMap<String, PublicKey>,
    /// The four top-level roles.
    pub roles: SortedMap<Role, RoleKeys>,
}

/// A `meta` entry (timestamp → snapshot, snapshot → targets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaFile {
    /// The listed file's version.
    pub version: u64,
    /// Its length, when given.
    pub length: Option<u64>,
    /// Its hashes (algorithm → lowercase hex), when given; never empty when present.
    pub hashes: Option<SortedMap<String, String>>,
}

/// Timestamp metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    /// Version and expiry.
    pub common: Common,
    /// The `snapshot.json` entry.
    pub snapshot: MetaFile,
}

/// Snapshot metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Version and expiry.
    pub common: Common,
    /// `targets.json` (and any delegated role) entries.
    pub meta: SortedMap<String, MetaFile>,
}

/// A target file entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFile {
    /// Exact length in bytes.
    pub length: u64,
    /// Hashes (algorithm → lowercase hex); never empty.
    pub hashes: SortedMap<String, String>,
}

/// Targets metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// Version and expiry.
    pub common: Common,
    /// Target files by path.
    pub targets: SortedMap<String, TargetFile>,
}

type Obj = SortedMap<String, Json>;

fn obj<'a>(v: &'a Json, role: Role, what: &str) -> Result<&'a Obj, MetaError> {
    v.as_obj()
        .ok_or_else(|| fmt_err(role, format!("{what} must be an object")))
}

fn get<'a>(o: &'a Obj, role: Role, key: &str) -> Result<&'a Json, MetaError> {
    o.get(key)
        .ok_or_else(|| fmt_err(role, format!("missing field {key:?}")))
}

fn uint(v: &Json, role: Role, what: &str) -> Result<u64, MetaError> {
    v.as_int()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| fmt_err(role, format!("{what} must be a non-negative integer")))
}

fn positive(v: &Json, role: Role, what: &str) -> Result<u64, MetaError> {
    match uint(v, role, what)? {
        0 => Err(fmt_err(role, format!("{what} must be at least 1"))),
        n => Ok(n),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` → Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo)
        || d < 1
        || d > dim[usize::try_from(mo - 1).ok()?]
        || h > 23
        || mi > 59
        || se > 59
    {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Unix seconds → `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_time(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Checks `_type`, `spec_version` (major 1) and reads `version` and `expires`.
fn common(signed: &Json, role: Role) -> Result<(&Obj, Common), MetaError> {
    let o = obj(signed, role, "\"signed\"")?;
    let ty = get(o, role, "_type")?.as_str();
    if ty != Some(role.name()) {
        return Err(fmt_err(
            role,
            format!(
                "_type is {:?}, expected {:?}",
                ty.unwrap_or("(not a string)"),
                role.name()
            ),
        ));
    }
    let spec = get(o, role, "spec_version")?
        .as_str()
        .ok_or_else(|| fmt_err(role, "spec_version must be a string"))?;
    let parts: Vec<&str> = spec.split('.').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()))
    {
        return Err(fmt_err(role, format!("spec_version {spec:?} is malformed")));
    }
    if parts[0] != "1" {
        return Err(fmt_err(
            role,
            format!("unsupported spec_version {spec:?} (major version 1 only)"),
        ));
    }
    let version = positive(get(o, role, "version")?, role, "version")?;
    let exp = get(o, role, "expires")?
        .as_str()
        .ok_or_else(|| fmt_err(role, "expires must be a string"))?;
    let expires = parse_time(exp)
        .ok_or_else(|| fmt_err(role, format!("expires {exp:?} is not YYYY-MM-DDTHH:MM:SSZ")))?;
    Ok((o, Common { version, expires }))
}

fn hashes(v: &Json, role: Role) -> Result<SortedMap<String, String>, MetaError> {
    let o = obj(v, role, "hashes")?;
    if o.is_empty() {
        return Err(fmt_err(role, "hashes must not be empty"));
    }
    // Maps here are built by insertion: `collect` into a SortedMap sorts first, and each such
    // collect instantiates its own copy of the stable sort (the source maps are ordered already).
    let mut out = SortedMap::new();
    for (alg, h) in o {
        let hex = h
            .as_str()
            .ok_or_else(|| fmt_err(role, format!("hash {alg:?} must be a string")))?;
        out.insert(alg.clone(), hex.to_owned());
    }
    Ok(out)
}

fn meta_file(v: &Json, role: Role) -> Result<MetaFile, MetaError> {
    let o = obj(v, role, "a meta entry")?;
    Ok(MetaFile {
        version: positive(get(o, role, "version")?, role, "meta version")?,
        length: o
            .get("length")
            .map(|l| uint(l, role, "meta length"))
            .transpose()?,
        hashes: o.get("hashes").map(|h| hashes(h, role)).transpose()?,
    })
}

fn meta_map(o: &Obj, role: Role) -> Result<SortedMap<String, MetaFile>, MetaError> {
    let mut out = SortedMap::new();
    for (k, v) in obj(get(o, role, "meta")?, role, "meta")? {
        out.insert(k.clone(), meta_file(v, role)?);
    }
    Ok(out)
}

impl Root {
    /// Reads root metadata from its `signed` object.
    pub fn from_signed(signed: &Json) -> Result<Self, MetaError> {
        let role = Role::Root;
        let (o, common) = common(signed, role)?;
        let consistent_snapshot = match o.get("consistent_snapshot") {
            None => false,
            Some(Json::Bool(b)) => *b,
            Some(_) => return Err(fmt_err(role, "consistent_snapshot must be a boolean")),
        };
        let mut keys = SortedMap::new();
        for (id, k) in obj(get(o, role, "keys")?, role, "keys")? {
            let k = PublicKey::from_json(k).map_err(|e| fmt_err(role, format!("key {id}: {e}")))?;
            keys.insert(id.clone(), k);
        }
        let roles_obj = obj(get(o, role, "roles")?, role, "roles")?;
        let mut roles = SortedMap::new();
        for r in [Role::Root, Role::Timestamp, Role::Snapshot, Role::Targets] {
            let ro = obj(get(roles_obj, role, r.name())?, role, "a role")?;
            let Json::Arr(ids) = get(ro, role, "keyids")? else {
                return Err(fmt_err(role, "keyids must be an array"));
            };
            let mut keyids = Vec::with_capacity(ids.len());
            for id in ids {
                let id = id
                    .as_str()
                    .ok_or_else(|| fmt_err(role, "a keyid must be a string"))?;
                if keyids.iter().any(|k| k == id) {
                    return Err(fmt_err(
                        role,
                        format!("role {} lists keyid {id} twice", r.name()),
                    ));
                }
                keyids.push(id.to_owned());
            }
            let threshold = positive(get(ro, role, "threshold")?, role, "threshold")?;
            roles.insert(r, RoleKeys { keyids, threshold });
        }
        Ok(Self {
            common,
            consistent_snapshot,
            keys,
            roles,
        })
    }

    /// Checks that a threshold of `role`'s distinct keys signed `env`. A key counts once
    /// however many key ids name it, and a signature counts only for a key id of the role.
    pub fn verify_role(&self, role: Role, env: &Envelope) -> Result<(), MetaError> {
        let Some(rk) = self.roles.get(&role) else {
            return Err(MetaError::Signature(format!(
                "root has no {} role",
                role.name()
            )));
        };
        let mut seen: Vec<&[u8]> = Vec::new();
        for id in &rk.keyids {
            let (Some(key), Some(sig)) = (self.keys.get(id), env.signatures.get(id)) else {
                continue;
            };
            let Some(material) = key.material() else {
                continue;
            };
            if seen.contains(&material) {
                continue;
            }
            if key.verify(&env.canonical, sig) {
                seen.push(material);
            }
        }
        if (seen.len() as u64) < rk.threshold {
            return Err(MetaError::Signature(format!(
                "{}: {} of the {} valid signatures required",
                role.name(),
                seen.len(),
                rk.threshold
            )));
        }
        Ok(())
    }

    /// Whether `role`'s keys or threshold differ between two roots (fast-forward recovery).
    pub fn role_changed(&self, other: &Self, role: Role) -> bool {
        fn keys(r: &Root, role: Role) -> Option<(Vec<Option<&[u8]>>, u64)> {
            r.roles.get(&role).map(|rk| {
                let mut m: Vec<Option<&[u8]>> = rk
                    .keyids
                    .iter()
                    .map(|id| r.keys.get(id).and_then(PublicKey::material))
                    .collect();
                m.sort_unstable();
                (m, rk.threshold)
            })
        }
        keys(self, role) != keys(other, role)
    }
}

impl Timestamp {
    /// Reads timestamp metadata from its `signed` object.
    pub fn from_signed(signed: &Json) -> Result<Self, MetaError> {
        let role = Role::Timestamp;
        let (o, common) = common(signed, role)?;
        let mut meta = meta_map(o, role)?;
        if meta.len() != 1 {
            return Err(fmt_err(role, "meta must hold exactly \"snapshot.json\""));
        }
        let snapshot = meta
            .remove("snapshot.json")
            .ok_or_else(|| fmt_err(role, "meta must hold exactly \"snapshot.json\""))?;
        Ok(Self { common, snapshot })
    }
}

impl Snapshot {
    /// Reads snapshot metadata from its `signed` object.
    pub fn from_signed(signed: &Json) -> Result<Self, MetaError> {
        let role = Role::Snapshot;
        let (o, common) = common(signed, role)?;
        let meta = meta_map(o, role)?;
        Ok(Self { common, meta })
    }
}

impl Targets {
    /// Reads targets metadata from its `signed` object; `delegations` are refused.
    pub fn from_signed(signed: &Json) -> Result<Self, MetaError> {
        let role = Role::Targets;
        let (o, common) = common(signed, role)?;
        if o.contains_key("delegations") {
            return Err(MetaError::Unsupported(
                "targets: delegations are not supported by this client (refused, not skipped)"
                    .into(),
            ));
        }
        let mut targets = SortedMap::new();
        for (path, t) in obj(get(o, role, "targets")?, role, "targets")? {
            let to = obj(t, role, "a target")?;
            let tf = TargetFile {
                length: uint(get(to, role, "length")?, role, "target length")?,
                hashes: hashes(get(to, role, "hashes")?, role)?,
            };
            targets.insert(path.clone(), tf);
        }
        Ok(Self { common, targets })
    }
}

/// Why bytes do not match a listed length or hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestMismatch {
    /// The length differs from the listed one.
    Length(String),
    /// A listed hash differs, or uses an algorithm this client cannot compute.
    Hash(String),
}

/// Checks `data` against a listed length and every listed hash (`sha256`, `sha512`).
pub fn check_length_and_hashes(
    data: &[u8],
    length: Option<u64>,
    hashes: Option<&SortedMap<String, String>>,
) -> Result<(), DigestMismatch> {
    if let Some(l) = length {
        if data.len() as u64 != l {
            return Err(DigestMismatch::Length(format!(
                "{} bytes, {l} listed",
                data.len()
            )));
        }
    }
    for (alg, want) in hashes.into_iter().flatten() {
        let got = match alg.as_str() {
            "sha256" => digest::digest(&digest::SHA256, data),
            "sha512" => digest::digest(&digest::SHA512, data),
            other => {
                return Err(DigestMismatch::Hash(format!(
                    "unsupported hash algorithm {other:?}"
                )));
            }
        };
        // Compared as lowercase hex strings, as python-tuf compares `hexdigest()`.
        if hex_encode(got.as_ref()) != *want {
            return Err(DigestMismatch::Hash(format!("{alg} mismatch")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn time_round_trips_and_is_strict() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2030-02-28T23:59:59Z",
            "2028-02-29T12:00:00Z",
            "2100-12-31T00:00:01Z",
        ] {
            assert_eq!(format_time(parse_time(s).unwrap()), s);
        }
        assert_eq!(parse_time("2026-12-02T00:00:00Z"), Some(1_796_169_600));
        for bad in [
            "2026-12-02T00:00:00",
            "2026-12-02 00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2027-02-29T00:00:00Z",
            "2026-12-02T24:00:00Z",
            "2026-12-02T00:00:00.5Z",
            "+026-12-02T00:00:00Z",
        ] {
            assert!(parse_time(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn signatures_naming_one_keyid_twice_are_refused() {
        let doc =
            br#"{"signed":{},"signatures":[{"keyid":"a","sig":"00"},{"keyid":"a","sig":"01"}]}"#;
        let e = Envelope::parse(doc, Role::Root).unwrap_err();
        assert!(e.to_string().contains("multiple signatures"), "{e}");
    }

    #[test]
    fn listed_hashes_and_length_are_all_checked() {
        let data = b"pins";
        let sha = hex_encode(digest::digest(&digest::SHA256, data).as_ref());
        let mut h = SortedMap::from([("sha256".to_owned(), sha)]);
        assert!(check_length_and_hashes(data, Some(4), Some(&h)).is_ok());
        assert!(matches!(
            check_length_and_hashes(data, Some(5), Some(&h)),
            Err(DigestMismatch::Length(_))
        ));
        let upper =
            SortedMap::from([("sha256".to_owned(), h.get("sha256").unwrap().to_uppercase())]);
        assert!(check_length_and_hashes(data, None, Some(&upper)).is_err());
        h.insert("sha512".into(), "00".repeat(64));
        assert!(matches!(
            check_length_and_hashes(data, None, Some(&h)),
            Err(DigestMismatch::Hash(_))
        ));
        let unknown = SortedMap::from([("md5".to_owned(), "00".repeat(16))]);
        assert!(check_length_and_hashes(data, None, Some(&unknown)).is_err());
    }
}
