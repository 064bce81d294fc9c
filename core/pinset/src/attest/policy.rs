//! What a verified bundle must say about its signer: the SAN identity and OIDC issuer (exact, or
//! a regular expression that must match the whole value), optionally further Fulcio claims; or,
//! for key-based bundles, the key.

use super::AttestError;
use super::cert::{CertificateIdentity, FulcioClaim};
use super::key::PublicKey;

/// A string matcher. Regular expressions use Rust `regex` syntax and are **anchored** by
/// pinset: `https://github\.com/org/.*` must match the whole value, never a part of it (Go's
/// and cosign's regexps are unanchored, which is a classic trap).
#[derive(Debug, Clone)]
pub enum Matcher {
    /// The value must equal this string.
    Exact(String),
    /// The value must match this expression from its first to its last character.
    Regex(AnchoredRegex),
}

/// A regular expression compiled as `\A(?:…)\z`.
#[derive(Debug, Clone)]
pub struct AnchoredRegex {
    source: String,
    re: regex::Regex,
}

impl AnchoredRegex {
    /// Compiles `pattern`, anchored at both ends. Size-bounded by the `regex` crate's defaults.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let re = regex::Regex::new(&format!(r"\A(?:{pattern})\z")).map_err(|e| {
            // regex's syntax errors are multi-line (pattern, caret, message): keep the message.
            let text = e.to_string();
            let reason = text
                .lines()
                .last()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_owned();
            format!("invalid regular expression {pattern:?}: {reason}")
        })?;
        Ok(Self {
            source: pattern.to_owned(),
            re,
        })
    }

    /// The pattern as written (before anchoring).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the whole of `value` matches.
    pub fn is_match(&self, value: &str) -> bool {
        self.re.is_match(value)
    }
}

impl Matcher {
    /// A regular expression matcher (anchored).
    pub fn regex(pattern: &str) -> Result<Self, String> {
        AnchoredRegex::new(pattern).map(Self::Regex)
    }

    /// True when `value` satisfies the matcher.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(s) => s == value,
            Self::Regex(r) => r.is_match(value),
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(s) => write!(f, "{s:?}"),
            Self::Regex(r) => write!(f, "/{}/ (anchored)", r.as_str()),
        }
    }
}

/// The expected signer of a keyless (Fulcio certificate) bundle.
#[derive(Debug, Clone)]
pub struct IdentityPolicy {
    /// The certificate's SAN (`--certificate-identity` / `--certificate-identity-regexp`).
    pub san: Matcher,
    /// The OIDC issuer (`--certificate-oidc-issuer` / `--certificate-oidc-issuer-regexp`).
    pub issuer: Matcher,
    /// Further Fulcio claims that must be present and match.
    pub claims: Vec<(FulcioClaim, Matcher)>,
}

impl IdentityPolicy {
    /// A policy on SAN and issuer only.
    pub fn new(san: Matcher, issuer: Matcher) -> Self {
        Self {
            san,
            issuer,
            claims: Vec::new(),
        }
    }

    pub(crate) fn check(&self, id: &CertificateIdentity) -> Result<(), AttestError> {
        if !self.san.matches(&id.san) {
            return Err(AttestError::Identity(format!(
                "certificate identity {:?} does not match the expected {}",
                id.san, self.san
            )));
        }
        if !self.issuer.matches(&id.issuer) {
            return Err(AttestError::Identity(format!(
                "OIDC issuer {:?} does not match the expected {}",
                id.issuer, self.issuer
            )));
        }
        for (claim, m) in &self.claims {
            let Some((_, value)) = id.claims.iter().find(|(c, _)| c == claim) else {
                return Err(AttestError::Identity(format!(
                    "the certificate has no {} claim (1.3.6.1.4.1.57264.1.{})",
                    claim.name(),
                    claim.arc()
                )));
            };
            if !m.matches(value) {
                return Err(AttestError::Identity(format!(
                    "{} {value:?} does not match the expected {m}",
                    claim.name()
                )));
            }
        }
        Ok(())
    }
}

/// How the signer is trusted.
#[derive(Debug, Clone)]
pub enum Policy {
    /// Keyless: a Fulcio certificate chaining to the trusted root, with this identity.
    Identity(IdentityPolicy),
    /// Key-based: the bundle's `publicKey` must be this key (PEM `PUBLIC KEY` or DER SPKI).
    Key(VerificationKey),
}

/// A caller-supplied public key for key-based bundles.
#[derive(Debug, Clone)]
pub struct VerificationKey(pub(crate) PublicKey);

impl VerificationKey {
    /// Reads a PEM `PUBLIC KEY` block or a DER SubjectPublicKeyInfo (ECDSA P-256/P-384,
    /// Ed25519, RSA).
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, AttestError> {
        PublicKey::from_pem_or_der(bytes)
            .map(Self)
            .map_err(AttestError::Key)
    }
}
