//! Trusted roots as webpki trust anchors, the roots that path validation ([`crate::chain`]) and
//! SPIFFE bundles ([`crate::spiffe`]) validate against. Which roots a host gets is the
//! trust-anchor model's decision ([`crate::trust`]); this module only holds them.

use rustls_pki_types::{CertificateDer, TrustAnchor};
use webpki::VerifiedPath;

/// A CA certificate webpki cannot use as a trust anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("root #{index}: cannot be used as a trust anchor: {reason}")]
pub struct BadRoot {
    /// 1-based position.
    pub index: usize,
    /// webpki's reason.
    pub reason: String,
}

/// Trusted roots, kept both as certificates (for display and reports) and as webpki anchors.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    certs: Vec<CertificateDer<'static>>,
    anchors: Vec<TrustAnchor<'static>>,
}

impl Roots {
    /// Builds roots from CA certificates.
    pub fn new(certs: Vec<CertificateDer<'static>>) -> Result<Self, BadRoot> {
        let anchors = certs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                webpki::anchor_from_trusted_cert(c)
                    .map(|a| a.to_owned())
                    .map_err(|e| BadRoot {
                        index: i + 1,
                        reason: format!("{e:?}"),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { certs, anchors })
    }

    /// Adds roots, skipping any that webpki cannot use as an anchor; returns how many were skipped.
    /// (System stores routinely contain a few unparseable legacy roots.)
    pub fn extend_lenient(
        &mut self,
        certs: impl IntoIterator<Item = CertificateDer<'static>>,
    ) -> usize {
        let mut skipped = 0;
        for c in certs {
            match webpki::anchor_from_trusted_cert(&c) {
                Ok(a) => {
                    self.anchors.push(a.to_owned());
                    self.certs.push(c);
                }
                Err(_) => skipped += 1,
            }
        }
        skipped
    }

    /// Adds every root of `other`.
    pub(crate) fn extend(&mut self, other: Roots) {
        self.certs.extend(other.certs);
        self.anchors.extend(other.anchors);
    }

    /// The webpki trust anchors.
    pub fn anchors(&self) -> &[TrustAnchor<'static>] {
        &self.anchors
    }

    /// The root certificates.
    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.certs
    }

    /// True when there are no roots.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The certificates of a path webpki verified against these roots: leaf, intermediates, and
    /// the anchor's certificate (when the anchor is one of these roots).
    pub(crate) fn path_certificates(
        &self,
        path: &VerifiedPath<'_>,
    ) -> Vec<CertificateDer<'static>> {
        let mut out = vec![path.end_entity().der().into_owned()];
        out.extend(
            path.intermediate_certificates()
                .map(|c| c.der().into_owned()),
        );
        let anchor = self
            .anchors
            .iter()
            .position(|a| std::ptr::eq(a, path.anchor()));
        if let Some(cert) = anchor.and_then(|i| self.certs.get(i)) {
            out.push(cert.clone());
        }
        out
    }
}
