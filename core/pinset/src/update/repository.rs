//! The repository side: sign TUF metadata for a pin manifest (what `pinset update init`,
//! `publish` and `rotate-root` do), in the plain TUF 1.0 layout any TUF client reads.
//!
//! Keys are PKCS#8 PEM private keys: Ed25519 (`ed25519`) or P-256 (`ecdsa-sha2-nistp256`, DER
//! signatures). Key ids are the hex SHA-256 of the key's canonical JSON, as securesystemslib
//! computes them.

use super::map::SortedMap;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};

use super::cjson::Json;
use super::keys::hex_encode;
use super::metadata::{Role, format_time};

/// A signing key for repository metadata.
#[derive(Debug)]
pub struct RepoKey {
    inner: Inner,
    /// The key object as root lists it (`keytype`, `scheme`, `keyval`).
    public: Json,
    /// The key id (hex SHA-256 of the canonical key object).
    pub keyid: String,
}

#[derive(Debug)]
enum Inner {
    Ed25519(Ed25519KeyPair),
    Ecdsa(EcdsaKeyPair),
}

const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

fn obj<const N: usize>(members: [(&str, Json); N]) -> Json {
    Json::Obj(
        members
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn s(v: &str) -> Json {
    Json::Str(v.to_owned())
}

impl RepoKey {
    /// Loads a PKCS#8 PEM (`PRIVATE KEY`) Ed25519 or P-256 key.
    pub fn from_pem(pem: &[u8]) -> Result<Self, String> {
        let mut rd = pem;
        let der = loop {
            match rustls_pki_types::pem::from_buf(&mut rd) {
                Ok(Some((rustls_pki_types::pem::SectionKind::PrivateKey, der))) => break der,
                Ok(Some(_)) => continue,
                Ok(None) => return Err("no PKCS#8 PRIVATE KEY block found".into()),
                Err(e) => return Err(format!("PEM: {e}")),
            }
        };
        Self::from_pkcs8(&der)
    }

    /// Loads a PKCS#8 DER Ed25519 or P-256 key.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, String> {
        let info = crate::certificate::keyinfo::private_key_info(der)
            .map_err(|e| format!("PKCS#8: {} at byte {}", e.reason, e.offset))?;
        let oid = info.algorithm.oid;
        if oid == OID_ED25519 {
            let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map_err(|e| format!("Ed25519 key: {e}"))?;
            let public = obj([
                ("keytype", s("ed25519")),
                ("scheme", s("ed25519")),
                (
                    "keyval",
                    obj([("public", s(&hex_encode(kp.public_key().as_ref())))]),
                ),
            ]);
            return Ok(Self::with_id(Inner::Ed25519(kp), public));
        }
        if oid == OID_EC {
            let kp = EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                der,
                &SystemRandom::new(),
            )
            .map_err(|e| format!("P-256 key (only P-256 is supported): {e}"))?;
            let spki = p256_spki_pem(kp.public_key().as_ref());
            let public = obj([
                ("keytype", s("ecdsa")),
                ("scheme", s("ecdsa-sha2-nistp256")),
                ("keyval", obj([("public", s(&spki))])),
            ]);
            return Ok(Self::with_id(Inner::Ecdsa(kp), public));
        }
        Err(format!(
            "unsupported key algorithm {} (Ed25519 or P-256 only)",
            crate::certificate::keyinfo::oid_text(oid)
        ))
    }

    /// The key object as root lists it (`keytype`, `scheme`, `keyval`).
    pub fn public_json(&self) -> &Json {
        &self.public
    }

    fn with_id(inner: Inner, public: Json) -> Self {
        let keyid =
            hex_encode(ring::digest::digest(&ring::digest::SHA256, &public.canonical()).as_ref());
        Self {
            inner,
            public,
            keyid,
        }
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        match &self.inner {
            Inner::Ed25519(kp) => Ok(kp.sign(msg).as_ref().to_vec()),
            Inner::Ecdsa(kp) => kp
                .sign(&SystemRandom::new(), msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| "ECDSA signing failed".to_owned()),
        }
    }
}

