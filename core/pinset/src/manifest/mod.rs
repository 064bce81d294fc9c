//! The pin manifest: one strict, versioned TOML file from which every platform config is made.
//!
//! Parsing is strict by design: unknown keys, malformed pins and dates, duplicate names and
//! pins, public-suffix names and single-pin enforced domains are errors with `file:line:col`.
//! A manifest that parses is one the runtime can enforce.

mod attestation;
mod date;
mod diagnostic;
mod model;
mod raw;
mod validate;
mod write;

pub use attestation::{Attestation, AttestationSigner, ValueMatch};
pub use date::Date;
pub use diagnostic::{Diagnostic, ManifestError, Severity, line_col};
pub use model::{
    DebugOverrides, DomainRule, Loaded, Manifest, SpiffeRule, TrustAnchor, TrustDomainConfig,
};

/// The only manifest format version this library reads.
pub const MANIFEST_VERSION: i64 = 1;

/// Largest manifest file accepted (8 MiB, far above any real manifest: a bound against hostile
/// input).
pub const MAX_MANIFEST_BYTES: u64 = 8 << 20;

/// Largest trust-anchor file (`trust_anchors`, a `[[trust_domain]]` bundle) accepted, when the
/// manifest is checked and when [`crate::trust`] loads the anchors (1 MiB: several times a
/// whole public CA bundle).
pub const MAX_ANCHOR_FILE_BYTES: u64 = 1 << 20;

/// Warn when a pin-set expires within this many days.
pub const EXPIRY_WARNING_DAYS: i64 = 30;
