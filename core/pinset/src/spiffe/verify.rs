//! X.509-SVID verification: chain-only path validation with webpki against the bundle of the
//! presented ID's trust domain, then the leaf rules, then the ID match, then the caller's path
//! check (pins).

use std::cell::Cell;

use rustls_pki_types::{CertificateDer, UnixTime};
use webpki::{EndEntityCert, KeyUsage, VerifiedPath};

use super::{BundleSet, IdMatcher, SpiffeError, SpiffeId, check_leaf_rules, leaf_spiffe_id};
use crate::roots::Roots;

/// Which side presents the SVID: it decides the extended key usage webpki requires when the
/// leaf has an EKU extension (`X509-SVID.md` §4.4 asks for both on every leaf).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SvidUsage {
    /// A server's SVID (the client verifies it): `id-kp-serverAuth` if EKU is present.
    Server,
    /// A client's SVID (the server verifies it, mTLS): `id-kp-clientAuth` if EKU is present.
    Client,
}

/// An SVID that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSvid {
    /// The presented SPIFFE ID.
    pub id: SpiffeId,
    /// The verified path, leaf first, the bundle's CA certificate last.
    pub path: Vec<CertificateDer<'static>>,
}

/// Verifies a presented X.509-SVID chain (leaf first) at `now`.
///
/// Order: the leaf's ID (exactly one URI SAN); its trust domain must be `matcher`'s; the chain
/// must validate against that trust domain's bundle in `bundles` (chain only: no DNS name is
/// checked; EKU per [`SvidUsage`]); the leaf rules ([`check_leaf_rules`]); `matcher` must
/// authorize the ID; last, `on_path` (when given) is asked about each verified candidate path
/// and returning `false` makes webpki try the next one (cross-signed bundles), so pins are only
/// ever matched on certificates linked by signatures to the bundle.
pub fn verify_svid(
    presented: &[CertificateDer<'_>],
    bundles: &BundleSet,
    matcher: &IdMatcher,
    usage: SvidUsage,
    now: UnixTime,
    on_path: Option<&dyn Fn(&VerifiedPath<'_>) -> bool>,
) -> Result<VerifiedSvid, SpiffeError> {
    verify_svid_with_roots(
        presented,
        &|td| bundles.get(td).map(super::Bundle::roots),
        matcher,
        usage,
        now,
        on_path,
    )
}

/// [`verify_svid`] with the trust domain's roots looked up by `roots_for` (e.g. a manifest
/// rule's anchors, which hold its trust domain's bundle): `None` is "no bundle".
pub fn verify_svid_with_roots<'r>(
    presented: &[CertificateDer<'_>],
    roots_for: &dyn Fn(&str) -> Option<&'r Roots>,
    matcher: &IdMatcher,
    usage: SvidUsage,
    now: UnixTime,
    on_path: Option<&dyn Fn(&VerifiedPath<'_>) -> bool>,
) -> Result<VerifiedSvid, SpiffeError> {
    let (leaf, intermediates) = presented.split_first().ok_or(SpiffeError::EmptyChain)?;
    let id = leaf_spiffe_id(leaf)?;
    if id.trust_domain() != matcher.trust_domain() {
        return Err(SpiffeError::TrustDomainNotAllowed {
            id: id.to_string(),
            trust_domain: id.trust_domain().to_owned(),
            allowed: matcher.trust_domain().to_owned(),
        });
    }
    let roots = roots_for(id.trust_domain())
        .ok_or_else(|| SpiffeError::NoBundle(id.trust_domain().to_owned()))?;
    if roots.is_empty() {
        return Err(SpiffeError::BundleEmpty(id.trust_domain().to_owned()));
    }
    let ee = EndEntityCert::try_from(leaf).map_err(|reason| SpiffeError::NotTrusted {
        id: id.to_string(),
        reason,
    })?;
    let usage = match usage {
        SvidUsage::Server => KeyUsage::server_auth(),
        SvidUsage::Client => KeyUsage::client_auth(),
    };
    // Set when webpki reached a complete, signature-linked path (the chain itself validates).
    let path_validated = Cell::new(false);
    let hook = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
        path_validated.set(true);
        match on_path {
            Some(check) if !check(path) => Err(webpki::Error::UnknownIssuer),
            _ => Ok(()),
        }
    };
    let result = ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        roots.anchors(),
        intermediates,
        now,
        usage,
        None,
        Some(&hook),
    );
    let path = match result {
        Ok(path) => Some(roots.path_certificates(&path)),
        Err(_) if path_validated.get() => None,
        Err(webpki::Error::NameConstraintViolation) => {
            return Err(SpiffeError::NameConstraints { id: id.to_string() });
        }
        Err(reason) => {
            return Err(SpiffeError::NotTrusted {
                id: id.to_string(),
                reason,
            });
        }
    };
    check_leaf_rules(leaf)?;
    if !matcher.matches(&id) {
        return Err(SpiffeError::NotAuthorized {
            id: id.to_string(),
            expected: matcher.to_string(),
        });
    }
    match path {
        Some(path) => Ok(VerifiedSvid { id, path }),
        None => Err(SpiffeError::PathRefused { id: id.to_string() }),
    }
}
