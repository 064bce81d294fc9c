//! HTTP Message Signatures (RFC 9421) with Content-Digest (RFC 9530).
//!
//! - [`message`]: the message model (components as received) and a strict HTTP/1.1 parser,
//!   framed per RFC 9112 §6 (one set of framing rules for the wire and for explicit bodies).
//! - [`base`]: component identifiers and the signature base.
//! - [`key`]: the six algorithms over ring; PKCS#8 / SEC1 / PKCS#1 / RSA-PSS-OID keys.
//! - [`verify`]: verification with a policy as data, nonce replay store.
//!
//! Signing calls a [`Signer`], which may be foreign (a Kotlin/Swift object holding an Android
//! Keystore or Secure Enclave key): [`sign`] calls it synchronously; [`prepare`] +
//! [`PreparedSignature::apply`] split the work around an asynchronous key store.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sfv::{
    BareItem, Dictionary, FieldType as _, InnerList, Item, KeyRef, ListEntry, Parameters, Parser,
};

pub mod base;
mod framing;
pub mod key;
pub mod message;
pub mod verify;

pub use base::Component;
pub use key::{Algorithm, MIN_HMAC_KEY_BYTES, SigningKey, VerifyingKey};
pub use message::HttpMessage;
pub use verify::{KeyResolver, MemoryNonceStore, NonceStore, Verified, VerifyPolicy};

/// Everything that can go wrong signing or verifying. Each variant is one error kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    /// The HTTP message is malformed (request line, field line, CR/LF in a value…).
    #[error("message: {0}")]
    Message(String),
    /// A component identifier is invalid, duplicated, or its value unusable.
    #[error("component: {0}")]
    Component(String),
    /// A covered (or required) component is not in the message.
    #[error("missing component: {0}")]
    MissingComponent(String),
    /// Signature parameters or the `Signature-Input`/`Signature` fields are malformed.
    #[error("signature parameters: {0}")]
    Params(String),
    /// A required signature parameter (`created`, `nonce`, …) is absent.
    #[error("missing signature parameter '{0}'")]
    MissingParameter(&'static str),
    /// A key could not be loaded or used.
    #[error("key: {0}")]
    Key(String),
    /// The algorithm does not match the key type or is not allowed for the key.
    #[error("algorithm mismatch: {0}")]
    AlgorithmMismatch(String),
    /// The cryptographic signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// `Content-Digest` does not match the body, or is missing where required.
    #[error("bad digest: {0}")]
    BadDigest(String),
    /// The signature is too old (`created` + max age) or past its `expires`.
    #[error("expired: {0}")]
    Expired(String),
    /// `created` lies in the future beyond the allowed clock skew.
    #[error("not yet valid: created {created} is after now {now} (+ skew)")]
    NotYetValid {
        /// The `created` parameter.
        created: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The nonce was seen before (replay).
    #[error("replayed nonce '{0}'")]
    Replay(String),
    /// The nonce store is full of unexpired nonces; refusing rather than forgetting one.
    #[error("nonce store full: refusing to accept more signatures until entries expire")]
    NonceStoreFull,
    /// No key is known for the signature's `keyid`.
    #[error("unknown key '{0}'")]
    UnknownKey(String),
    /// The signature's `tag` is not the expected application tag.
    #[error("tag mismatch: expected '{expected}', got '{got}'")]
    TagMismatch {
        /// What the policy requires.
        expected: String,
        /// What the signature carries.
        got: String,
    },
    /// No signature (or not the requested label) in the message.
    #[error("missing signature: {0}")]
    MissingSignature(String),
    /// The (possibly foreign) signer failed.
    #[error("signer: {0}")]
    Signer(String),
}

/// Produces signatures over a signature base. May be implemented by a platform key store.
pub trait Signer: Send + Sync {
    /// The algorithm this signer produces.
    fn algorithm(&self) -> Algorithm;
    /// Signs the signature base bytes.
    fn sign(&self, base: &[u8]) -> Result<Vec<u8>, SigningError>;
}

/// An in-memory key with a chosen algorithm.
#[derive(Debug)]
pub struct KeySigner {
    key: SigningKey,
    alg: Algorithm,
}

impl KeySigner {
    /// Pairs a key with an algorithm it supports (default: the key's own).
    pub fn new(key: SigningKey, alg: Option<Algorithm>) -> Result<Self, SigningError> {
        let alg = alg.unwrap_or(key.default_alg);
        if !key.supports(alg) {
            return Err(SigningError::AlgorithmMismatch(format!(
                "{alg} cannot be used with a {} key",
                key.default_alg
            )));
        }
        Ok(Self { key, alg })
    }
}

impl Signer for KeySigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
    fn sign(&self, base: &[u8]) -> Result<Vec<u8>, SigningError> {
        self.key.sign(self.alg, base)
    }
}

