//! RFC 9421 request signing and verification for Kotlin and Swift.

use std::sync::Arc;

use pinset::signing::verify::KeyEntry;
use pinset::signing::{
    self, Algorithm, DigestAlg, HttpMessage, KeySigner, ProfileOptions, SignatureSpec, SigningKey,
    VerifyingKey,
};

use crate::PinsetError;

/// One header field line.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HeaderField {
    /// Field name.
    pub name: String,
    /// Field value.
    pub value: String,
}

/// An HTTP request to sign or verify.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// Method, e.g. `POST`.
    pub method: String,
    /// The absolute target URI as sent (not normalised: `/a/../b` and `/b` differ).
    pub target_uri: String,
    /// Header field lines in order.
    pub headers: Vec<HeaderField>,
    /// The body (content) bytes. A `Content-Length` header must equal its length, and
    /// `Transfer-Encoding` may only be `chunked` and never beside `Content-Length`: a request
    /// whose headers would frame a different body is refused (RFC 9112 §6).
    pub body: Vec<u8>,
}

/// How to sign. Empty `components` = the safe profile (`@method @target-uri content-type
/// content-digest`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignOptions {
    /// Signature label.
    pub label: String,
    /// `keyid` parameter.
    pub key_id: String,
    /// Covered components (serialized identifiers or bare names).
    pub components: Vec<String>,
    /// `tag` parameter.
    pub tag: Option<String>,
    /// `created` (Unix seconds).
    pub created: i64,
    /// Add Content-Digest (`sha-256`/`sha-512`) when there is a body.
    pub content_digest: Option<String>,
}

/// A signer that may live in Android Keystore or the iOS Secure Enclave.
#[uniffi::export(foreign)]
pub trait RequestSigner: Send + Sync {
    /// The RFC 9421 algorithm name the signer produces (e.g. `ecdsa-p256-sha256`).
    fn algorithm(&self) -> String;
    /// Signs the signature base. ECDSA must be raw `r||s` (64 bytes for P-256), not DER.
    fn sign(&self, base: Vec<u8>) -> Result<Vec<u8>, PinsetError>;
}

struct ForeignSigner {
    inner: Arc<dyn RequestSigner>,
    alg: Algorithm,
}

impl signing::Signer for ForeignSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
    fn sign(&self, base: &[u8]) -> Result<Vec<u8>, signing::SigningError> {
        self.inner
            .sign(base.to_vec())
            .map_err(|e| signing::SigningError::Signer(e.to_string()))
    }
}

/// The record as a core message, its framing checked against the explicit body (the same rules
/// as the wire parser's).
fn to_message(r: &HttpRequest) -> Result<HttpMessage, PinsetError> {
    let mut m = HttpMessage::request(&r.method, &r.target_uri)?;
    for h in &r.headers {
        m.add_field(&h.name, &h.value)?;
    }
    let m = m.with_body(r.body.clone());
    m.check_framing()?;
    Ok(m)
}

fn from_message(r: &HttpRequest, m: &HttpMessage) -> HttpRequest {
    HttpRequest {
        method: r.method.clone(),
        target_uri: r.target_uri.clone(),
        headers: m
            .fields
            .iter()
            .map(|(n, v)| HeaderField {
                name: n.clone(),
                value: v.clone(),
            })
            .collect(),
        body: m.body.clone(),
    }
}

fn sign_with(
    request: &HttpRequest,
    signer: &dyn signing::Signer,
    options: &SignOptions,
) -> Result<HttpRequest, PinsetError> {
    let mut msg = to_message(request)?;
    let options = ProfileOptions {
        label: options.label.clone(),
        keyid: options.key_id.clone(),
        components: options.components.clone(),
        created: options.created,
        expires_in: None,
        tag: options.tag.clone(),
        content_digest: options
            .content_digest
            .as_deref()
            .map(str::parse::<DigestAlg>)
            .transpose()?,
    };
    let (spec, digest) = SignatureSpec::profile(&msg, signer.algorithm(), &options)?;
    signing::sign(&mut msg, None, &spec, digest, signer)?;
    Ok(from_message(request, &msg))
}

/// Signs with an in-memory private key (PEM: PKCS#8, SEC1, PKCS#1).
#[uniffi::export]
pub fn sign_request_with_key(
    request: HttpRequest,
    private_key_pem: String,
    algorithm: Option<String>,
    options: SignOptions,
) -> Result<HttpRequest, PinsetError> {
    let key = SigningKey::from_pem(private_key_pem.as_bytes())?;
    let alg = algorithm
        .as_deref()
        .map(str::parse::<Algorithm>)
        .transpose()?;
    sign_with(&request, &KeySigner::new(key, alg)?, &options)
}

/// Signs through a foreign signer (Android Keystore, Secure Enclave).
#[uniffi::export]
pub fn sign_request_with_signer(
    request: HttpRequest,
    signer: Arc<dyn RequestSigner>,
    options: SignOptions,
) -> Result<HttpRequest, PinsetError> {
    let alg = signer.algorithm().parse::<Algorithm>()?;
    sign_with(&request, &ForeignSigner { inner: signer, alg }, &options)
}

/// Verifies every signature of a request with a public key (PEM SPKI). Returns the labels.
#[uniffi::export]
pub fn verify_request(
    request: HttpRequest,
    public_key_pem: String,
    required_components: Vec<String>,
    max_age_secs: u64,
    now_unix: i64,
) -> Result<Vec<String>, PinsetError> {
    let msg = to_message(&request)?;
    let keys = KeyEntry {
        key: VerifyingKey::from_pem(public_key_pem.as_bytes())?,
        allowed: Vec::new(),
    };
    let policy = signing::VerifyPolicy {
        required_components,
        max_age: Some(max_age_secs),
        ..signing::VerifyPolicy::default()
    };
    Ok(
        signing::verify::verify(&msg, None, &keys, &policy, None, now_unix)?
            .into_iter()
            .map(|v| v.label)
            .collect(),
    )
}
