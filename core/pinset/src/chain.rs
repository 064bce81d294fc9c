//! Path validation: validate a presented chain to trust anchors with webpki, and apply the pin
//! policy **inside** path building, on the verified path only. Reading certificates (DER, PEM)
//! is [`crate::certificate`]'s job.
//!
//! Pins are checked in webpki's `verify_path` hook: it sees each complete candidate path that is
//! cryptographically linked from the leaf to a trust anchor, and a pin failure makes webpki try
//! the next candidate (cross-signed chains). A certificate the server merely appended is never
//! part of a verified path, so it can never satisfy a pin (OkHttp CVE-2016-2402).

use std::cell::RefCell;

use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage, VerifiedPath};

use crate::certificate::{sequence_header, spki_of_certificate};
use crate::host::{self, HostError};
use crate::pin::Pin;
use crate::policy::{Decision, Policy};
use crate::roots::{BadRoot, Roots};
use crate::trust::ManifestAnchors;

/// Hashes a trust anchor's SPKI, which webpki keeps without its outer `SEQUENCE` header.
pub fn anchor_pin(anchor: &TrustAnchor<'_>) -> Pin {
    let contents: &[u8] = anchor.subject_public_key_info.as_ref();
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let (header, header_len) = sequence_header(contents.len());
    ctx.update(&header[..header_len]);
    ctx.update(contents);
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    Pin::from_digest(out)
}

/// The pins of a verified path, leaf first, trust anchor last, computed lazily.
pub fn verified_path_pins<'a>(path: &'a VerifiedPath<'a>) -> impl Iterator<Item = Pin> + 'a {
    let leaf = std::iter::once(path.end_entity().der());
    let intermediates = path.intermediate_certificates().map(|c| c.der());
    leaf.chain(intermediates)
        // webpki has parsed these certificates already; one that our DER reader rejected
        // could not match a pin anyway (fail closed).
        .filter_map(|der| spki_of_certificate(&der).ok().map(Pin::of_spki))
        .chain(std::iter::once_with(|| anchor_pin(path.anchor())))
}

/// The roots each host validates against: the defaults, and for every rule with its own
/// `trust_anchors` the roots of that rule alone (see [`crate::trust`] for the model). A rule's
/// private CA is a root only in its own rule's entry.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    default: Roots,
    rules: Vec<Option<Roots>>,
}

impl TrustStore {
    /// Builds per-rule roots: `defaults` (the platform store or its stand-in) for rules without
    /// anchors and for `system`; each rule's own certificates only in its own entry.
    pub fn new(defaults: Roots, anchors: &ManifestAnchors) -> Result<Self, ChainError> {
        let mut rules = Vec::with_capacity(anchors.len());
        for i in 0..anchors.len() {
            rules.push(match anchors.rule(i) {
                None => None,
                Some(rule) => {
                    let own = Roots::new(rule.certificates().cloned().collect())?;
                    Some(if rule.system {
                        let mut both = defaults.clone();
                        both.extend(own);
                        both
                    } else {
                        own
                    })
                }
            });
        }
        Ok(Self {
            default: defaults,
            rules,
        })
    }

    /// The same roots for every host: only for a manifest whose rules all use the defaults
    /// (fails with [`ChainError::TrustMismatch`] at verification otherwise).
    pub fn uniform(roots: Roots) -> Self {
        Self {
            default: roots,
            rules: Vec::new(),
        }
    }

    /// The roots for rule `rule` (`None`: a host without a rule).
    pub fn roots_for(&self, rule: Option<usize>) -> &Roots {
        rule.and_then(|i| self.rules.get(i))
            .and_then(Option::as_ref)
            .unwrap_or(&self.default)
    }

    /// Rule `rule`'s own roots (`None` when it uses the defaults or does not exist).
    pub fn own_roots(&self, rule: usize) -> Option<&Roots> {
        self.rules.get(rule).and_then(Option::as_ref)
    }

    /// The default roots.
    pub fn defaults(&self) -> &Roots {
        &self.default
    }

    /// Number of rules this store was built for.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }
}