/// RFC 9530 digest algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlg {
    /// `sha-256`.
    Sha256,
    /// `sha-512`.
    Sha512,
}

impl DigestAlg {
    /// The registered key.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Sha256 => "sha-256",
            Self::Sha512 => "sha-512",
        }
    }

    fn digest(self, body: &[u8]) -> Vec<u8> {
        let alg = match self {
            Self::Sha256 => &ring::digest::SHA256,
            Self::Sha512 => &ring::digest::SHA512,
        };
        ring::digest::digest(alg, body).as_ref().to_vec()
    }
}

impl std::str::FromStr for DigestAlg {
    type Err = SigningError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sha-256" => Ok(Self::Sha256),
            "sha-512" => Ok(Self::Sha512),
            _ => Err(SigningError::BadDigest(format!(
                "unsupported digest algorithm '{s}' (sha-256 or sha-512)"
            ))),
        }
    }
}

/// The `Content-Digest` field value for a body (`sha-256=:…:`).
pub fn content_digest(alg: DigestAlg, body: &[u8]) -> String {
    format!("{}=:{}:", alg.key(), STANDARD.encode(alg.digest(body)))
}

/// Checks a `Content-Digest` field value against the body: every known algorithm present must
/// match, and at least one must be present.
pub fn check_content_digest(value: &str, body: &[u8]) -> Result<(), SigningError> {
    let dict: Dictionary = Parser::new(value)
        .parse()
        .map_err(|e| SigningError::BadDigest(format!("Content-Digest is not a Dictionary: {e}")))?;
    let mut checked = 0;
    for (k, v) in &dict {
        let Ok(alg) = k.as_str().parse::<DigestAlg>() else {
            continue;
        };
        let ListEntry::Item(Item {
            bare_item: BareItem::ByteSequence(got),
            ..
        }) = v
        else {
            return Err(SigningError::BadDigest(format!(
                "{} is not a Byte Sequence",
                k.as_str()
            )));
        };
        if *got != alg.digest(body) {
            return Err(SigningError::BadDigest(format!(
                "{} does not match the body",
                alg.key()
            )));
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(SigningError::BadDigest(
            "no sha-256 or sha-512 member".into(),
        ));
    }
    Ok(())
}

/// What [`SignatureSpec::profile`] needs besides the message and the algorithm.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileOptions {
    /// The signature label.
    pub label: String,
    /// The `keyid` parameter.
    pub keyid: String,
    /// Components to cover (serialized identifiers or bare names); empty = the safe default
    /// (`@method @target-uri`, `content-type` when present, `content-digest` with a body).
    pub components: Vec<String>,
    /// `created` (Unix seconds).
    pub created: i64,
    /// Adds `expires` = `created` + this many seconds.
    pub expires_in: Option<i64>,
    /// An application `tag`.
    pub tag: Option<String>,
    /// The Content-Digest algorithm (default `sha-256` when there is a body).
    pub content_digest: Option<DigestAlg>,
}

/// A signature parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    /// `created`, `expires`.
    Integer(i64),
    /// `nonce`, `alg`, `keyid`, `tag`.
    String(String),
}

/// What to sign: a label, the covered components and the parameters, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureSpec {
    /// The Dictionary key in `Signature-Input` / `Signature`.
    pub label: String,
    /// Covered components, in order.
    pub components: Vec<Component>,
    /// Parameters in the order they are serialized.
    pub params: Vec<(String, ParamValue)>,
    /// When built from an exact serialization, that text (used verbatim).
    raw: Option<String>,
}

fn valid_label(label: &str) -> Result<(), SigningError> {
    KeyRef::from_str(label).map(|_| ()).map_err(|_| {
        SigningError::Params(format!("'{label}' is not a valid label (lowercase key)"))
    })
}

impl SignatureSpec {
    /// From an exact serialized value such as
    /// `("@method" "@authority");created=1618884473;keyid="k1"`, kept verbatim.
    pub fn from_serialized(label: &str, serialized: &str) -> Result<Self, SigningError> {
        valid_label(label)?;
        let inner = base::parse_member_inner_list(serialized)?;
        let components = base::parse_covered(&inner)?;
        let params = params_of(&inner)?;
        Ok(Self {
            label: label.to_owned(),
            components,
            params,
            raw: Some(serialized.to_owned()),
        })
    }

