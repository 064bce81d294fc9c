//! SPIFFE workload identity: SPIFFE IDs, trust bundles, X.509-SVID leaf rules and ID matching
//! (SPIFFE standards `SPIFFE-ID.md`, `X509-SVID.md`, `SPIFFE_Trust_Domain_and_Bundle.md`).
//!
//! IDs and matchers are always compiled (the manifest names them, and a build without SPIFFE
//! support must refuse such a manifest by name); bundles and SVID verification need the
//! `spiffe` feature, which the mobile library leaves out.
//!
//! Verification order ([`verify_svid`]): the leaf's single URI SAN is parsed as an ID; its trust
//! domain must be the matcher's; the chain is validated (chain only, no DNS name) against **that
//! trust domain's** bundle with webpki; then the X.509-SVID leaf rules; then the ID match; only
//! then the caller's path check (pins). Every step fails closed.

use std::fmt;

mod id;
mod matcher;
pub use id::{MAX_ID_BYTES, MAX_TRUST_DOMAIN_BYTES, SCHEME_PREFIX, SpiffeId, TrustDomain};
pub use matcher::IdMatcher;

#[cfg(feature = "spiffe")]
mod bundle;
#[cfg(feature = "spiffe")]
mod svid;
#[cfg(feature = "spiffe")]
mod verify;
#[cfg(feature = "spiffe")]
pub use bundle::{Bundle, BundleFormat, BundleSet, MAX_BUNDLE_BYTES};
#[cfg(feature = "spiffe")]
pub use svid::{check_leaf_rules, leaf_spiffe_id};
#[cfg(feature = "spiffe")]
pub use verify::{SvidUsage, VerifiedSvid, verify_svid, verify_svid_with_roots};

/// Everything that can go wrong with SPIFFE IDs, bundles and SVIDs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpiffeError {
    /// A SPIFFE ID breaks a rule of `SPIFFE-ID.md` §2.
    #[error("invalid SPIFFE ID '{id}': {rule}")]
    InvalidId {
        /// The input (shortened for the message).
        id: String,
        /// The rule it breaks.
        rule: IdRule,
    },
    /// A trust domain name breaks a rule of `SPIFFE-ID.md` §2.1.
    #[error("invalid trust domain name '{name}': {rule}")]
    InvalidTrustDomain {
        /// The input (shortened for the message).
        name: String,
        /// The rule it breaks.
        rule: IdRule,
    },
    /// An `id` matcher without a path names a trust domain, not a workload.
    #[error(
        "'{id}' has no path: an `id` names one workload; use member_of for a whole trust domain"
    )]
    MatcherWithoutPath {
        /// The ID as written.
        id: String,
    },
    /// The presented leaf breaks an X.509-SVID rule (`X509-SVID.md` §4, §5.2).
    #[error("not a valid X.509-SVID leaf: {0}")]
    Svid(SvidRule),
    /// A bundle file or document is unusable.
    #[error("bundle for trust domain '{trust_domain}': {rule}")]
    Bundle {
        /// The trust domain the bundle is for.
        trust_domain: String,
        /// What is wrong.
        rule: BundleRule,
    },
    /// Two bundles for one trust domain.
    #[error("trust domain '{0}' has more than one bundle")]
    DuplicateTrustDomain(String),
    /// A bundle update whose `spiffe_sequence` does not increase (a rollback or a replay of
    /// a different bundle under the same number).
    #[error(
        "bundle for '{trust_domain}': spiffe_sequence {} does not supersede {previous} (it must increase whenever the keys change)",
        new.map_or_else(|| "absent".to_owned(), |n| n.to_string())
    )]
    SequenceRegression {
        /// The trust domain.
        trust_domain: String,
        /// The sequence of the bundle held.
        previous: u64,
        /// The sequence of the update (absent counts as a regression).
        new: Option<u64>,
    },
    /// The presented ID is in a trust domain the rule does not allow.
    #[error(
        "SPIFFE ID '{id}' is in trust domain '{trust_domain}'; the rule allows only '{allowed}'"
    )]
    TrustDomainNotAllowed {
        /// The presented ID.
        id: String,
        /// Its trust domain.
        trust_domain: String,
        /// The rule's trust domain.
        allowed: String,
    },
    /// No bundle is configured for the presented ID's trust domain.
    #[error("no bundle for trust domain '{0}'")]
    NoBundle(String),
    /// The trust domain's bundle holds no X.509 authority: all its SVIDs are untrusted
    /// (`SPIFFE_Trust_Domain_and_Bundle.md` §4.1.3).
    #[error(
        "the bundle for trust domain '{0}' has no X.509 authorities (an empty bundle revokes every SVID of the domain)"
    )]
    BundleEmpty(String),
    /// The server (or client) presented no certificate.
    #[error("no certificate presented")]
    EmptyChain,
    /// The chain does not validate against the trust domain's bundle.
    #[cfg(feature = "spiffe")]
    #[error("SVID '{id}' does not chain to the bundle of its trust domain: {reason:?}")]
    NotTrusted {
        /// The presented ID.
        id: String,
        /// webpki's reason (expired, unknown issuer, bad signature, EKU…).
        reason: webpki::Error,
    },
    /// A CA on the path has name constraints webpki cannot satisfy. webpki does not evaluate
    /// URI name constraints (`X509-SVID.md` §4.2) and refuses every CA that carries them.
    #[error(
        "SVID '{id}': a CA on the path has name constraints the leaf does not satisfy; note that webpki \
         does not support URI name constraints (X509-SVID §4.2) and refuses every CA that carries them"
    )]
    NameConstraints {
        /// The presented ID.
        id: String,
    },
    /// A valid SVID whose ID the rule does not authorize.
    #[error("SPIFFE ID '{id}' is not authorized: the rule expects {expected}")]
    NotAuthorized {
        /// The presented ID.
        id: String,
        /// The rule's matcher.
        expected: String,
    },
    /// This build has no SPIFFE verification (the `spiffe` feature is off, as in the mobile
    /// library): a rule that needs it is refused, never skipped.
    #[error(
        "this build of pinset cannot verify SPIFFE X.509-SVIDs (built without the `spiffe` feature)"
    )]
    Unsupported,
    /// The chain validated but the caller's path check (the pins) refused every verified path.
    #[error("SVID '{id}': no verified path passed the path check (pins)")]
    PathRefused {
        /// The presented ID.
        id: String,
    },
}

