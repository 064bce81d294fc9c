//! The trust-anchor model, one home for every surface.
//!
//! A host's rule (most specific wins, [`crate::policy::Policy::rule_index_for`]) decides which
//! anchors its chain is validated against:
//!
//! - a rule without `trust_anchors` (and a host without a rule) gets the **defaults**: the
//!   platform store, or whatever roots stand in for it (`--ca` in `pinset evaluate`, the extra
//!   roots of a webpki-only config);
//! - `system` in a rule's list means those same defaults;
//! - a PEM file in a rule's list means exactly the CAs in that file, **for that rule's hosts
//!   only**: a private CA is never a root for a host of another rule or of no rule;
//! - debug anchors (`[debug_overrides]`) are never trusted here: they exist only in the debug
//!   builds of the generated Android config, and never override pins.
//!
//! Pins then apply to the path that was validated against those anchors ([`crate::chain`]).
//!
//! This module resolves a manifest's anchor files into certificates, per rule
//! ([`ManifestAnchors`]). The bytes come from an [`AnchorSource`]: files beside the manifest
//! ([`AnchorFiles`], read bounded and only when they are regular files) or bytes the
//! application supplies ([`SuppliedAnchors`], e.g. Android assets or an iOS bundle). A rule's
//! anchors can also be set from elsewhere ([`ManifestAnchors::set_rule`], e.g. a trust bundle).

use std::collections::HashMap;
use std::path::Path;

use rustls_pki_types::CertificateDer;

use crate::certificate::{self, CertError};
use crate::file::ReadError;
use crate::manifest::{MAX_ANCHOR_FILE_BYTES, Manifest, TrustAnchor};

/// Why a rule's trust anchors could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}: domain '{domain}': trust anchor '{anchor}': {reason}")]
pub struct AnchorError {
    /// The manifest's origin (file name or `<string>`).
    pub origin: String,
    /// The 1-based line of the rule's `name` key.
    pub line: usize,
    /// The rule's domain.
    pub domain: String,
    /// The anchor path as written in the manifest.
    pub anchor: String,
    /// What went wrong.
    pub reason: AnchorProblem,
}

/// What is wrong with one trust-anchor file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorProblem {
    /// The manifest came from text and the application did not supply this file's bytes.
    #[error("not supplied (the manifest was not loaded from a file; pass the file's bytes)")]
    NotSupplied,
    /// The path names something other than a regular file (FIFO, device, directory, socket).
    #[error("not a regular file ({0})")]
    NotRegularFile(String),
    /// The file is larger than [`MAX_ANCHOR_FILE_BYTES`].
    #[error("larger than {MAX_ANCHOR_FILE_BYTES} bytes")]
    TooLarge,
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// The bytes are not PEM or DER certificates.
    #[error("{0}")]
    Certificates(CertError),
    /// A SPIFFE bundle file (`[[trust_domain]]` `bundle`) is unusable, or this build cannot
    /// verify SPIFFE rules at all.
    #[error("{0}")]
    Spiffe(Box<crate::spiffe::SpiffeError>),
}

/// Where the bytes of a manifest's anchor files come from.
pub trait AnchorSource {
    /// The bytes of the anchor file written `path` in the manifest (`resolved` is the path
    /// joined to the manifest's directory when the manifest was loaded from a file).
    fn anchor_bytes(&self, path: &str, resolved: Option<&Path>) -> Result<Vec<u8>, AnchorProblem>;
}

/// Anchor files read from disk beside the manifest: regular files only, bounded in size.
#[derive(Debug, Default, Clone, Copy)]
pub struct AnchorFiles;

impl AnchorSource for AnchorFiles {
    fn anchor_bytes(&self, _path: &str, resolved: Option<&Path>) -> Result<Vec<u8>, AnchorProblem> {
        read_anchor_file(resolved.ok_or(AnchorProblem::NotSupplied)?)
    }
}

/// Anchor bytes the application supplies, keyed by the path exactly as written in the manifest.
#[derive(Debug, Default, Clone)]
pub struct SuppliedAnchors(pub HashMap<String, Vec<u8>>);

impl AnchorSource for SuppliedAnchors {
    fn anchor_bytes(&self, path: &str, _resolved: Option<&Path>) -> Result<Vec<u8>, AnchorProblem> {
        let bytes = self.0.get(path).ok_or(AnchorProblem::NotSupplied)?;
        if bytes.len() as u64 > MAX_ANCHOR_FILE_BYTES {
            return Err(AnchorProblem::TooLarge);
        }
        Ok(bytes.clone())
    }
}

/// Reads one anchor file: a regular file of at most [`MAX_ANCHOR_FILE_BYTES`], refused before
/// it is opened when it is anything else (a FIFO would block the open, a device never ends).
pub fn read_anchor_file(path: &Path) -> Result<Vec<u8>, AnchorProblem> {
    crate::file::read_regular_file(path, MAX_ANCHOR_FILE_BYTES).map_err(AnchorProblem::from)
}

impl From<ReadError> for AnchorProblem {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::NotRegularFile(kind) => Self::NotRegularFile(kind),
            ReadError::TooLarge(_) => Self::TooLarge,
            ReadError::Io(reason) => Self::Io(reason),
        }
    }
}

