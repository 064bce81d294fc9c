//! The rustls `ServerCertVerifier`: validation by the configured validator, then the pin
//! decision on the validated path.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use super::reporter::PinReporter;
use crate::chain::{self, ChainError, Roots};
use crate::host;
use crate::pin::Pin;
use crate::policy::{Decision, Policy};
use crate::report::Report;

/// A pin violation, as carried inside the rustls error (its `Display` is the OkHttp-style text).
#[derive(Debug)]
pub struct PinViolation(pub String);

impl fmt::Display for PinViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PinViolation {}

pub(super) enum Validator {
    WebPki(Roots),
    Platform(Arc<rustls_platform_verifier::Verifier>),
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WebPki(r) => write!(f, "WebPki({} roots)", r.anchors().len()),
            Self::Platform(_) => f.write_str("Platform"),
        }
    }
}

/// The pinning verifier. Build it with [`PinningConfig`].
#[derive(Debug)]
pub struct PinningVerifier {
    pub(super) policy: Arc<Policy>,
    pub(super) default: Validator,
    /// Per rule: webpki roots when the rule trusts only its own PEM anchors.
    pub(super) private_roots: Vec<Option<Roots>>,
    /// Roots the application configured (extra + manifest files): CA-pin candidates in platform mode.
    pub(super) proof_candidates: Vec<CertificateDer<'static>>,
    pub(super) reporter: Option<Arc<dyn PinReporter>>,
    pub(super) expired_reported: Mutex<HashSet<usize>>,
    pub(super) provider: Arc<CryptoProvider>,
    /// When enabled, the last decision and the path it was taken on (for tools like `pinset connect`).
    pub(super) last: Option<Mutex<Option<Outcome>>>,
}

/// A pin decision and the certificates it was taken on (the verified path in webpki mode; the
/// leaf plus the certificates proven to sign down to it in platform mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The canonical host.
    pub host: String,
    /// The decision.
    pub decision: Decision,
    /// The certificates, leaf first.
    pub path: Vec<CertificateDer<'static>>,
}

impl PinningVerifier {
    /// The last decision, when built with [`PinningConfig::record_outcomes`].
    pub fn last_outcome(&self) -> Option<Outcome> {
        self.last
            .as_ref()
            .and_then(|m| m.lock().ok().and_then(|g| g.clone()))
    }

    /// The policy this verifier enforces.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub(super) fn host_of(server_name: &ServerName<'_>) -> String {
        match server_name {
            ServerName::DnsName(d) => d.as_ref().to_owned(),
            ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
            _ => String::new(),
        }
    }

    fn report(
        &self,
        host: &str,
        decision: Decision,
        presented: &[CertificateDer<'_>],
        validated: &[CertificateDer<'_>],
        now: i64,
    ) {
        let Some(reporter) = &self.reporter else {
            return;
        };
        if let Decision::Expired { rule } = decision {
            let first = self
                .expired_reported
                .lock()
                .map(|mut s| s.insert(rule))
                .unwrap_or(true);
            if !first {
                return;
            }
        }
        let verdict = self.policy.explain(host, decision, validated);
        reporter.report(&Report::new(&verdict, None, presented, validated, now));
    }

    /// Platform mode: the OS validated; decide pins on certificates proven to sign down to the leaf.
    fn platform_decision(
        &self,
        host: &str,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        now_secs: i64,
    ) -> Result<(Decision, Vec<CertificateDer<'static>>), rustls::Error> {
        let canonical = host::canonical_host(host).map_err(|e| other_error(e.to_string()))?;
        let Some(rule) = self.policy.rule_index_for(&canonical) else {
            return Ok((Decision::NotPinned, Vec::new()));
        };
        let pins = &self.policy.manifest().domains[rule].pins;
        let leaf_pin = Pin::of_certificate(end_entity).map_err(|e| other_error(e.to_string()))?;
        let ee = EndEntityCert::try_from(end_entity).map_err(|e| other_error(format!("{e:?}")))?;
        let mut linked: Vec<CertificateDer<'static>> = vec![end_entity.clone().into_owned()];
        let candidates = intermediates.iter().chain(self.proof_candidates.iter());
        let proven = candidates.filter_map(|c| {
            let pin = Pin::of_certificate(c).ok()?;
            if !pins.contains(&pin) {
                return None;
            }
            let anchor = webpki::anchor_from_trusted_cert(c).ok()?;
            ee.verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &[anchor],
                intermediates,
                now,
                KeyUsage::server_auth(),
                None,
                None,
            )
            .ok()?;
            linked.push(c.clone().into_owned());
            Some(pin)
        });
        let decision = self
            .policy
            .decide(
                &canonical,
                now_secs,
                std::iter::once(leaf_pin).chain(proven),
            )
            .map_err(|e| other_error(e.to_string()))?;
        Ok((decision, linked))
    }
}

fn other_error(msg: String) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(PinViolation(
        msg,
    )))))
}

fn chain_error(e: ChainError) -> rustls::Error {
    let cert_error = match &e {
        ChainError::WrongHost { .. } => CertificateError::NotValidForName,
        ChainError::NotTrusted(w) => match w {
            webpki::Error::UnknownIssuer => CertificateError::UnknownIssuer,
            webpki::Error::CertExpired { .. } => CertificateError::Expired,
            webpki::Error::CertNotValidYet { .. } => CertificateError::NotValidYet,
            webpki::Error::InvalidSignatureForPublicKey => CertificateError::BadSignature,
            webpki::Error::CertRevoked => CertificateError::Revoked,
            _ => CertificateError::Other(OtherError(Arc::new(e.clone()))),
        },
        _ => CertificateError::Other(OtherError(Arc::new(e.clone()))),
    };
    rustls::Error::InvalidCertificate(cert_error)
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let host = Self::host_of(server_name);
        let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let canonical = host::canonical_host(&host).map_err(|e| other_error(e.to_string()))?;
        let rule = self.policy.rule_index_for(&canonical);
        let private = rule
            .and_then(|r| self.private_roots.get(r))
            .and_then(Option::as_ref);
        let mut presented: Vec<CertificateDer<'_>> = Vec::with_capacity(1 + intermediates.len());
        presented.push(end_entity.clone());
        presented.extend(intermediates.iter().cloned());
        let (decision, path) = match (private, &self.default) {
            (Some(roots), _) | (None, Validator::WebPki(roots)) => {
                let checked = chain::verify_pinned(&self.policy, &host, &presented, roots, now)
                    .map_err(chain_error)?;
                (checked.decision, checked.path)
            }
            (None, Validator::Platform(inner)) => {
                inner.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                )?;
                self.platform_decision(&host, end_entity, intermediates, now, now_secs)?
            }
        };
        if decision.is_reportable() {
            self.report(&host, decision, &presented, &path, now_secs);
        }
        if let Some(last) = &self.last {
            if let Ok(mut g) = last.lock() {
                *g = Some(Outcome {
                    host: canonical.to_string(),
                    decision,
                    path: path.clone(),
                });
            }
        }
        if decision.allows_connection() {
            return Ok(ServerCertVerified::assertion());
        }
        // The message lists the path webpki verified (webpki mode) or the presented chain
        // (platform mode, where the OS does not return its path).
        let shown: &[CertificateDer<'_>] =
            if matches!(self.default, Validator::Platform(_)) && private.is_none() {
                &presented
            } else {
                &path
            };
        Err(other_error(
            self.policy
                .explain(&host, decision, shown)
                .failure_message(),
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