/// The SPIFFE ID and trust domain name rules (`SPIFFE-ID.md` §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdRule {
    /// The ID is empty.
    Empty,
    /// The ID does not start with exactly `spiffe://` (uppercase schemes are refused).
    Scheme,
    /// No trust domain between `spiffe://` and the path.
    MissingTrustDomain,
    /// A trust domain written with `spiffe://` where a bare name is expected.
    TrustDomainWithScheme,
    /// An uppercase letter in the trust domain (no case folding, as in go-spiffe).
    TrustDomainUppercase,
    /// A character outside `[a-z0-9._-]` in the trust domain.
    TrustDomainChar,
    /// `%`-encoding (in the trust domain or the path).
    PercentEncoding,
    /// A `:port` after the trust domain.
    Port,
    /// `userinfo@` before the trust domain.
    Userinfo,
    /// A `?query`.
    Query,
    /// A `#fragment`.
    Fragment,
    /// A character outside `[A-Za-z0-9._-]` in a path segment.
    PathChar,
    /// An empty path segment (`//`).
    EmptySegment,
    /// A `.` or `..` path segment.
    DotSegment,
    /// A trailing `/`.
    TrailingSlash,
    /// More than 2048 bytes.
    TooLong,
    /// A trust domain of more than 255 bytes.
    TrustDomainTooLong,
}

impl fmt::Display for IdRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "it is empty",
            Self::Scheme => "it must start with exactly 'spiffe://' (lowercase)",
            Self::MissingTrustDomain => "the trust domain is missing",
            Self::TrustDomainWithScheme => "write the bare trust domain name, without 'spiffe://'",
            Self::TrustDomainUppercase => {
                "the trust domain must be lowercase (SPIFFE IDs are compared byte for byte)"
            }
            Self::TrustDomainChar => {
                "trust domain characters are limited to lowercase letters, digits, '.', '-' and '_'"
            }
            Self::PercentEncoding => "percent-encoding is not allowed",
            Self::Port => "a port is not allowed",
            Self::Userinfo => "userinfo ('user@') is not allowed",
            Self::Query => "a query ('?') is not allowed",
            Self::Fragment => "a fragment ('#') is not allowed",
            Self::PathChar => {
                "path segment characters are limited to letters, digits, '.', '-' and '_'"
            }
            Self::EmptySegment => "the path has an empty segment ('//')",
            Self::DotSegment => "the path has a '.' or '..' segment",
            Self::TrailingSlash => "the path has a trailing '/'",
            Self::TooLong => "it is longer than 2048 bytes",
            Self::TrustDomainTooLong => "the trust domain is longer than 255 bytes",
        })
    }
}

