//! Building the verifier and the pinned `ClientConfig`: trust modes, roots, anchors, mTLS,
//! resumption.

use std::sync::{Arc, Mutex};

use rustls::ClientConfig;
use rustls::client::ClientSessionMemoryCache;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::session::PinAwareSessionStore;
use super::verify::{PinningVerifier, Validator};
use crate::certificate;
use crate::chain::{ChainError, TrustStore};
use crate::policy::Policy;
use crate::report::{PinReporter, Throttle};
use crate::roots::Roots;
use crate::trust::{AnchorError, AnchorFiles, ManifestAnchors};

/// What the defaults (`system`, and hosts whose rule has no `trust_anchors`) mean. A rule's own
/// CA files are added for that rule's hosts only, in every mode.
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
    /// A manifest trust-anchor file could not be read or parsed (with its manifest location).
    #[error("{0}")]
    Anchors(#[from] AnchorError),
    /// No system roots could be loaded in a system-roots mode.
    #[error("no usable system roots found")]
    NoSystemRoots,
    /// The client certificate or key for mTLS is unusable.
    #[error("client certificate: {0}")]
    ClientAuth(String),
    /// A spiffe rule has no anchors of its own (its trust domain's bundle): refused rather than
    /// validated against the defaults.
    #[error("domain '{0}': a spiffe rule needs its trust domain's bundle as its anchors")]
    SpiffeWithoutBundle(String),
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
    anchors: Option<ManifestAnchors>,
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
            anchors: None,
        }
    }

    /// Keep the last [`Outcome`](super::Outcome) in the verifier (see [`PinningVerifier::last_outcome`]).
    pub fn record_outcomes(mut self, record: bool) -> Self {
        self.record = record;
        self
    }

    /// Chooses how public hosts are validated.
    pub fn trust_mode(mut self, mode: TrustMode) -> Self {
        self.mode = mode;
        self
    }

    /// Roots trusted in addition to the platform's (or instead of them in `WebPkiExtraOnly`), for
    /// every host that uses the defaults or lists `system`.
    pub fn extra_roots(mut self, roots: impl IntoIterator<Item = CertificateDer<'static>>) -> Self {
        self.extra_roots.extend(roots);
        self
    }

    /// Each rule's anchors, resolved by the caller (bytes supplied by the application, or a
    /// rule's anchors from a trust bundle). Without this, anchor files are read beside the
    /// manifest ([`AnchorFiles`]) when the verifier is built.
    pub fn anchors(mut self, anchors: ManifestAnchors) -> Self {
        self.anchors = Some(anchors);
        self
    }

    /// Where violation and expiry reports go, rate-limited by a [`Throttle`] (one report per
    /// host, port, rule, outcome and path pins per 24 h, bounded memory: the FFI's policy too).
    /// [`crate::report::UriReporter`] uploads them to the manifest's `report_uris`.
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
        let anchors = match &self.anchors {
            Some(a) => a.clone(),
            None => ManifestAnchors::load(self.policy.manifest(), &AnchorFiles)?,
        };
        if anchors.len() != self.policy.manifest().domains.len() {
            return Err(VerifierError::Roots(ChainError::TrustMismatch {
                store: anchors.len(),
                manifest: self.policy.manifest().domains.len(),
            }));
        }
        let platform = |extra: Vec<CertificateDer<'static>>| -> Result<Validator, VerifierError> {
            Ok(Validator::Platform {
                verifier: Arc::new(
                    rustls_platform_verifier::Verifier::new_with_extra_roots(
                        extra.clone(),
                        provider.clone(),
                    )
                    .map_err(VerifierError::Platform)?,
                ),
                candidates: extra,
            })
        };
        // The defaults: what `system` means in this mode.
        let (default, system_roots) = match self.mode {
            TrustMode::Platform => (platform(self.extra_roots.clone())?, Roots::default()),
            TrustMode::WebPkiSystem => {
                let mut roots = Roots::new(self.extra_roots.clone()).map_err(ChainError::from)?;
                let native = rustls_native_certs::load_native_certs();
                roots.extend_lenient(native.certs);
                if roots.is_empty() {
                    return Err(VerifierError::NoSystemRoots);
                }
                (Validator::WebPki, roots)
            }
            TrustMode::WebPkiExtraOnly => (
                Validator::WebPki,
                Roots::new(self.extra_roots.clone()).map_err(ChainError::from)?,
            ),
        };
        let store = TrustStore::new(system_roots, &anchors)?;
        let mut rules = Vec::with_capacity(anchors.len());
        for (i, rule) in self.policy.manifest().domains.iter().enumerate() {
            if rule.spiffe.is_some() {
                // A spiffe rule is always verified by webpki against its bundle (in every mode).
                match anchors.rule(i) {
                    Some(a) if !a.system => {}
                    _ => return Err(VerifierError::SpiffeWithoutBundle(rule.name.clone())),
                }
                rules.push(Some(Validator::WebPki));
                continue;
            }
            rules.push(match anchors.rule(i) {
                None => None,
                // `system` plus own CAs in platform mode: the OS store and this rule's CAs, for
                // this rule's hosts only.
                Some(rule) if rule.system && self.mode == TrustMode::Platform => {
                    let mut extra = self.extra_roots.clone();
                    extra.extend(rule.certificates().cloned());
                    Some(platform(extra)?)
                }
                // Own CAs only, or any rule in a webpki mode: webpki against the store's roots
                // for this rule.
                Some(_) => Some(Validator::WebPki),
            });
        }
        Ok(Arc::new(PinningVerifier {
            policy: self.policy.clone(),
            default,
            rules,
            store,
            reporter: self.reporter.clone(),
            throttle: Throttle::default(),
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
