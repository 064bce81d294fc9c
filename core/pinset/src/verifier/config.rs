//! Building the verifier and the pinned `ClientConfig`: trust modes, roots, anchors, mTLS,
//! resumption.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rustls::ClientConfig;
use rustls::client::ClientSessionMemoryCache;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::reporter::PinReporter;
use super::session::PinAwareSessionStore;
use super::verify::{PinningVerifier, Validator};
use crate::certificate;
use crate::chain::{ChainError, Roots};
use crate::manifest::TrustAnchor;
use crate::policy::Policy;

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
        let chain = certificate::parse_certificates(chain_pem)
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
                    let parsed = certificate::parse_certificates(&bytes).map_err(|e| {
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
