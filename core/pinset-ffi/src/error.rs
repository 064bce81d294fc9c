//! The one error enum of the FFI surface and its mapping from the core's errors.

use pinset::signing;

/// Errors crossing the FFI. Kotlin sees `PinsetException.<Variant>`, Swift `PinsetError.<variant>`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum PinsetError {
    /// The manifest is invalid (the message lists every problem with its line and column), or it
    /// has a rule this library refuses (a spiffe rule: the message names the rule and its line).
    #[error("{reason}")]
    Manifest {
        /// `file:line:col: error: …` lines, or `file:line: domain '…' has a spiffe rule: …`.
        reason: String,
    },
    /// A certificate of the chain is not valid DER.
    #[error("{reason}")]
    Certificate {
        /// What is wrong.
        reason: String,
    },
    /// The host name is not valid.
    #[error("{reason}")]
    Host {
        /// What is wrong.
        reason: String,
    },
    /// Signing or verification failed; `kind` is the stable error kind (`bad-signature`, `expired`, …).
    #[error("{kind}: {reason}")]
    Signing {
        /// Stable kind.
        kind: String,
        /// Details.
        reason: String,
    },
    /// A Kotlin/Swift callback (signer, reporter) failed or threw.
    #[error("callback failed: {reason}")]
    Callback {
        /// What the foreign side reported.
        reason: String,
    },
    /// A rule's trust-anchor file was not supplied, is too large or holds no certificate; the
    /// message names the manifest location and the file.
    #[error("{reason}")]
    Anchor {
        /// `origin:line: domain '…': trust anchor '…': …`.
        reason: String,
    },
    /// An updater could not be created: the embedded root is not valid self-signed TUF root
    /// metadata, the baseline manifest is invalid, no manifest is available at all, or the
    /// repository URL or target name is unusable.
    #[error("{reason}")]
    Update {
        /// `embedded root: …`, `baseline manifest: …`, `no manifest: …` or `configuration: …`.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for PinsetError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Callback { reason: e.reason }
    }
}

impl From<signing::SigningError> for PinsetError {
    fn from(e: signing::SigningError) -> Self {
        use signing::SigningError as E;
        let kind = match &e {
            E::Message(_) => "message",
            E::Component(_) => "component",
            E::MissingComponent(_) => "missing-component",
            E::Params(_) => "params",
            E::MissingParameter(_) => "missing-parameter",
            E::Key(_) => "key",
            E::AlgorithmMismatch(_) => "algorithm-mismatch",
            E::BadSignature => "bad-signature",
            E::BadDigest(_) => "bad-digest",
            E::Expired(_) => "expired",
            E::NotYetValid { .. } => "not-yet-valid",
            E::Replay(_) => "replay",
            E::NonceStoreFull => "nonce-store-full",
            E::UnknownKey(_) => "unknown-key",
            E::TagMismatch { .. } => "tag-mismatch",
            E::MissingSignature(_) => "missing-signature",
            E::Signer(_) => "signer",
        };
        Self::Signing {
            kind: kind.into(),
            reason: e.to_string(),
        }
    }
}
