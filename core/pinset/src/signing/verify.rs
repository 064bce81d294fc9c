//! Verification with a policy as data. Every signature label is verified on its own; one bad
//! signature is never masked by a good one.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use sfv::{BareItem, Dictionary, Item, ListEntry, Parser};

use super::base::{self, Component};
use super::key::{Algorithm, VerifyingKey};
use super::message::HttpMessage;
use super::{ParamValue, SigningError, check_content_digest};

/// What a verifier requires. The defaults are the safe profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// Component identifiers that must be covered (`@method`, `content-digest`, …).
    pub required_components: Vec<String>,
    /// `created` must be present (default true).
    pub require_created: bool,
    /// Reject signatures older than this many seconds (default 300).
    pub max_age: Option<u64>,
    /// Tolerated clock difference in seconds (default 30).
    pub clock_skew: u64,
    /// `nonce` must be present (default false; a nonce store checks replays when one is given).
    pub require_nonce: bool,
    /// The signature must carry this `tag`.
    pub expected_tag: Option<String>,
    /// Verify only this label (default: every label in the message).
    pub label: Option<String>,
    /// When the message has a body, `content-digest` must be covered (default true).
    pub require_digest_for_body: bool,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        Self {
            required_components: Vec::new(),
            require_created: true,
            max_age: Some(300),
            clock_skew: 30,
            require_nonce: false,
            expected_tag: None,
            label: None,
            require_digest_for_body: true,
        }
    }
}

/// A key and the algorithms allowed with it.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// The key.
    pub key: VerifyingKey,
    /// Allowed algorithms; empty means the key's default algorithm only.
    pub allowed: Vec<Algorithm>,
}

/// Finds verification keys by `keyid`.
pub trait KeyResolver: Send + Sync {
    /// The key for a `keyid` (None when the signature has no keyid).
    fn resolve(&self, keyid: Option<&str>) -> Option<KeyEntry>;
}

impl KeyResolver for KeyEntry {
    fn resolve(&self, _keyid: Option<&str>) -> Option<KeyEntry> {
        Some(self.clone())
    }
}

impl KeyResolver for HashMap<String, KeyEntry> {
    fn resolve(&self, keyid: Option<&str>) -> Option<KeyEntry> {
        keyid.and_then(|k| self.get(k)).cloned()
    }
}

