//! Trust anchors across the FFI: a manifest loaded from text gets its anchor files' bytes from
//! the app (Android assets, the iOS bundle), each host's rule anchors are handed to the
//! platform layer, which validates with them, and a validated path is traced to its anchor.
//! The model itself lives in the core (`pinset::trust`).

use std::collections::HashMap;
use std::sync::Arc;

use pinset::Pin;
use pinset::trust::{ManifestAnchors, SuppliedAnchors};

use crate::{Pinset, PinsetError};

/// One CA certificate of a rule's anchors.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AnchorCertificate {
    /// The anchor it came from: the file path as written in the manifest.
    pub source: String,
    /// The certificate's DER.
    pub der: Vec<u8>,
}

/// The anchors a host's rule validates against (only for rules with `trust_anchors`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RuleTrust {
    /// The rule's domain.
    pub rule: String,
    /// `system` is listed: the platform's store is trusted too.
    pub system: bool,
    /// The rule's own CA certificates (empty for a rule listing only `system`).
    pub anchors: Vec<AnchorCertificate>,
}

/// Resolves `manifest`'s anchors from the supplied bytes: a file that is not supplied, too large
/// or not PEM/DER certificates is an error naming the manifest location.
pub(crate) fn resolve(
    manifest: &pinset::Manifest,
    anchors: HashMap<String, Vec<u8>>,
) -> Result<ManifestAnchors, PinsetError> {
    ManifestAnchors::load(manifest, &SuppliedAnchors(anchors)).map_err(|e| PinsetError::Anchor {
        reason: e.to_string(),
    })
}

#[uniffi::export]
impl Pinset {
    /// Loads a manifest from its TOML text with the bytes (PEM or DER) of its trust-anchor files,
    /// keyed by the path exactly as the manifest writes it. A rule whose anchor file is missing
    /// from `anchors` is an error here, never silently ignored.
    #[uniffi::constructor]
    pub fn from_toml_with_anchors(
        manifest: String,
        anchors: HashMap<String, Vec<u8>>,
    ) -> Result<Arc<Self>, PinsetError> {
        Self::load(&manifest, anchors)
    }

    /// The anchors `host`'s rule validates against; `None` when the host uses the platform's
    /// defaults (no rule, or a rule without `trust_anchors`).
    pub fn rule_trust(&self, host: String) -> Option<RuleTrust> {
        let canonical = pinset::host::canonical_host(&host).ok()?;
        let index = self.policy.rule_index_for(&canonical)?;
        let rule = self.anchors.rule(index)?;
        Some(RuleTrust {
            rule: self.policy.rule(index)?.name.clone(),
            system: rule.system,
            anchors: rule
                .certs
                .iter()
                .map(|(source, der)| AnchorCertificate {
                    source: source.clone(),
                    der: der.to_vec(),
                })
                .collect(),
        })
    }

    /// Which anchor a validated `path` (leaf first, anchor last) of `host` ended at: the manifest
    /// file whose certificate has the same key as the path's last certificate, `system` when the
    /// host's rule trusts the platform store (or it has no own anchors) and no file matches,
    /// `None` when the path ends at no anchor the host's rule trusts.
    pub fn anchor_of(&self, host: String, path: Vec<Vec<u8>>) -> Option<String> {
        let last = Pin::of_certificate(path.last()?).ok()?;
        let canonical = pinset::host::canonical_host(&host).ok()?;
        let rule = self
            .policy
            .rule_index_for(&canonical)
            .and_then(|i| self.anchors.rule(i));
        match rule {
            None => Some("system".into()),
            Some(r) => r
                .certs
                .iter()
                .find(|(_, der)| Pin::of_certificate(der).ok() == Some(last))
                .map(|(source, _)| source.clone())
                .or_else(|| r.system.then(|| "system".into())),
        }
    }
}
