//! Pinned TLS for Rust clients: a rustls [`ServerCertVerifier`] and a [`ClientConfig`] builder.
//!
//! Normal validation always runs first; pins are then matched **only** on certificates linked by
//! signatures from the leaf to a trust anchor:
//!
//! - **webpki mode** (explicit roots, and every private-CA domain whose manifest `trust_anchors`
//!   do not include `system`): validation and pinning in one pass, through webpki's
//!   `verify_path` hook ([`crate::chain::verify_pinned`]). The path is validated once.
//! - **platform mode** (the default for public hosts): `rustls-platform-verifier` validates
//!   (the OS trust store, revocation where the OS does it). It does not return the path, so a
//!   CA pin counts only when webpki proves that the pinned certificate's key signs down to the
//!   leaf (that certificate used as the only trust anchor); a leaf pin is the leaf's own key.
//!   Candidates are the presented intermediates plus the roots the application configured
//!   (extra roots, manifest anchor files). A certificate the server merely appended is never
//!   linked, so it never satisfies a pin (OkHttp CVE-2016-2402).
//!
//! Crypto provider: **ring**, chosen explicitly. It covers TLS and all six RFC 9421 signing
//! algorithms, builds for Android and iOS with only a C compiler (aws-lc-rs needs cmake and, for
//! some targets, NASM/bindgen), and is ~0.8 MB smaller in the mobile library.
//!
//! Session resumption: rustls does not call `verify_server_cert` when it resumes a session
//! (TLS 1.3 PSK or TLS 1.2 ticket/ID): the server proves possession of the session secret
//! instead. By default ([`Resumption::FullHandshakeForPinned`]) the config's session store
//! never keeps sessions for hosts with an enforced pin rule, so every connection to them runs
//! the pin decision; other hosts resume normally. The store is private to the config, so a
//! session made by an unpinned config can never be resumed by a pinned one.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue,
};
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, NamedGroup, OtherError, SignatureScheme,
};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use crate::chain::{self, ChainError, Roots};
use crate::host;
use crate::manifest::TrustAnchor;
use crate::pin::Pin;
use crate::policy::{Decision, Policy};
use crate::report::Report;

/// Receives pin violation and expiry reports. Implementations must be cheap and non-blocking
/// (queue the upload); they run inside the TLS handshake.
pub trait PinReporter: Send + Sync + fmt::Debug {
    /// Called for every violation (enforced or report-only) and once per expired rule.
    fn report(&self, report: &Report);
}

/// Writes reports as JSON to stderr (the CLI's reporter).
#[derive(Debug, Default, Clone, Copy)]
pub struct StderrReporter;

impl PinReporter for StderrReporter {
    fn report(&self, report: &Report) {
        eprintln!("pin report: {}", report.to_json());
    }
}

/// How hosts without a private-CA-only rule are validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrustMode {
    /// The OS verifier (`rustls-platform-verifier`), plus any extra roots.
    #[default]
    Platform,
    /// webpki against the system roots loaded with `rustls-native-certs`, plus extra roots.
    WebPkiSystem,
    /// webpki against the extra roots only (tests, closed deployments).
    WebPkiExtraOnly,
}

/// Session resumption policy (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resumption {
    /// Never resume sessions to hosts with an enforced pin rule; resume the others.
    #[default]
    FullHandshakeForPinned,
    /// Resume every host (rustls's default): resumed handshakes skip the pin decision.
    Allow,
    /// Never resume.
    Disabled,
}

