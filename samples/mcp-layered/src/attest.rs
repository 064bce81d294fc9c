//! Binary attestation, the layer before the network: the client verifies the server binary's
//! Sigstore bundle with `pinset::attest` (offline; the trusted root ships with the client) before
//! it opens a connection to that server, so a substituted build is refused before anything is
//! sent. `samples/mcp-attest` does the same for a stdio server it launches itself.

use pinset::attest::{Artifact, AttestError, Policy, TrustedRoot, Verified, verify_bundle};
use rustls_pki_types::UnixTime;

/// The server build the client is about to trust: the binary's bytes (as launched), its bundle,
/// the trusted root and who must have signed it.
pub struct ServerRelease {
    /// The server binary's bytes.
    pub binary: Vec<u8>,
    /// Its Sigstore bundle (JSON).
    pub bundle: Vec<u8>,
    /// The Sigstore trusted root (logs and certificate authorities).
    pub trusted_root: TrustedRoot,
    /// The expected build identity and OIDC issuer (or key).
    pub policy: Policy,
}

impl std::fmt::Debug for ServerRelease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerRelease")
            .field("binary_len", &self.binary.len())
            .finish_non_exhaustive()
    }
}

impl ServerRelease {
    /// Verifies the bundle for these bytes at the current time.
    pub fn verify(&self) -> Result<Verified, AttestError> {
        verify_bundle(
            &self.bundle,
            Artifact::Bytes(&self.binary),
            &self.trusted_root,
            &self.policy,
            UnixTime::now(),
        )
    }
}