/// DER SubjectPublicKeyInfo (id-ecPublicKey, P-256) around an uncompressed point, as PEM.
fn p256_spki_pem(point: &[u8]) -> String {
    let mut der = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    der.extend_from_slice(point);
    crate::certificate::pem_encode_block("PUBLIC KEY", &der)
}

/// Signs `signed` with every key: the metadata file's text (indented JSON).
pub fn sign(signed: &Json, keys: &[&RepoKey]) -> Result<String, String> {
    let msg = signed.canonical();
    let mut sigs = Vec::with_capacity(keys.len());
    for k in keys {
        sigs.push(obj([
            ("keyid", s(&k.keyid)),
            ("sig", s(&hex_encode(&k.sign(&msg)?))),
        ]));
    }
    Ok(obj([("signatures", Json::Arr(sigs)), ("signed", signed.clone())]).pretty())
}

fn header(role: Role, version: u64, expires: i64) -> SortedMap<String, Json> {
    let mut m = SortedMap::new();
    m.insert("_type".into(), s(role.name()));
    m.insert("spec_version".into(), s("1.0.31"));
    m.insert(
        "version".into(),
        Json::Int(i64::try_from(version).unwrap_or(i64::MAX)),
    );
    m.insert("expires".into(), s(&format_time(expires)));
    m
}

/// Keys and threshold for one role of a new root.
#[derive(Debug)]
pub struct RoleSpec<'a> {
    /// The role's keys.
    pub keys: Vec<&'a RepoKey>,
    /// How many must sign (at least 1).
    pub threshold: u64,
}

/// The `signed` object of a root (consistent snapshots on).
pub fn root_signed(
    version: u64,
    expires: i64,
    roles: &std::collections::BTreeMap<Role, RoleSpec<'_>>,
) -> Result<Json, String> {
    let mut m = header(Role::Root, version, expires);
    m.insert("consistent_snapshot".into(), Json::Bool(true));
    let mut keys = SortedMap::new();
    let mut role_objs = SortedMap::new();
    for r in [Role::Root, Role::Timestamp, Role::Snapshot, Role::Targets] {
        let spec = roles
            .get(&r)
            .ok_or_else(|| format!("no keys given for the {} role", r.name()))?;
        if spec.threshold < 1 || spec.threshold > spec.keys.len() as u64 {
            return Err(format!(
                "{} threshold {} must be between 1 and its {} keys",
                r.name(),
                spec.threshold,
                spec.keys.len()
            ));
        }
        let mut ids = Vec::new();
        for k in &spec.keys {
            keys.insert(k.keyid.clone(), k.public.clone());
            if !ids.contains(&s(&k.keyid)) {
                ids.push(s(&k.keyid));
            }
        }
        role_objs.insert(
            r.name().to_owned(),
            obj([
                ("keyids", Json::Arr(ids)),
                (
                    "threshold",
                    Json::Int(i64::try_from(spec.threshold).unwrap_or(i64::MAX)),
                ),
            ]),
        );
    }
    m.insert("keys".into(), Json::Obj(keys));
    m.insert("roles".into(), Json::Obj(role_objs));
    Ok(Json::Obj(m))
}

fn hashes_obj(data: &[u8]) -> Json {
    obj([(
        "sha256",
        s(&hex_encode(
            ring::digest::digest(&ring::digest::SHA256, data).as_ref(),
        )),
    )])
}

/// The `signed` object of targets listing `files` (path → content).
pub fn targets_signed(version: u64, expires: i64, files: &[(&str, &[u8])]) -> Json {
    let mut m = header(Role::Targets, version, expires);
    let t = files
        .iter()
        .map(|(path, data)| {
            (
                (*path).to_owned(),
                obj([
                    ("hashes", hashes_obj(data)),
                    (
                        "length",
                        Json::Int(i64::try_from(data.len()).unwrap_or(i64::MAX)),
                    ),
                ]),
            )
        })
        .collect();
    m.insert("targets".into(), Json::Obj(t));
    Json::Obj(m)
}