    /// From parts; parameters are serialized in the given order.
    pub fn new(
        label: &str,
        components: Vec<Component>,
        params: Vec<(String, ParamValue)>,
    ) -> Result<Self, SigningError> {
        valid_label(label)?;
        for (i, c) in components.iter().enumerate() {
            if components[..i].iter().any(|o| o.serialized == c.serialized) {
                return Err(SigningError::Component(format!(
                    "duplicate component {}",
                    c.serialized
                )));
            }
        }
        Ok(Self {
            label: label.to_owned(),
            components,
            params,
            raw: None,
        })
    }

    /// The safe profile: covers `@method`, `@target-uri`, `content-type` (when present) and
    /// `content-digest` (when there is a body), with `created`, a random `nonce`, `keyid` and `alg`.
    pub fn safe_default(
        label: &str,
        msg: &HttpMessage,
        keyid: &str,
        alg: Algorithm,
        now: i64,
    ) -> Result<Self, SigningError> {
        let mut names = vec!["@method", "@target-uri"];
        if msg.field_values("content-type").next().is_some() {
            names.push("content-type");
        }
        if !msg.body.is_empty() {
            names.push("content-digest");
        }
        let components = names
            .into_iter()
            .map(Component::parse)
            .collect::<Result<_, _>>()?;
        Self::new(
            label,
            components,
            vec![
                ("created".into(), ParamValue::Integer(now)),
                ("nonce".into(), ParamValue::String(random_nonce()?)),
                ("keyid".into(), ParamValue::String(keyid.to_owned())),
                ("alg".into(), ParamValue::String(alg.name().to_owned())),
            ],
        )
    }

    /// The signing profile every surface uses (the CLI's ergonomic form, the FFI): the safe
    /// default components or the caller's, then `created`, a random `nonce`, `keyid`, `alg`,
    /// and `expires` / `tag` when asked for. Content-Digest is added whenever there is a body
    /// (`sha-256` unless the caller names one); the returned digest goes to [`sign`].
    pub fn profile(
        msg: &HttpMessage,
        alg: Algorithm,
        options: &ProfileOptions,
    ) -> Result<(Self, Option<DigestAlg>), SigningError> {
        let now = options.created;
        let mut spec = if options.components.is_empty() {
            Self::safe_default(&options.label, msg, &options.keyid, alg, now)?
        } else {
            let components = options
                .components
                .iter()
                .map(|c| Component::parse(c))
                .collect::<Result<Vec<_>, _>>()?;
            Self::new(
                &options.label,
                components,
                vec![
                    ("created".into(), ParamValue::Integer(now)),
                    ("nonce".into(), ParamValue::String(random_nonce()?)),
                    ("keyid".into(), ParamValue::String(options.keyid.clone())),
                    ("alg".into(), ParamValue::String(alg.name().to_owned())),
                ],
            )?
        };
        if let Some(s) = options.expires_in {
            spec.params
                .push(("expires".into(), ParamValue::Integer(now.saturating_add(s))));
        }
        if let Some(t) = &options.tag {
            spec.params
                .push(("tag".into(), ParamValue::String(t.clone())));
        }
        let digest = options
            .content_digest
            .or((!msg.body.is_empty()).then_some(DigestAlg::Sha256));
        Ok((spec, digest))
    }

