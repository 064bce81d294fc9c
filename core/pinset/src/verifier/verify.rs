//! The rustls `ServerCertVerifier`: validation by the configured validator, then the pin
//! decision on the validated path.

use std::fmt;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use crate::chain::{self, ChainError, TrustStore};
use crate::host;
use crate::pin::Pin;
use crate::policy::{Decision, Policy};
use crate::report::{PinReporter, Throttle};

/// A pin violation, as carried inside the rustls error (its `Display` is the OkHttp-style text).
#[derive(Debug)]
pub struct PinViolation(pub String);

impl fmt::Display for PinViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PinViolation {}

/// How one group of hosts is validated.
pub(super) enum Validator {
    /// webpki against the host's rule's roots in the verifier's [`TrustStore`], pins in the
    /// same pass.
    WebPki,
    /// The OS verifier (with these extra roots), then pins proven on the candidates: the
    /// presented intermediates plus these roots.
    Platform {
        /// The OS verifier, built with `candidates` as extra roots.
        verifier: Arc<rustls_platform_verifier::Verifier>,
        /// The extra roots it trusts (the CA-pin proof candidates besides the intermediates).
        candidates: Vec<CertificateDer<'static>>,
    },
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WebPki => f.write_str("WebPki"),
            Self::Platform { candidates, .. } => {
                write!(f, "Platform({} extra roots)", candidates.len())
            }
        }
    }
}

/// The pinning verifier. Build it with [`PinningConfig`](super::PinningConfig).
#[derive(Debug)]
pub struct PinningVerifier {
    pub(super) policy: Arc<Policy>,
    /// For hosts whose rule has no `trust_anchors` (and hosts without a rule).
    pub(super) default: Validator,
    /// Per rule with its own `trust_anchors`: how its hosts are validated (`None`: the default).
    pub(super) rules: Vec<Option<Validator>>,
    /// webpki roots per rule (the defaults, and each rule's own anchors for its hosts only).
    pub(super) store: TrustStore,
    pub(super) reporter: Option<Arc<dyn PinReporter>>,
    /// Which reports are due (the core's one policy, shared with the FFI).
    pub(super) throttle: Throttle,
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
    /// The presented SPIFFE ID, when the host's rule is a spiffe rule.
    pub spiffe_id: Option<String>,
}

impl PinningVerifier {
    /// The last decision, when built with [`PinningConfig::record_outcomes`](super::PinningConfig::record_outcomes).
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
        self.throttle.report(
            reporter.as_ref(),
            &self.policy,
            host,
            None,
            decision,
            presented,
            validated,
            now,
            None,
        );
    }

    /// Platform mode: the OS validated; decide pins on certificates proven to sign down to the
    /// leaf. Candidates are the presented intermediates and the roots this host's validator
    /// trusts beyond the OS store (never another rule's anchors).
    fn platform_decision(
        &self,
        host: &str,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        candidates: &[CertificateDer<'static>],
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
        let candidates = intermediates.iter().chain(candidates.iter());
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
        let validator = rule
            .and_then(|r| self.rules.get(r))
            .and_then(Option::as_ref)
            .unwrap_or(&self.default);
        let mut presented: Vec<CertificateDer<'_>> = Vec::with_capacity(1 + intermediates.len());
        presented.push(end_entity.clone());
        presented.extend(intermediates.iter().cloned());
        let mut spiffe_id = None;
        let (decision, path) = match validator {
            Validator::WebPki => {
                let checked =
                    chain::verify_pinned(&self.policy, &host, &presented, &self.store, now)
                        .map_err(chain_error)?;
                spiffe_id = checked.spiffe_id.map(|id| id.to_string());
                (checked.decision, checked.path)
            }
            Validator::Platform {
                verifier,
                candidates,
            } => {
                verifier.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                )?;
                self.platform_decision(&host, end_entity, intermediates, candidates, now, now_secs)?
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
                    spiffe_id,
                });
            }
        }
        if decision.allows_connection() {
            return Ok(ServerCertVerified::assertion());
        }
        // The message lists the path webpki verified (webpki mode) or the presented chain
        // (platform mode, where the OS does not return its path).
        let shown: &[CertificateDer<'_>] = if matches!(validator, Validator::Platform { .. }) {
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