/// The X.509-SVID leaf rules (`X509-SVID.md` §2, §4, §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SvidRule {
    /// The leaf's DER or one of the extensions pinset reads is malformed.
    #[error("malformed certificate: {0}")]
    Malformed(String),
    /// No URI SAN.
    #[error("the leaf has no URI SAN (an X.509-SVID carries its SPIFFE ID as exactly one URI SAN)")]
    NoUriSan,
    /// More than one URI SAN (X509-SVID §5.2: MUST be rejected).
    #[error("the leaf has {0} URI SANs; an X.509-SVID has exactly one")]
    SeveralUriSans(usize),
    /// The URI SAN is not a valid SPIFFE ID.
    #[error("the URI SAN is not a SPIFFE ID: {0}")]
    InvalidId(String),
    /// The leaf's ID has no path.
    #[error(
        "the leaf's SPIFFE ID '{0}' has no path (a leaf SVID names a workload, not a trust domain)"
    )]
    NoPath(String),
    /// A certificate extension appears twice (RFC 5280 §4.2).
    #[error("the leaf repeats the {0} extension")]
    DuplicateExtension(&'static str),
    /// No basicConstraints extension.
    #[error("the leaf has no basicConstraints extension (X509-SVID §4.1 requires cA = false)")]
    BasicConstraintsMissing,
    /// basicConstraints with cA true.
    #[error("the leaf is a CA certificate (basicConstraints cA = true)")]
    LeafIsCa,
    /// No keyUsage extension.
    #[error("the leaf has no keyUsage extension (X509-SVID §4.3: it MUST be set and critical)")]
    KeyUsageMissing,
    /// keyUsage not marked critical.
    #[error("the leaf's keyUsage extension is not critical (X509-SVID §4.3)")]
    KeyUsageNotCritical,
    /// keyUsage without digitalSignature.
    #[error("the leaf's keyUsage lacks digitalSignature (X509-SVID §4.3)")]
    NoDigitalSignature,
    /// keyUsage with keyCertSign.
    #[error("the leaf's keyUsage has keyCertSign (X509-SVID §5.2)")]
    KeyCertSign,
    /// keyUsage with cRLSign.
    #[error("the leaf's keyUsage has cRLSign (X509-SVID §5.2)")]
    CrlSign,
}

/// What is wrong with a bundle (`SPIFFE_Trust_Domain_and_Bundle.md` §4, `X509-SVID.md` §6).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum BundleRule {
    /// Larger than the bound on bundle files.
    #[error("{0} bytes; bundles are limited to 4 MiB")]
    TooLarge(usize),
    /// Not valid JSON, or a member of the wrong type or repeated (with line and column).
    #[error("JWKS: {0}")]
    Json(String),
    /// The `keys` member is missing (§4.1.3: it MUST be present).
    #[error("the JWKS has no 'keys' member (it must be present; an empty array revokes every key)")]
    KeysMissing,
    /// An `x509-svid` key whose `x5c` does not hold exactly one certificate.
    #[error(
        "keys[{index}] (x509-svid): 'x5c' holds {count} certificates; it must hold exactly one"
    )]
    X5cCount {
        /// 0-based index in `keys`.
        index: usize,
        /// How many it holds.
        count: usize,
    },
    /// An `x509-svid` key with a `kid` (X509-SVID §6.1: MUST NOT be set).
    #[error("keys[{index}] (x509-svid) sets 'kid', which X509-SVID §6.1 forbids")]
    KidOnX509Key {
        /// 0-based index in `keys`.
        index: usize,
    },
    /// A `jwt-svid` key without a `kid` (JWT-SVID §6: MUST be set).
    #[error("keys[{index}] (jwt-svid) has no 'kid'")]
    JwtKeyWithoutKid {
        /// 0-based index in `keys`.
        index: usize,
    },
    /// An `x5c` entry that is not standard padded base64.
    #[error("keys[{index}]: 'x5c' is not standard base64")]
    Base64 {
        /// 0-based index in `keys`.
        index: usize,
    },
    /// A certificate that is malformed or not usable as a trust anchor.
    #[error("{at}: {reason}")]
    Certificate {
        /// `keys[i]` or `certificate #i`.
        at: String,
        /// What is wrong.
        reason: String,
    },
    /// The JWK lacks its key parameters (RFC 7518 §6: `crv`/`x`/`y`, `n`/`e`).
    #[error("keys[{index}]: the {kty} key parameters are missing or malformed")]
    KeyParameters {
        /// 0-based index in `keys`.
        index: usize,
        /// The key type.
        kty: String,
    },
    /// The JWK's key is not the key of its `x5c` certificate.
    #[error("keys[{index}]: the JWK's public key is not the key of its x5c certificate")]
    KeyMismatch {
        /// 0-based index in `keys`.
        index: usize,
    },
    /// A PEM bundle without certificates, or a PEM structure error.
    #[error("PEM: {0}")]
    Pem(String),
    /// The bundle is for another trust domain than the one it replaces.
    #[error("an update for trust domain '{0}' cannot replace this bundle")]
    OtherTrustDomain(String),
}
