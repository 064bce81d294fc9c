//! A workload's X.509-SVID as both sides of the sample take it: the certificate chain and its
//! private key in PEM, the form SPIRE's helpers write to disk (`svid.pem`, `svid_key.pem`). The
//! server presents it as its TLS certificate; the client presents it for mTLS.

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// An X.509-SVID chain (leaf first) and its key, both PEM.
#[derive(Clone)]
pub struct Svid {
    /// The chain, leaf first (PEM `CERTIFICATE` blocks).
    pub chain_pem: Vec<u8>,
    /// The leaf's private key (PEM: PKCS#8, SEC1 or PKCS#1).
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for Svid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Svid").finish_non_exhaustive()
    }
}

/// Why an [`Svid`] is unusable.
#[derive(Debug, thiserror::Error)]
pub enum SvidError {
    /// The chain is not PEM certificates, or it is empty.
    #[error("SVID chain: {0}")]
    Chain(String),
    /// The key is not a PEM private key.
    #[error("SVID key: {0}")]
    Key(String),
}

impl Svid {
    /// The chain and key as rustls takes them (for the server's certificate). The client hands
    /// the PEM to pinset's `PinningConfig::client_auth_pem`, which parses it the same way.
    pub fn to_der(
        &self,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), SvidError> {
        let chain = pinset::certificate::parse_certificates(&self.chain_pem)
            .map_err(|e| SvidError::Chain(e.to_string()))?;
        if chain.is_empty() {
            return Err(SvidError::Chain("no certificate".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem)
            .map_err(|e| SvidError::Key(e.to_string()))?;
        Ok((chain, key))
    }
}