/// Why a presented chain could not be validated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The server presented no certificate.
    #[error("the chain is empty")]
    Empty,
    /// The host name is not valid.
    #[error("invalid host: {0}")]
    Host(#[from] HostError),
    /// The end-entity certificate could not be parsed.
    #[error("end-entity certificate: {0}")]
    BadEndEntity(String),
    /// A root could not be used as a trust anchor.
    #[error("root #{index}: cannot be used as a trust anchor: {reason}")]
    BadRoot {
        /// 1-based position.
        index: usize,
        /// webpki's reason.
        reason: String,
    },
    /// The certificate is not valid for the host name.
    #[error("certificate is not valid for host '{host}': {reason:?}")]
    WrongHost {
        /// The host.
        host: String,
        /// webpki's reason.
        reason: webpki::Error,
    },
    /// The trust store was not built for this policy's manifest (a rule's own anchors would be
    /// missing): refused rather than validated against the wrong roots.
    #[error("the trust store was built for {store} rules, the manifest has {manifest}")]
    TrustMismatch {
        /// Rules in the store.
        store: usize,
        /// Rules in the manifest.
        manifest: usize,
    },
    /// No path to a trust anchor validates (expired, unknown issuer, bad signature…).
    #[error("chain does not validate: {0:?}")]
    NotTrusted(webpki::Error),
    /// A spiffe rule's X.509-SVID check failed (trust domain, bundle chain, leaf rules, ID),
    /// or this build cannot verify SPIFFE rules.
    #[error("{0}")]
    Spiffe(Box<crate::spiffe::SpiffeError>),
}

impl From<BadRoot> for ChainError {
    fn from(e: BadRoot) -> Self {
        Self::BadRoot {
            index: e.index,
            reason: e.reason,
        }
    }
}

/// A validated path and the pin decision taken on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPath {
    /// The verified path, leaf first, trust anchor last (the anchor's certificate when known).
    pub path: Vec<CertificateDer<'static>>,
    /// The pin decision. A violation carries the first verified path that was tried.
    pub decision: Decision,
    /// The presented SPIFFE ID, when the host's rule is a spiffe rule (it passed every check).
    pub spiffe_id: Option<crate::spiffe::SpiffeId>,
}

/// Validates `presented` (leaf first) for `host` at `now` against the roots of `host`'s rule in
/// `trust` (the defaults when it has none), then applies the pin policy on the verified path. Normal validation is never skipped: a pinned key on an
/// expired or wrong-host certificate still fails.
///
/// Returns `Ok` with a [`Decision::Violation`] when the chain validates but no verified path
/// satisfies the pins; `Err` when the chain does not validate at all.
pub fn verify_pinned(
    policy: &Policy,
    host: &str,
    presented: &[CertificateDer<'_>],
    trust: &TrustStore,
    now: UnixTime,
) -> Result<CheckedPath, ChainError> {
    let canonical = host::canonical_host(host)?;
    let manifest_rules = policy.manifest().domains.len();
    let needs_rules = policy
        .manifest()
        .domains
        .iter()
        .any(|r| !r.trust_anchors.is_empty() || r.spiffe.is_some());
    if trust.rule_count() != manifest_rules && (needs_rules || trust.rule_count() != 0) {
        return Err(ChainError::TrustMismatch {
            store: trust.rule_count(),
            manifest: manifest_rules,
        });
    }
    let rule = policy.rule_index_for(&canonical);
    let roots = trust.roots_for(rule);
    if let Some(r) = rule {
        if let Some(spiffe) = &policy.manifest().domains[r].spiffe {
            // Only the rule's own anchors (its bundle), never the defaults.
            let own = trust.own_roots(r).ok_or_else(|| {
                ChainError::Spiffe(Box::new(crate::spiffe::SpiffeError::NoBundle(
                    spiffe.matcher.trust_domain().to_owned(),
                )))
            })?;
            return verify_spiffe(policy, &canonical, presented, own, spiffe, now);
        }
    }
    let (leaf, intermediates) = presented.split_first().ok_or(ChainError::Empty)?;
    let ee = end_entity_for_host(leaf, &canonical)?;

    let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let accepted: RefCell<Option<Decision>> = RefCell::new(None);
    let violation: RefCell<Option<CheckedPath>> = RefCell::new(None);
    let on_path = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
        let decision = policy
            .decide(&canonical, now_secs, verified_path_pins(path))
            .map_err(|_| webpki::Error::UnknownIssuer)?;
        if decision.allows_connection() {
            *accepted.borrow_mut() = Some(decision);
            return Ok(());
        }
        let mut v = violation.borrow_mut();
        if v.is_none() {
            *v = Some(CheckedPath {
                path: roots.path_certificates(path),
                decision,
                spiffe_id: None,
            });
        }
        // Make webpki try the next candidate path: a cross-signed path may carry the pinned key.
        Err(webpki::Error::UnknownIssuer)
    };
    let result = ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        roots.anchors(),
        intermediates,
        now,
        KeyUsage::server_auth(),
        None,
        Some(&on_path),
    );
    match result {
        Ok(path) => {
            let decision = accepted.borrow().unwrap_or(Decision::NotPinned);
            Ok(CheckedPath {
                path: roots.path_certificates(&path),
                decision,
                spiffe_id: None,
            })
        }
        Err(e) => match violation.into_inner() {
            Some(v) => Ok(v),
            None => Err(ChainError::NotTrusted(e)),
        },
    }
}