/// The `signed` object of a snapshot listing targets `targets_version`.
pub fn snapshot_signed(version: u64, expires: i64, targets_version: u64) -> Json {
    let mut m = header(Role::Snapshot, version, expires);
    m.insert(
        "meta".into(),
        obj([(
            "targets.json",
            obj([(
                "version",
                Json::Int(i64::try_from(targets_version).unwrap_or(i64::MAX)),
            )]),
        )]),
    );
    Json::Obj(m)
}

/// The `signed` object of a timestamp listing snapshot `snapshot_version` (with its length
/// and hash, so the client checks them before the snapshot's signatures).
pub fn timestamp_signed(
    version: u64,
    expires: i64,
    snapshot_version: u64,
    snapshot: &[u8],
) -> Json {
    let mut m = header(Role::Timestamp, version, expires);
    m.insert(
        "meta".into(),
        obj([(
            "snapshot.json",
            obj([
                ("hashes", hashes_obj(snapshot)),
                (
                    "length",
                    Json::Int(i64::try_from(snapshot.len()).unwrap_or(i64::MAX)),
                ),
                (
                    "version",
                    Json::Int(i64::try_from(snapshot_version).unwrap_or(i64::MAX)),
                ),
            ]),
        )]),
    );
    Json::Obj(m)
}

/// The consistent-snapshot file name of a target: `dir/<sha256>.name`.
pub fn target_file_name(path: &str, data: &[u8]) -> String {
    let hash = hex_encode(ring::digest::digest(&ring::digest::SHA256, data).as_ref());
    match path.rsplit_once('/') {
        Some((dir, base)) => format!("{dir}/{hash}.{base}"),
        None => format!("{hash}.{path}"),
    }
}

/// Reads the `version` of a metadata file's `signed` object (for publishing the next one).
pub fn version_of(file: &[u8]) -> Result<u64, String> {
    let doc = super::cjson::parse(file).map_err(|e| e.to_string())?;
    doc.as_obj()
        .and_then(|o| o.get("signed"))
        .and_then(Json::as_obj)
        .and_then(|o| o.get("version"))
        .and_then(Json::as_int)
        .and_then(|v| u64::try_from(v).ok())
        .ok_or_else(|| "metadata has no signed.version".to_owned())
}

fn signed_obj(file: &[u8]) -> Result<Json, String> {
    let doc = super::cjson::parse(file).map_err(|e| e.to_string())?;
    doc.as_obj()
        .and_then(|o| o.get("signed"))
        .cloned()
        .ok_or_else(|| "metadata has no \"signed\" object".to_owned())
}

fn role_entry(root_file: &Json, role: Role) -> Result<&SortedMap<String, Json>, String> {
    root_file
        .as_obj()
        .and_then(|o| o.get("signed"))
        .and_then(Json::as_obj)
        .and_then(|o| o.get("roles"))
        .and_then(Json::as_obj)
        .and_then(|o| o.get(role.name()))
        .and_then(Json::as_obj)
        .ok_or_else(|| format!("root lists no {} role", role.name()))
}

/// The key ids root (a parsed root file) lists for `role`.
pub fn role_keyids(root_file: &Json, role: Role) -> Result<Vec<String>, String> {
    match role_entry(root_file, role)?.get("keyids") {
        Some(Json::Arr(ids)) => Ok(ids
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_owned)
            .collect()),
        _ => Err(format!("root's {} role has no keyids", role.name())),
    }
}

/// The threshold root (a parsed root file) sets for `role`.
pub fn role_threshold(root_file: &Json, role: Role) -> Result<u64, String> {
    role_entry(root_file, role)?
        .get("threshold")
        .and_then(Json::as_int)
        .and_then(|t| u64::try_from(t).ok())
        .ok_or_else(|| format!("root's {} role has no threshold", role.name()))
}

/// The version a timestamp or snapshot file lists for `name` (`snapshot.json`, `targets.json`).
pub fn meta_version(file: &[u8], name: &str) -> Result<u64, String> {
    signed_obj(file)?
        .as_obj()
        .and_then(|o| o.get("meta"))
        .and_then(Json::as_obj)
        .and_then(|m| m.get(name))
        .and_then(Json::as_obj)
        .and_then(|m| m.get("version"))
        .and_then(Json::as_int)
        .and_then(|v| u64::try_from(v).ok())
        .ok_or_else(|| format!("metadata lists no version for {name}"))
}