/// A spiffe rule's anchors: the X.509 authorities of its trust domain's bundle (none when the
/// bundle's `keys` is empty: every SVID of the domain is then refused). Refused in a build
/// without the `spiffe` feature.
fn spiffe_anchors(
    manifest: &Manifest,
    rule: &crate::manifest::DomainRule,
    spiffe: &crate::manifest::SpiffeRule,
    source: &dyn AnchorSource,
) -> Result<RuleAnchors, AnchorError> {
    let td = manifest
        .trust_domains
        .iter()
        .find(|t| t.name.as_str() == spiffe.matcher.trust_domain());
    let error = |anchor: &str, reason| AnchorError {
        origin: manifest.origin.clone(),
        line: rule.line,
        domain: rule.name.clone(),
        anchor: anchor.to_owned(),
        reason,
    };
    let Some(td) = td else {
        return Err(error(
            spiffe.matcher.trust_domain(),
            AnchorProblem::Spiffe(Box::new(crate::spiffe::SpiffeError::NoBundle(
                spiffe.matcher.trust_domain().to_owned(),
            ))),
        ));
    };
    let bytes = source
        .anchor_bytes(&td.bundle, td.resolved.as_deref())
        .map_err(|e| error(&td.bundle, e))?;
    #[cfg(feature = "spiffe")]
    {
        let bundle = crate::spiffe::Bundle::parse(td.name.clone(), &bytes)
            .map_err(|e| error(&td.bundle, AnchorProblem::Spiffe(Box::new(e))))?;
        Ok(RuleAnchors {
            system: false,
            certs: bundle
                .x509_authorities()
                .iter()
                .map(|c| (td.bundle.clone(), c.clone()))
                .collect(),
        })
    }
    #[cfg(not(feature = "spiffe"))]
    {
        let _ = bytes;
        Err(error(
            &td.bundle,
            AnchorProblem::Spiffe(Box::new(crate::spiffe::SpiffeError::Unsupported)),
        ))
    }
}

/// The anchors one rule validates against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleAnchors {
    /// `system` is listed: the defaults (platform store or its stand-in) are trusted too.
    pub system: bool,
    /// The rule's own CA certificates, each with the anchor it came from (the manifest path).
    pub certs: Vec<(String, CertificateDer<'static>)>,
}

impl RuleAnchors {
    /// The rule's own CA certificates.
    pub fn certificates(&self) -> impl Iterator<Item = &CertificateDer<'static>> {
        self.certs.iter().map(|(_, c)| c)
    }
}

/// Every rule's anchors, in manifest rule order. `None` for a rule without `trust_anchors`
/// (it validates against the defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestAnchors {
    rules: Vec<Option<RuleAnchors>>,
}

impl ManifestAnchors {
    /// Resolves every rule's anchor files through `source`. A file that cannot be read or
    /// parsed, or that the source does not have, is an error at load: never silently skipped.
    pub fn load(manifest: &Manifest, source: &dyn AnchorSource) -> Result<Self, AnchorError> {
        let mut cache: HashMap<&str, Vec<CertificateDer<'static>>> = HashMap::new();
        let mut rules = Vec::with_capacity(manifest.domains.len());
        for rule in &manifest.domains {
            if let Some(spiffe) = &rule.spiffe {
                rules.push(Some(spiffe_anchors(manifest, rule, spiffe, source)?));
                continue;
            }
            if rule.trust_anchors.is_empty() {
                rules.push(None);
                continue;
            }
            let mut anchors = RuleAnchors::default();
            for anchor in &rule.trust_anchors {
                match anchor {
                    TrustAnchor::System => anchors.system = true,
                    TrustAnchor::Pem { path, resolved } => {
                        let error = |reason| AnchorError {
                            origin: manifest.origin.clone(),
                            line: rule.line,
                            domain: rule.name.clone(),
                            anchor: path.clone(),
                            reason,
                        };
                        let certs = match cache.get(path.as_str()) {
                            Some(c) => c.clone(),
                            None => {
                                let bytes = source
                                    .anchor_bytes(path, resolved.as_deref())
                                    .map_err(error)?;
                                let certs = certificate::parse_certificates(&bytes)
                                    .map_err(|e| error(AnchorProblem::Certificates(e)))?;
                                cache.insert(path, certs.clone());
                                certs
                            }
                        };
                        anchors
                            .certs
                            .extend(certs.into_iter().map(|c| (path.clone(), c)));
                    }
                }
            }
            rules.push(Some(anchors));
        }
        Ok(Self { rules })
    }

    /// Anchors for a manifest without any anchor file: every rule gets the defaults.
    pub fn defaults_for(manifest: &Manifest) -> Result<Self, AnchorError> {
        Self::load(manifest, &SuppliedAnchors::default())
    }

    /// Rule `index`'s anchors; `None` when the rule uses the defaults (or does not exist).
    pub fn rule(&self, index: usize) -> Option<&RuleAnchors> {
        self.rules.get(index).and_then(Option::as_ref)
    }

    /// Replaces rule `index`'s anchors with ones that come from elsewhere (e.g. a trust bundle).
    /// Returns false when there is no such rule.
    pub fn set_rule(&mut self, index: usize, anchors: Option<RuleAnchors>) -> bool {
        match self.rules.get_mut(index) {
            Some(slot) => {
                *slot = anchors;
                true
            }
            None => false,
        }
    }

    /// The number of rules (the manifest's `domains.len()`).
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True for a manifest without rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}
