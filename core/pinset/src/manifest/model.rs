//! The validated manifest's types: what the rest of the crate reads.

use std::path::PathBuf;

use super::{Date, Diagnostic};
use crate::host;
use crate::pin::Pin;
use crate::spiffe::{IdMatcher, TrustDomain};

/// A validated manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Where it was read from (for messages and generated headers); `<string>` when parsed from memory.
    pub origin: String,
    /// Top-level `serial = N` (a positive integer): the update ratchet. A manifest delivered by
    /// a signed update must carry one greater than the active manifest's (see `update`).
    pub serial: Option<u64>,
    /// Domain rules in file order; names are unique after canonicalisation.
    pub domains: Vec<DomainRule>,
    /// Extra trust anchors for debug builds only (Android `debug-overrides`), when asked for.
    pub debug_overrides: Option<DebugOverrides>,
    /// `[[attestation]]` entries: build identities artifacts must be signed by (Sigstore).
    pub attestations: Vec<super::Attestation>,
    /// `[defaults] certificate_transparency`: the app-wide Certificate Transparency setting
    /// (Android 16+ NSC `base-config`, so it also covers hosts without a rule); `None` leaves the
    /// platform's default. Every rule without its own value takes this one.
    pub certificate_transparency: Option<bool>,
    /// `[[trust_domain]]` entries: SPIFFE trust domains and their bundle files.
    pub trust_domains: Vec<TrustDomainConfig>,
}

/// One `[[trust_domain]]`: a SPIFFE trust domain and the file holding its bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustDomainConfig {
    /// The trust domain name (validated, without `spiffe://`).
    pub name: TrustDomain,
    /// The bundle file as written (a SPIFFE bundle in JWKS form, or PEM certificates).
    pub bundle: String,
    /// The bundle path resolved against the manifest's directory, when loaded from a file.
    pub resolved: Option<PathBuf>,
    /// 1-based line of the `name` key.
    pub line: usize,
}

/// A domain's `spiffe = { ... }`: the server must present an X.509-SVID whose ID the matcher
/// authorizes, validated against the bundle of the ID's trust domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpiffeRule {
    /// Which IDs are authorized (`id`, `member_of` or `prefix`).
    pub matcher: IdMatcher,
    /// `dns = true`: the leaf must also be valid for the host name (a DNS or IP SAN).
    pub dns: bool,
}

/// One `[[domain]]` table, with `[defaults]` applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRule {
    /// Canonical name: lowercase A-label, no trailing dot (or a canonical IP literal).
    pub name: String,
    /// Whether the rule also covers every subdomain, at any depth.
    pub include_subdomains: bool,
    /// Distinct pins in manifest order; empty means an explicit exemption from a parent rule.
    pub pins: Vec<Pin>,
    /// The pin-set stops being enforced at 00:00 UTC on this date.
    pub expires: Option<Date>,
    /// `false`: report-only; violations are reported but connections proceed.
    pub enforce: bool,
    /// Trust anchors for this domain; empty means the platform default (`system`).
    pub trust_anchors: Vec<TrustAnchor>,
    /// Where violation reports are sent.
    pub report_uris: Vec<String>,
    /// Whether the platform must require Certificate Transparency for this rule's hosts
    /// (Android 16+ NSC `<certificateTransparency enabled>`); `None`: the platform's default.
    /// pinset's own verifier does not check SCTs.
    pub certificate_transparency: Option<bool>,
    /// `spiffe = { ... }`: the server's identity is a SPIFFE ID (its anchors come from the
    /// trust domain's bundle; `trust_anchors` is then empty).
    pub spiffe: Option<SpiffeRule>,
    /// 1-based line of the `name` key, for messages.
    pub line: usize,
}

impl DomainRule {
    /// True when this rule is an exemption (`pins = []`, no `spiffe`) from a parent rule.
    pub fn is_exemption(&self) -> bool {
        self.pins.is_empty() && self.spiffe.is_none()
    }

    /// True when `host` (canonical) falls under this rule.
    pub fn covers(&self, host: &str) -> bool {
        if self.include_subdomains {
            host::is_same_or_subdomain(host, &self.name)
        } else {
            host == self.name
        }
    }
}

/// `[debug_overrides]`: trust anchors added only in debug builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugOverrides {
    /// PEM files of CAs trusted in debug builds (e.g. a local proxy's CA).
    pub trust_anchors: Vec<TrustAnchor>,
}

/// Where a domain's trust comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrustAnchor {
    /// The platform's system CA store.
    System,
    /// A PEM file of one or more CA certificates (a private CA).
    Pem {
        /// The path as written in the manifest (relative to the manifest file).
        path: String,
        /// The path resolved against the manifest's directory, when the manifest came from a file.
        resolved: Option<PathBuf>,
    },
}

/// A parsed manifest together with its warnings.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The manifest.
    pub manifest: Manifest,
    /// Warnings (expiry in the past or soon, …).
    pub warnings: Vec<Diagnostic>,
}