    /// The serialized inner list with parameters (the `@signature-params` value).
    pub fn serialized(&self) -> Result<String, SigningError> {
        if let Some(raw) = &self.raw {
            return Ok(raw.clone());
        }
        let items = self
            .components
            .iter()
            .map(|c| {
                Parser::new(&c.serialized)
                    .parse::<Item>()
                    .map_err(|e| SigningError::Component(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut params = Parameters::new();
        for (k, v) in &self.params {
            let key = sfv::Key::from_string(k.clone())
                .map_err(|(e, _)| SigningError::Params(format!("'{k}': {e}")))?;
            let value = match v {
                ParamValue::Integer(i) => BareItem::Integer(
                    sfv::Integer::try_from(*i)
                        .map_err(|e| SigningError::Params(format!("'{k}': {e}")))?,
                ),
                ParamValue::String(s) => BareItem::String(
                    sfv::String::from_string(s.clone())
                        .map_err(|(e, _)| SigningError::Params(format!("'{k}': {e}")))?,
                ),
            };
            if params.insert(key, value).is_some() {
                return Err(SigningError::Params(format!("duplicate parameter '{k}'")));
            }
        }
        let list: sfv::List = vec![ListEntry::InnerList(InnerList::with_params(items, params))];
        list.serialize()
            .ok_or_else(|| SigningError::Params("empty".into()))
    }
}

fn params_of(inner: &InnerList) -> Result<Vec<(String, ParamValue)>, SigningError> {
    inner
        .params
        .iter()
        .map(|(k, v)| {
            let value = match v {
                BareItem::Integer(i) => ParamValue::Integer(i64::from(*i)),
                BareItem::String(s) => ParamValue::String(s.as_str().to_owned()),
                _ => {
                    return Err(SigningError::Params(format!(
                        "parameter '{}' must be an integer or a string",
                        k.as_str()
                    )));
                }
            };
            let expect_int = matches!(k.as_str(), "created" | "expires");
            let expect_str = matches!(k.as_str(), "nonce" | "alg" | "keyid" | "tag");
            if (expect_int && !matches!(value, ParamValue::Integer(_)))
                || (expect_str && !matches!(value, ParamValue::String(_)))
            {
                return Err(SigningError::Params(format!(
                    "parameter '{}' has the wrong type",
                    k.as_str()
                )));
            }
            Ok((k.as_str().to_owned(), value))
        })
        .collect()
}

/// 16 random bytes, base64url without padding.
pub fn random_nonce() -> Result<String, SigningError> {
    use ring::rand::SecureRandom as _;
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| SigningError::Signer("no randomness".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// A signature base ready for a (possibly asynchronous) signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedSignature {
    /// The label.
    pub label: String,
    /// The bytes to sign.
    pub base: Vec<u8>,
    /// The `Signature-Input` member value.
    pub signature_input: String,
}

impl PreparedSignature {
    /// Adds `Signature-Input` and `Signature` fields carrying `signature`.
    pub fn apply(self, msg: &mut HttpMessage, signature: &[u8]) -> Result<(), SigningError> {
        if signature.is_empty() {
            return Err(SigningError::Signer("empty signature".into()));
        }
        msg.add_field(
            "signature-input",
            &format!("{}={}", self.label, self.signature_input),
        )?;
        msg.add_field(
            "signature",
            &format!("{}=:{}:", self.label, STANDARD.encode(signature)),
        )?;
        Ok(())
    }
}

/// Step one of two: checks the message's framing ([`HttpMessage::check_framing`]),
/// optionally adds `Content-Digest`, then builds the signature base.
pub fn prepare(
    msg: &mut HttpMessage,
    related_request: Option<&HttpMessage>,
    spec: &SignatureSpec,
    digest: Option<DigestAlg>,
) -> Result<PreparedSignature, SigningError> {
    msg.check_framing()?;
    if let Some(alg) = digest {
        msg.remove_field("content-digest");
        let value = content_digest(alg, &msg.body);
        msg.add_field("content-digest", &value)?;
    }
    let existing = msg
        .field_values("signature-input")
        .collect::<Vec<_>>()
        .join(", ");
    if base::raw_members(&existing)
        .iter()
        .any(|(k, _)| *k == spec.label)
    {
        return Err(SigningError::Params(format!(
            "label '{}' is already used in Signature-Input",
            spec.label
        )));
    }
    let params = spec.serialized()?;
    let base = base::signature_base(msg, related_request, &spec.components, &params)?;
    Ok(PreparedSignature {
        label: spec.label.clone(),
        base,
        signature_input: params,
    })
}

/// Signs in one call: [`prepare`], the signer, [`PreparedSignature::apply`].
pub fn sign(
    msg: &mut HttpMessage,
    related_request: Option<&HttpMessage>,
    spec: &SignatureSpec,
    digest: Option<DigestAlg>,
    signer: &dyn Signer,
) -> Result<(), SigningError> {
    if let Some(ParamValue::String(a)) =
        spec.params.iter().find(|(k, _)| k == "alg").map(|(_, v)| v)
    {
        if a != signer.algorithm().name() {
            return Err(SigningError::AlgorithmMismatch(format!(
                "alg=\"{a}\" but the signer produces {}",
                signer.algorithm()
            )));
        }
    }
    let prepared = prepare(msg, related_request, spec, digest)?;
    let sig = signer.sign(&prepared.base)?;
    prepared.apply(msg, &sig)
}