/// The sha256 a targets file lists for `target`, if it lists the target.
pub fn target_sha256(targets_file: &[u8], target: &str) -> Result<Option<String>, String> {
    let signed = signed_obj(targets_file)?;
    Ok(signed
        .as_obj()
        .and_then(|o| o.get("targets"))
        .and_then(Json::as_obj)
        .and_then(|t| t.get(target))
        .and_then(Json::as_obj)
        .and_then(|t| t.get("hashes"))
        .and_then(Json::as_obj)
        .and_then(|h| h.get("sha256"))
        .and_then(Json::as_str)
        .map(str::to_owned))
}

/// Root version N+1 from the current root file: the roles in `replace` get new keys and
/// thresholds, the others keep theirs. Signed by `old_keys` and the new root keys; refused
/// unless it meets both the current and the new root threshold (what clients check).
pub fn rotate_root(
    current: &str,
    replace: &std::collections::BTreeMap<Role, RoleSpec<'_>>,
    expires: i64,
    old_keys: &[&RepoKey],
) -> Result<String, String> {
    use super::metadata::{Envelope, Root};
    let cur_env = Envelope::parse(current.as_bytes(), Role::Root).map_err(|e| e.to_string())?;
    let cur = Root::from_signed(&cur_env.signed).map_err(|e| e.to_string())?;
    let Json::Obj(mut signed) = cur_env.signed.clone() else {
        return Err("root's signed is not an object".into());
    };
    let version = cur.common.version + 1;
    signed.insert(
        "version".into(),
        Json::Int(i64::try_from(version).unwrap_or(i64::MAX)),
    );
    signed.insert("expires".into(), s(&format_time(expires)));
    let mut keys = match signed.remove("keys") {
        Some(Json::Obj(k)) => k,
        _ => SortedMap::new(),
    };
    let Some(Json::Obj(mut roles)) = signed.remove("roles") else {
        return Err("root has no roles".into());
    };
    for (role, spec) in replace {
        if spec.threshold < 1 || spec.threshold > spec.keys.len() as u64 {
            return Err(format!(
                "{} threshold {} must be between 1 and its {} keys",
                role.name(),
                spec.threshold,
                spec.keys.len()
            ));
        }
        let mut ids = Vec::new();
        for k in &spec.keys {
            keys.insert(k.keyid.clone(), k.public.clone());
            if !ids.contains(&s(&k.keyid)) {
                ids.push(s(&k.keyid));
            }
        }
        roles.insert(
            role.name().to_owned(),
            obj([
                ("keyids", Json::Arr(ids)),
                (
                    "threshold",
                    Json::Int(i64::try_from(spec.threshold).unwrap_or(i64::MAX)),
                ),
            ]),
        );
    }
    // Drop keys no role lists any more.
    let used: Vec<String> = roles
        .values()
        .filter_map(|r| r.as_obj()?.get("keyids").cloned())
        .flat_map(|ids| match ids {
            Json::Arr(v) => v
                .into_iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    keys.retain(|id, _| used.contains(id));
    signed.insert("keys".into(), Json::Obj(keys));
    signed.insert("roles".into(), Json::Obj(roles));
    let signed = Json::Obj(signed);
    let mut signers: Vec<&RepoKey> = Vec::new();
    for k in old_keys.iter().copied().chain(
        replace
            .get(&Role::Root)
            .into_iter()
            .flat_map(|r| r.keys.iter().copied()),
    ) {
        if !signers.iter().any(|x| x.keyid == k.keyid) {
            signers.push(k);
        }
    }
    let text = sign(&signed, &signers)?;
    let env = Envelope::parse(text.as_bytes(), Role::Root).map_err(|e| e.to_string())?;
    let new = Root::from_signed(&env.signed).map_err(|e| e.to_string())?;
    cur.verify_role(Role::Root, &env)
        .map_err(|e| format!("the --old-key keys do not meet the current root threshold: {e}"))?;
    new.verify_role(Role::Root, &env)
        .map_err(|e| format!("the new root keys do not meet the new root threshold: {e}"))?;
    Ok(text)
}