/// The leaf as webpki's end-entity certificate, checked to be valid for `canonical` (the host).
fn end_entity_for_host<'a>(
    leaf: &'a CertificateDer<'a>,
    canonical: &str,
) -> Result<EndEntityCert<'a>, ChainError> {
    let ee =
        EndEntityCert::try_from(leaf).map_err(|e| ChainError::BadEndEntity(format!("{e:?}")))?;
    let server_name = ServerName::try_from(canonical)
        .map_err(|_| ChainError::Host(HostError::Invalid(canonical.to_owned())))?;
    ee.verify_is_valid_for_subject_name(&server_name)
        .map_err(|reason| ChainError::WrongHost {
            host: canonical.to_owned(),
            reason,
        })?;
    Ok(ee)
}

/// A spiffe rule (`spiffe::verify_svid_with_roots`): the presented ID's trust domain must be the
/// rule's; the chain is validated chain-only against the rule's anchors (its trust domain's
/// bundle), plus the host name when `dns = true`; then the X.509-SVID leaf rules and the ID
/// match, always enforced; the pins, with report-only and expiry, on the verified path.
#[cfg(feature = "spiffe")]
fn verify_spiffe(
    policy: &Policy,
    canonical: &str,
    presented: &[CertificateDer<'_>],
    roots: &Roots,
    spiffe: &crate::manifest::SpiffeRule,
    now: UnixTime,
) -> Result<CheckedPath, ChainError> {
    use crate::spiffe::{SpiffeError, SvidUsage, verify_svid_with_roots};
    let leaf = presented.first().ok_or(ChainError::Empty)?;
    if spiffe.dns {
        end_entity_for_host(leaf, canonical)?;
    }
    let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let accepted: RefCell<Option<Decision>> = RefCell::new(None);
    let violation: RefCell<Option<(Vec<CertificateDer<'static>>, Decision)>> = RefCell::new(None);
    let on_path = |path: &VerifiedPath<'_>| -> bool {
        let Ok(decision) = policy.decide(canonical, now_secs, verified_path_pins(path)) else {
            return false;
        };
        if decision.allows_connection() {
            *accepted.borrow_mut() = Some(decision);
            return true;
        }
        violation
            .borrow_mut()
            .get_or_insert_with(|| (roots.path_certificates(path), decision));
        false
    };
    let matcher_td = spiffe.matcher.trust_domain();
    let roots_for = |td: &str| (td == matcher_td).then_some(roots);
    match verify_svid_with_roots(
        presented,
        &roots_for,
        &spiffe.matcher,
        SvidUsage::Server,
        now,
        Some(&on_path),
    ) {
        Ok(svid) => Ok(CheckedPath {
            path: svid.path,
            decision: accepted.into_inner().unwrap_or(Decision::NotPinned),
            spiffe_id: Some(svid.id),
        }),
        Err(SpiffeError::PathRefused { id }) => match violation.into_inner() {
            Some((path, decision)) => Ok(CheckedPath {
                path,
                decision,
                spiffe_id: crate::spiffe::SpiffeId::parse(&id).ok(),
            }),
            None => Err(ChainError::Spiffe(Box::new(SpiffeError::PathRefused {
                id,
            }))),
        },
        Err(e) => Err(ChainError::Spiffe(Box::new(e))),
    }
}

/// Without the `spiffe` feature a spiffe rule is refused (a manifest with one does not even
/// parse in such a build; this covers a hand-built [`Policy`]).
#[cfg(not(feature = "spiffe"))]
fn verify_spiffe(
    _policy: &Policy,
    _canonical: &str,
    _presented: &[CertificateDer<'_>],
    _roots: &Roots,
    _spiffe: &crate::manifest::SpiffeRule,
    _now: UnixTime,
) -> Result<CheckedPath, ChainError> {
    Err(ChainError::Spiffe(Box::new(
        crate::spiffe::SpiffeError::Unsupported,
    )))
}