/// Remembers nonces to refuse replays. Servers may bring their own (shared cache, database).
pub trait NonceStore: Send + Sync {
    /// Records `nonce` (scoped by `keyid`) until `keep_until`; `Ok(false)` when already seen.
    fn check_and_insert(
        &self,
        keyid: Option<&str>,
        nonce: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<bool, SigningError>;
}

/// A bounded in-memory nonce store. When full of unexpired nonces it refuses new ones
/// ([`SigningError::NonceStoreFull`]) rather than forgetting one, which would re-open a replay.
#[derive(Debug)]
pub struct MemoryNonceStore {
    capacity: usize,
    inner: Mutex<Nonces>,
}

/// Seen nonces with their expiry, plus insertion order for cheap expiry.
type Nonces = (HashMap<String, i64>, VecDeque<(i64, String)>);

impl MemoryNonceStore {
    /// A store holding at most `capacity` nonces.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }
}

impl NonceStore for MemoryNonceStore {
    fn check_and_insert(
        &self,
        keyid: Option<&str>,
        nonce: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<bool, SigningError> {
        let mut g = self
            .inner
            .lock()
            .map_err(|_| SigningError::Signer("nonce store poisoned".into()))?;
        let (seen, order) = &mut *g;
        // Expire old entries (kept in insertion order; keep_until is monotone enough for a bound).
        while order.front().is_some_and(|(t, _)| *t < now) {
            if let Some((t, k)) = order.pop_front() {
                if seen.get(&k) == Some(&t) {
                    seen.remove(&k);
                }
            }
        }
        let key = format!("{}\u{0}{nonce}", keyid.unwrap_or(""));
        if seen.contains_key(&key) {
            return Ok(false);
        }
        if seen.len() >= self.capacity {
            return Err(SigningError::NonceStoreFull);
        }
        seen.insert(key.clone(), keep_until);
        order.push_back((keep_until, key));
        Ok(true)
    }
}

/// One verified signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Its label.
    pub label: String,
    /// Its `keyid`, if any.
    pub keyid: Option<String>,
    /// The algorithm used.
    pub alg: Algorithm,
    /// Its `created`, if any.
    pub created: Option<i64>,
    /// The covered component identifiers.
    pub covered: Vec<String>,
}

/// Verifies the signatures of `msg` (all labels, or `policy.label`). Fails if any fails, and
/// before any of them when the message's framing is inconsistent
/// ([`HttpMessage::check_framing`]): the body verified must be the body a server frames.
pub fn verify(
    msg: &HttpMessage,
    related_request: Option<&HttpMessage>,
    keys: &dyn KeyResolver,
    policy: &VerifyPolicy,
    nonces: Option<&dyn NonceStore>,
    now: i64,
) -> Result<Vec<Verified>, SigningError> {
    msg.check_framing()?;
    if let Some(r) = related_request {
        r.check_framing()?;
    }
    let input = msg
        .field_values("signature-input")
        .collect::<Vec<_>>()
        .join(", ");
    let sigs = msg.field_values("signature").collect::<Vec<_>>().join(", ");
    if input.is_empty() {
        return Err(SigningError::MissingSignature(
            "no Signature-Input field".into(),
        ));
    }
    // Validate both fields as Dictionaries (strict RFC 8941), then work on raw member bytes.
    Parser::new(&input)
        .parse::<Dictionary>()
        .map_err(|e| SigningError::Params(format!("Signature-Input: {e}")))?;
    let sig_dict: Dictionary = Parser::new(&sigs)
        .parse()
        .map_err(|e| SigningError::Params(format!("Signature: {e}")))?;
    let members = base::raw_members(&input);
    let mut labels: Vec<&(String, String)> = Vec::new();
    for m in &members {
        if members.iter().filter(|o| o.0 == m.0).count() > 1 {
            return Err(SigningError::Params(format!(
                "label '{}' appears more than once in Signature-Input",
                m.0
            )));
        }
        if policy.label.as_ref().is_none_or(|l| *l == m.0) {
            labels.push(m);
        }
    }
    if labels.is_empty() {
        return Err(SigningError::MissingSignature(format!(
            "no signature labelled '{}'",
            policy.label.as_deref().unwrap_or("")
        )));
    }
    labels
        .iter()
        .map(|(label, raw)| {
            verify_one(
                msg,
                related_request,
                keys,
                policy,
                nonces,
                now,
                label,
                raw,
                &sig_dict,
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn verify_one(
    msg: &HttpMessage,
    related: Option<&HttpMessage>,
    keys: &dyn KeyResolver,
    policy: &VerifyPolicy,
    nonces: Option<&dyn NonceStore>,
    now: i64,
    label: &str,
    raw: &str,
    sig_dict: &Dictionary,
) -> Result<Verified, SigningError> {
    let inner = base::parse_member_inner_list(raw)?;
    let covered: Vec<Component> = base::parse_covered(&inner)?;
    let params = super::params_of(&inner)?;
    let int = |k: &str| {
        params.iter().find(|(n, _)| n == k).and_then(|(_, v)| {
            if let ParamValue::Integer(i) = v {
                Some(*i)
            } else {
                None
            }
        })
    };
    let string = |k: &str| {
        params.iter().find(|(n, _)| n == k).and_then(|(_, v)| {
            if let ParamValue::String(s) = v {
                Some(s.clone())
            } else {
                None
            }
        })
    };
    let signature = match sig_dict
        .iter()
        .find(|(k, _)| k.as_str() == label)
        .map(|(_, v)| v)
    {
        Some(ListEntry::Item(Item {
            bare_item: BareItem::ByteSequence(b),
            ..
        })) => b.clone(),
        Some(_) => {
            return Err(SigningError::Params(format!(
                "Signature member '{label}' is not a Byte Sequence"
            )));
        }
        None => {
            return Err(SigningError::MissingSignature(format!(
                "Signature has no member '{label}'"
            )));
        }
    };
    let ids: Vec<String> = covered.iter().map(|c| c.serialized.clone()).collect();
    for req in &policy.required_components {
        let want = Component::parse(req)?.serialized;
        if !ids.contains(&want) {
            return Err(SigningError::MissingComponent(format!(
                "{want} is required by policy but not covered by '{label}'"
            )));
        }
    }
    if policy.require_digest_for_body
        && !msg.body.is_empty()
        && !ids.iter().any(|i| i == "\"content-digest\"")
    {
        return Err(SigningError::MissingComponent(format!(
            "\"content-digest\" (the message has a body) in '{label}'"
        )));
    }
    let created = int("created");
    let skew = i64::try_from(policy.clock_skew).unwrap_or(i64::MAX);
    match created {
        None if policy.require_created => return Err(SigningError::MissingParameter("created")),
        Some(c) if c > now.saturating_add(skew) => {
            return Err(SigningError::NotYetValid { created: c, now });
        }
        Some(c) => {
            if let Some(max) = policy.max_age {
                let max = i64::try_from(max).unwrap_or(i64::MAX);
                if now.saturating_sub(c) > max.saturating_add(skew) {
                    return Err(SigningError::Expired(format!(
                        "created {c} is more than {max} s before now {now}"
                    )));
                }
            }
        }
        None => {}
    }
    let expires = int("expires");
    if let Some(e) = expires {
        if now.saturating_sub(skew) > e {
            return Err(SigningError::Expired(format!(
                "expires {e} is before now {now}"
            )));
        }
    }
    if let Some(expected) = &policy.expected_tag {
        let got = string("tag").unwrap_or_default();
        if got != *expected {
            return Err(SigningError::TagMismatch {
                expected: expected.clone(),
                got,
            });
        }
    }
    let nonce = string("nonce");
    if policy.require_nonce && nonce.is_none() {
        return Err(SigningError::MissingParameter("nonce"));
    }
    let keyid = string("keyid");
    let entry = keys
        .resolve(keyid.as_deref())
        .ok_or_else(|| SigningError::UnknownKey(keyid.clone().unwrap_or_default()))?;
    let alg = match string("alg") {
        Some(a) => a
            .parse::<Algorithm>()
            .map_err(|e| SigningError::AlgorithmMismatch(e.to_string()))?,
        None => entry
            .allowed
            .first()
            .copied()
            .unwrap_or_else(|| entry.key.default_alg()),
    };
    let allowed = if entry.allowed.is_empty() {
        vec![entry.key.default_alg()]
    } else {
        entry.allowed.clone()
    };
    if !allowed.contains(&alg) || !entry.key.supports(alg) {
        return Err(SigningError::AlgorithmMismatch(format!(
            "{alg} is not allowed for key '{}'",
            keyid.unwrap_or_default()
        )));
    }
    let base = base::signature_base(msg, related, &covered, raw)?;
    entry.key.verify(alg, &base, &signature)?;
    // Only a valid signature's covered digest is checked against the body (it is what the
    // signer vouched for).
    if ids.iter().any(|i| i == "\"content-digest\"") {
        let value = msg
            .field_values("content-digest")
            .collect::<Vec<_>>()
            .join(", ");
        check_content_digest(&value, &msg.body)?;
    }
    for c in covered
        .iter()
        .filter(|c| c.req && c.name == "content-digest")
    {
        let req = related.ok_or_else(|| SigningError::MissingComponent(c.serialized.clone()))?;
        let value = req
            .field_values("content-digest")
            .collect::<Vec<_>>()
            .join(", ");
        check_content_digest(&value, &req.body)?;
    }
    // Nonces are stored only for signatures that verified, so forgeries cannot burn them.
    if let (Some(store), Some(n)) = (nonces, &nonce) {
        let keep = created
            .unwrap_or(now)
            .saturating_add(i64::try_from(policy.max_age.unwrap_or(86_400)).unwrap_or(86_400))
            + skew;
        let keep = expires.map_or(keep, |e| keep.max(e));
        if !store.check_and_insert(keyid.as_deref(), n, now, keep)? {
            return Err(SigningError::Replay(n.clone()));
        }
    }
    Ok(Verified {
        label: label.to_owned(),
        keyid,
        alg,
        created,
        covered: ids,
    })
}
