//! Public keys as SubjectPublicKeyInfo, verified with ring: log keys, caller keys and the keys
//! of signing certificates.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use rustls_pki_types::SubjectPublicKeyInfoDer;
use rustls_pki_types::pem::PemObject as _;

use crate::certificate::tlv;

const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The signature schemes Sigstore uses, as ring verifies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    EcdsaP256Sha256,
    EcdsaP384Sha384,
    Ed25519,
    RsaPkcs1Sha256,
}

/// A parsed public key: the whole SPKI (DER) and ring's view of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    pub(crate) spki: Vec<u8>,
    scheme: Scheme,
    raw: Vec<u8>,
}

impl PublicKey {
    /// Reads a DER SubjectPublicKeyInfo.
    pub(crate) fn from_spki_der(spki: &[u8]) -> Result<Self, String> {
        let e = |e: crate::certificate::CertDerError| format!("SubjectPublicKeyInfo: {e}");
        let (body, rest) = tlv(spki, 0, 0x30, "SubjectPublicKeyInfo SEQUENCE").map_err(e)?;
        if !rest.is_empty() {
            return Err("SubjectPublicKeyInfo: trailing data".into());
        }
        let (alg, rest) = tlv(body, 0, 0x30, "AlgorithmIdentifier").map_err(e)?;
        let (bits, rest) = tlv(rest, 0, 0x03, "subjectPublicKey BIT STRING").map_err(e)?;
        if !rest.is_empty() {
            return Err("SubjectPublicKeyInfo: data after the key".into());
        }
        let raw = match bits.split_first() {
            Some((0, raw)) => raw.to_vec(),
            _ => return Err("subjectPublicKey has unused bits".into()),
        };
        let (oid, params) = tlv(alg, 0, 0x06, "algorithm OID").map_err(e)?;
        let scheme = if oid == OID_EC_PUBLIC_KEY {
            let (curve, rest) = tlv(params, 0, 0x06, "named curve OID").map_err(e)?;
            if !rest.is_empty() {
                return Err("ECParameters: trailing data".into());
            }
            match curve {
                OID_P256 => Scheme::EcdsaP256Sha256,
                OID_P384 => Scheme::EcdsaP384Sha384,
                _ => return Err("unsupported elliptic curve (P-256 and P-384 are)".into()),
            }
        } else if oid == OID_ED25519 {
            Scheme::Ed25519
        } else if oid == OID_RSA {
            Scheme::RsaPkcs1Sha256
        } else {
            return Err("unsupported key algorithm (ECDSA P-256/P-384, Ed25519, RSA are)".into());
        };
        Ok(Self {
            spki: spki.to_vec(),
            scheme,
            raw,
        })
    }

    /// Reads a `PUBLIC KEY` PEM block or a DER SubjectPublicKeyInfo.
    pub(crate) fn from_pem_or_der(bytes: &[u8]) -> Result<Self, String> {
        if bytes.first() == Some(&0x30) {
            return Self::from_spki_der(bytes);
        }
        let der = SubjectPublicKeyInfoDer::from_pem_slice(bytes)
            .map_err(|e| format!("expected a PEM 'PUBLIC KEY' block or DER SPKI: {e}"))?;
        Self::from_spki_der(der.as_ref())
    }

    /// The key of a DER certificate.
    pub(crate) fn of_certificate(der: &[u8]) -> Result<Self, String> {
        let parts = crate::certificate::parse(der).map_err(|e| e.to_string())?;
        Self::from_spki_der(parts.spki)
    }

    /// Checks a trusted root `keyDetails` value against the key.
    pub(crate) fn check_details(&self, details: &str) -> Result<(), String> {
        let expected = match details {
            "PKIX_ECDSA_P256_SHA_256" => Scheme::EcdsaP256Sha256,
            "PKIX_ECDSA_P384_SHA_384" => Scheme::EcdsaP384Sha384,
            "PKIX_ED25519" => Scheme::Ed25519,
            "PKIX_RSA_PKCS1V15_2048_SHA256"
            | "PKIX_RSA_PKCS1V15_3072_SHA256"
            | "PKIX_RSA_PKCS1V15_4096_SHA256" => Scheme::RsaPkcs1Sha256,
            other => return Err(format!("unsupported key details {other:?}")),
        };
        if expected == self.scheme {
            Ok(())
        } else {
            Err(format!(
                "{details} does not describe the key ({:?})",
                self.scheme
            ))
        }
    }

    /// Verifies `sig` over `msg` (ECDSA signatures are ASN.1 DER, hashed with the curve's hash).
    pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let alg: &dyn VerificationAlgorithm = match self.scheme {
            Scheme::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
            Scheme::EcdsaP384Sha384 => &signature::ECDSA_P384_SHA384_ASN1,
            Scheme::Ed25519 => &signature::ED25519,
            Scheme::RsaPkcs1Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        };
        UnparsedPublicKey::new(alg, &self.raw)
            .verify(msg, sig)
            .is_ok()
    }
}
