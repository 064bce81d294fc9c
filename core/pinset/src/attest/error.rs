//! The one public error of bundle verification, naming the step that failed.

/// Why a Sigstore bundle was not verified. Input errors (the bundle, trusted root or key could
/// not be read as what they claim to be) are separate from verification failures (the material
/// was read and a check failed); [`AttestError::is_input_error`] tells them apart, which is what
/// the CLI's exit codes 2 and 1 report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttestError {
    /// An input is larger than its bound (bundle 16 MiB, trusted root 4 MiB).
    #[error("{what} is {len} bytes; the limit is {limit} bytes")]
    TooLarge {
        /// Which input.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The bound.
        limit: usize,
    },
    /// The bundle is not a well-formed Sigstore bundle: JSON, base64, a missing or duplicated
    /// field, or a transparency log entry whose body is not the schema its kind names.
    #[error("bundle: {0}")]
    Bundle(String),
    /// The bundle's `mediaType` is not a Sigstore bundle version pinset reads (v0.1, v0.2, v0.3).
    #[error("bundle: unsupported media type {0:?} (expected a Sigstore bundle v0.1, v0.2 or v0.3)")]
    MediaType(String),
    /// The log entry's kind is not one pinset verifies (`hashedrekord` 0.0.1, `dsse` 0.0.1);
    /// it is refused, never half-checked.
    #[error(
        "bundle: unsupported transparency log entry {kind} {version} (supported: hashedrekord 0.0.1, dsse 0.0.1)"
    )]
    UnsupportedEntry {
        /// `kindVersion.kind`.
        kind: String,
        /// `kindVersion.version`.
        version: String,
    },
    /// The trusted root (`trusted_root.json`) could not be read.
    #[error("trusted root: {0}")]
    TrustedRoot(String),
    /// The caller's public key could not be read.
    #[error("key: {0}")]
    Key(String),
    /// The bundle is key-based (`publicKey`) and no key was supplied, or the bundle carries a
    /// certificate while a key was supplied.
    #[error("{0}")]
    Material(String),
    /// Transparency log: no log in the trusted root has the entry's `logId`, the log key was not
    /// valid at the entry's time, or a required inclusion proof or promise is missing.
    #[error("transparency log: {0}")]
    TransparencyLog(String),
    /// The signed entry timestamp (inclusion promise) does not verify with the log key.
    #[error("signed entry timestamp: {0}")]
    SignedEntryTimestamp(String),
    /// The RFC 6962 inclusion proof does not lead from the entry to the proof's root hash.
    #[error("inclusion proof: {0}")]
    InclusionProof(String),
    /// The checkpoint (signed note) is malformed, not signed by the log key, or names another
    /// root hash or tree size than the inclusion proof.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// The log entry body does not match the bundle's signature, certificate or key, or the
    /// artifact digest (the CVE-2022-36056 class).
    #[error("log entry body: {0}")]
    EntryBody(String),
    /// Time: the entry's verified time is unusable (after `now`).
    #[error("time: {0}")]
    Time(String),
    /// The signing certificate does not chain to a certificate authority of the trusted root
    /// valid at the verified time, lacks codeSigning, or the bundle brings its own root.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The signature does not verify over the artifact (message signature) or the DSSE PAE, the
    /// message digest differs from the artifact, or the in-toto subject does not name it.
    #[error("signature: {0}")]
    Signature(String),
    /// The certificate's identity (SAN, OIDC issuer, Fulcio claims) does not satisfy the policy.
    #[error("identity: {0}")]
    Identity(String),
}

impl AttestError {
    /// True when an input could not be read as what it claims to be (CLI exit code 2), false
    /// when the material was read and a verification step failed (exit code 1).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Self::TooLarge { .. }
                | Self::Bundle(_)
                | Self::MediaType(_)
                | Self::UnsupportedEntry { .. }
                | Self::TrustedRoot(_)
                | Self::Key(_)
                | Self::Material(_)
        )
    }

    /// The verification step this error belongs to, as a short name (`"inclusion proof"`).
    pub fn step(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } | Self::Key(_) | Self::Material(_) => "input",
            Self::Bundle(_) | Self::MediaType(_) | Self::UnsupportedEntry { .. } => "bundle",
            Self::TrustedRoot(_) => "trusted root",
            Self::TransparencyLog(_) => "transparency log",
            Self::SignedEntryTimestamp(_) => "signed entry timestamp",
            Self::InclusionProof(_) => "inclusion proof",
            Self::Checkpoint(_) => "checkpoint",
            Self::EntryBody(_) => "log entry body",
            Self::Time(_) => "time",
            Self::Certificate(_) => "certificate",
            Self::Signature(_) => "signature",
            Self::Identity(_) => "identity",
        }
    }
}