/// Why a verifier or config could not be built.
#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    /// The OS verifier could not be created.
    #[error("platform verifier: {0}")]
    Platform(rustls::Error),
    /// A root could not be used as a trust anchor.
    #[error("roots: {0}")]
    Roots(#[from] ChainError),
    /// A manifest trust-anchor file could not be read or parsed.
    #[error("trust anchor file '{path}': {reason}")]
    AnchorFile {
        /// The path as written in the manifest.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// No system roots could be loaded in a system-roots mode.
    #[error("no usable system roots found")]
    NoSystemRoots,
    /// The client certificate or key for mTLS is unusable.
    #[error("client certificate: {0}")]
    ClientAuth(String),
    /// rustls rejected the configuration.
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}

/// A pin violation, as carried inside the rustls error (its `Display` is the OkHttp-style text).
#[derive(Debug)]
pub struct PinViolation(pub String);

impl fmt::Display for PinViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PinViolation {}

enum Validator {
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
    policy: Arc<Policy>,
    default: Validator,
    /// Per rule: webpki roots when the rule trusts only its own PEM anchors.
    private_roots: Vec<Option<Roots>>,
    /// Roots the application configured (extra + manifest files): CA-pin candidates in platform mode.
    proof_candidates: Vec<CertificateDer<'static>>,
    reporter: Option<Arc<dyn PinReporter>>,
    expired_reported: Mutex<HashSet<usize>>,
    provider: Arc<CryptoProvider>,
    /// When enabled, the last decision and the path it was taken on (for tools like `pinset connect`).
    last: Option<Mutex<Option<Outcome>>>,
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

/// Builder for a pinned [`ClientConfig`] (and the [`PinningVerifier`] inside it).
#[derive(Debug)]
pub struct PinningConfig {
    policy: Arc<Policy>,
    mode: TrustMode,
    extra_roots: Vec<CertificateDer<'static>>,
    reporter: Option<Arc<dyn PinReporter>>,
    resumption: Resumption,
    client_auth: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    record: bool,
}

impl PinningConfig {
    /// Starts from a policy: platform validation, default resumption policy, no client cert.
    pub fn new(policy: Arc<Policy>) -> Self {
        Self {
            policy,
            mode: TrustMode::Platform,
            extra_roots: Vec::new(),
            reporter: None,
            resumption: Resumption::default(),
            client_auth: None,
            record: false,
        }
    }

    /// Keep the last [`Outcome`] in the verifier (see [`PinningVerifier::last_outcome`]).
    pub fn record_outcomes(mut self, record: bool) -> Self {
        self.record = record;
        self
    }

    /// Chooses how public hosts are validated.
    pub fn trust_mode(mut self, mode: TrustMode) -> Self {
        self.mode = mode;
        self
    }

    /// Roots trusted in addition to the platform's (or instead of them in `WebPkiExtraOnly`).
    pub fn extra_roots(mut self, roots: impl IntoIterator<Item = CertificateDer<'static>>) -> Self {
        self.extra_roots.extend(roots);
        self
    }

    /// Where violation and expiry reports go.
    pub fn reporter(mut self, reporter: Arc<dyn PinReporter>) -> Self {
        self.reporter = Some(reporter);
        self
    }

    /// Session resumption policy.
    pub fn resumption(mut self, resumption: Resumption) -> Self {
        self.resumption = resumption;
        self
    }

    /// mTLS: a client certificate chain (PEM) and its key (PEM: PKCS#8, SEC1 or PKCS#1).
    pub fn client_auth_pem(
        mut self,
        chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Self, VerifierError> {
        let chain = chain::parse_certificates(chain_pem)
            .map_err(|e| VerifierError::ClientAuth(e.to_string()))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| {
            VerifierError::ClientAuth(format!(
                "private key: {e} (expected PKCS#8, SEC1 or PKCS#1 PEM)"
            ))
        })?;
        self.client_auth = Some((chain, key));
        Ok(self)
    }

    /// Builds the verifier alone (for use with another TLS stack built on rustls).
    pub fn build_verifier(&self) -> Result<Arc<PinningVerifier>, VerifierError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let manifest = self.policy.manifest();
        let mut all_anchor_certs = Vec::new();
        let mut private_roots = Vec::with_capacity(manifest.domains.len());
        let mut system_rule_extra = Vec::new();
        for rule in &manifest.domains {
            let mut certs = Vec::new();
            for anchor in &rule.trust_anchors {
                if let TrustAnchor::Pem { path, resolved } = anchor {
                    let file = resolved.as_ref().ok_or_else(|| VerifierError::AnchorFile {
                        path: path.clone(),
                        reason:
                            "manifest was not loaded from a file, so the path cannot be resolved"
                                .into(),
                    })?;
                    let bytes = std::fs::read(file).map_err(|e| VerifierError::AnchorFile {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                    let parsed = chain::parse_certificates(&bytes).map_err(|e| {
                        VerifierError::AnchorFile {
                            path: path.clone(),
                            reason: e.to_string(),
                        }
                    })?;
                    certs.extend(parsed);
                }
            }
            all_anchor_certs.extend(certs.iter().cloned());
            let trusts_system =
                rule.trust_anchors.is_empty() || rule.trust_anchors.contains(&TrustAnchor::System);
            if trusts_system {
                system_rule_extra.extend(certs);
                private_roots.push(None);
            } else {
                private_roots.push(Some(Roots::new(certs)?));
            }
        }
        let mut default_extra = self.extra_roots.clone();
        default_extra.extend(system_rule_extra);
        let default = match self.mode {
            TrustMode::Platform => Validator::Platform(Arc::new(
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    default_extra,
                    provider.clone(),
                )
                .map_err(VerifierError::Platform)?,
            )),
            TrustMode::WebPkiSystem => {
                let mut roots = Roots::new(default_extra)?;
                let native = rustls_native_certs::load_native_certs();
                roots.extend_lenient(native.certs);
                if roots.is_empty() {
                    return Err(VerifierError::NoSystemRoots);
                }
                Validator::WebPki(roots)
            }
            TrustMode::WebPkiExtraOnly => Validator::WebPki(Roots::new(default_extra)?),
        };
        let mut proof_candidates = self.extra_roots.clone();
        proof_candidates.extend(all_anchor_certs);
        Ok(Arc::new(PinningVerifier {
            policy: self.policy.clone(),
            default,
            private_roots,
            proof_candidates,
            reporter: self.reporter.clone(),
            expired_reported: Mutex::new(HashSet::new()),
            provider,
            last: self.record.then(|| Mutex::new(None)),
        }))
    }

    /// Builds a `ClientConfig` (TLS 1.2 and 1.3, ring) with the pinning verifier installed.
    pub fn build(self) -> Result<ClientConfig, VerifierError> {
        self.build_with_verifier().map(|(config, _)| config)
    }

    /// Builds the `ClientConfig` and returns the verifier installed in it too.
    pub fn build_with_verifier(
        self,
    ) -> Result<(ClientConfig, Arc<PinningVerifier>), VerifierError> {
        let verifier = self.build_verifier()?;
        let builder = ClientConfig::builder_with_provider(verifier.provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone());
        let mut config = match self.client_auth {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| VerifierError::ClientAuth(e.to_string()))?,
            None => builder.with_no_client_auth(),
        };
        config.resumption = match self.resumption {
            Resumption::Allow => rustls::client::Resumption::in_memory_sessions(256),
            Resumption::Disabled => rustls::client::Resumption::disabled(),
            Resumption::FullHandshakeForPinned => {
                rustls::client::Resumption::store(Arc::new(PinAwareSessionStore {
                    policy: self.policy,
                    inner: ClientSessionMemoryCache::new(256),
                }))
            }
        };
        Ok((config, verifier))
    }
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

    fn host_of(server_name: &ServerName<'_>) -> String {
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

/// A session store that keeps no resumable session for hosts with an enforced pin rule.
#[derive(Debug)]
struct PinAwareSessionStore {
    policy: Arc<Policy>,
    inner: ClientSessionMemoryCache,
}

impl PinAwareSessionStore {
    fn pinned(&self, server_name: &ServerName<'_>) -> bool {
        let host = PinningVerifier::host_of(server_name);
        let Ok(canonical) = host::canonical_host(&host) else {
            return true;
        };
        self.policy
            .rule_index_for(&canonical)
            .and_then(|i| self.policy.rule(i))
            .is_some_and(|r| r.enforce && !r.pins.is_empty())
    }
}

impl ClientSessionStore for PinAwareSessionStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.inner.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.inner.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        if !self.pinned(&server_name) {
            self.inner.set_tls12_session(server_name, value);
        }
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        if self.pinned(server_name) {
            None
        } else {
            self.inner.tls12_session(server_name)
        }
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.inner.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        if !self.pinned(&server_name) {
            self.inner.insert_tls13_ticket(server_name, value);
        }
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        if self.pinned(server_name) {
            None
        } else {
            self.inner.take_tls13_ticket(server_name)
        }
    }
}
