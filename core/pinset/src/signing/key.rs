//! The six RFC 9421 algorithms over ring, and key loading (PKCS#8, SEC1, PKCS#1, the RSA-PSS
//! OID form, SPKI public keys, raw HMAC secrets).

use std::fmt;
use std::str::FromStr;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use rustls_pki_types::pem::SectionKind;

use super::SigningError;
use crate::certificate::keyinfo;

/// RFC 9421 section 3.3 algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// EdDSA over Curve25519 (deterministic).
    Ed25519,
    /// ECDSA P-256 with SHA-256, raw `r||s`.
    EcdsaP256Sha256,
    /// ECDSA P-384 with SHA-384, raw `r||s`.
    EcdsaP384Sha384,
    /// RSASSA-PSS, SHA-512, MGF1-SHA-512, 64-byte salt.
    RsaPssSha512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaV15Sha256,
    /// HMAC with SHA-256 (shared secret).
    HmacSha256,
}

impl Algorithm {
    /// The registered name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Self::EcdsaP384Sha384 => "ecdsa-p384-sha384",
            Self::RsaPssSha512 => "rsa-pss-sha512",
            Self::RsaV15Sha256 => "rsa-v1_5-sha256",
            Self::HmacSha256 => "hmac-sha256",
        }
    }

    /// Every algorithm.
    pub const ALL: [Self; 6] = [
        Self::Ed25519,
        Self::EcdsaP256Sha256,
        Self::EcdsaP384Sha384,
        Self::RsaPssSha512,
        Self::RsaV15Sha256,
        Self::HmacSha256,
    ];
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = SigningError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| SigningError::Key(format!("unknown algorithm '{s}' (expected one of ed25519, ecdsa-p256-sha256, ecdsa-p384-sha384, rsa-pss-sha512, rsa-v1_5-sha256, hmac-sha256)")))
    }
}

enum Private {
    Ed25519(Ed25519KeyPair),
    Ecdsa(EcdsaKeyPair, Algorithm),
    /// The flag: the key carries the id-RSASSA-PSS OID, so it is for PSS only (RFC 4055 §1.2).
    Rsa(RsaKeyPair, bool),
    Hmac(ring::hmac::Key, Vec<u8>),
}

/// The shortest HMAC-SHA256 key accepted for signing and verifying: 32 bytes, the hash's output
/// length (RFC 2104 §3: keys shorter than that are strongly discouraged). An empty or short
/// secret (a missing file, a typo) would let anyone who can guess it forge signatures.
pub const MIN_HMAC_KEY_BYTES: usize = 32;

fn check_hmac_key(secret: &[u8]) -> Result<(), SigningError> {
    if secret.len() < MIN_HMAC_KEY_BYTES {
        return Err(key_err(format!(
            "HMAC key is {} bytes; at least {MIN_HMAC_KEY_BYTES} are required (RFC 2104 §3: no \
             shorter than the SHA-256 output), since a short or empty key lets others forge signatures",
            secret.len()
        )));
    }
    Ok(())
}

/// A private (or shared HMAC) key able to sign.
pub struct SigningKey {
    inner: Private,
    /// The algorithm used when the caller does not choose (RSA keys default to PSS).
    pub default_alg: Algorithm,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.default_alg)
    }
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

fn key_err(e: impl fmt::Display) -> SigningError {
    SigningError::Key(e.to_string())
}

fn der_err(what: &str, e: &crate::certificate::CertDerError) -> SigningError {
    key_err(format!("{what}: {} at byte {}", e.reason, e.offset))
}

fn pem_sections(pem: &[u8]) -> Result<Vec<(SectionKind, Vec<u8>)>, SigningError> {
    let mut out = Vec::new();
    let mut rd: &[u8] = pem;
    while let Some(item) =
        rustls_pki_types::pem::from_buf(&mut rd).map_err(|e| key_err(format!("PEM: {e}")))?
    {
        out.push(item);
    }
    Ok(out)
}

impl SigningKey {
    /// Loads a private key from PEM: PKCS#8 (`PRIVATE KEY`, including the id-RSASSA-PSS OID
    /// form), SEC1 (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
    pub fn from_pem(pem: &[u8]) -> Result<Self, SigningError> {
        let sections = pem_sections(pem)?;
        let (kind, der) = sections
            .into_iter()
            .find(|(k, _)| {
                matches!(
                    k,
                    SectionKind::PrivateKey
                        | SectionKind::EcPrivateKey
                        | SectionKind::RsaPrivateKey
                )
            })
            .ok_or_else(|| {
                key_err("no PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block found")
            })?;
        match kind {
            SectionKind::RsaPrivateKey => Self::rsa_pkcs1(&der, false),
            SectionKind::EcPrivateKey => Self::sec1(&der),
            _ => Self::pkcs8(&der),
        }
    }

    /// A shared HMAC-SHA256 secret (raw bytes, at least [`MIN_HMAC_KEY_BYTES`]).
    pub fn hmac(secret: &[u8]) -> Result<Self, SigningError> {
        check_hmac_key(secret)?;
        Ok(Self {
            inner: Private::Hmac(
                ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
                secret.to_vec(),
            ),
            default_alg: Algorithm::HmacSha256,
        })
    }

    fn rsa_pkcs1(der: &[u8], pss_only: bool) -> Result<Self, SigningError> {
        let kp = RsaKeyPair::from_der(der).map_err(|e| {
            key_err(format!(
                "RSA key rejected ({e}): ring requires 2048-8192-bit keys with balanced primes (p and q of n/2 bits each)"
            ))
        })?;
        Ok(Self {
            inner: Private::Rsa(kp, pss_only),
            default_alg: Algorithm::RsaPssSha512,
        })
    }

    fn pkcs8(der: &[u8]) -> Result<Self, SigningError> {
        let info = keyinfo::private_key_info(der).map_err(|e| der_err("PKCS#8", &e))?;
        let oid = info.algorithm.oid;
        let rng = SystemRandom::new();
        if oid == OID_ED25519 {
            let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map_err(|e| key_err(format!("Ed25519 key: {e}")))?;
            return Ok(Self {
                inner: Private::Ed25519(kp),
                default_alg: Algorithm::Ed25519,
            });
        }
        if oid == OID_EC {
            let curve = info
                .algorithm
                .parameter_oid
                .ok_or_else(|| key_err("EC key without a named curve"))?;
            let (ring_alg, alg) = match curve {
                OID_P256 => (
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    Algorithm::EcdsaP256Sha256,
                ),
                OID_P384 => (
                    &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                    Algorithm::EcdsaP384Sha384,
                ),
                _ => {
                    return Err(key_err(format!(
                        "unsupported EC curve {}",
                        keyinfo::oid_text(curve)
                    )));
                }
            };
            let kp = EcdsaKeyPair::from_pkcs8(ring_alg, der, &rng)
                .map_err(|e| key_err(format!("EC key: {e}")))?;
            return Ok(Self {
                inner: Private::Ecdsa(kp, alg),
                default_alg: alg,
            });
        }
        if oid == OID_RSA || oid == OID_RSA_PSS {
            // The inner octets are a PKCS#1 RSAPrivateKey for both OIDs; ring's PKCS#8 reader only
            // knows rsaEncryption, so go through PKCS#1 for the RSA-PSS form (the RFC's own key).
            return Self::rsa_pkcs1(info.private_key, oid == OID_RSA_PSS);
        }
        Err(key_err(format!(
            "unsupported key algorithm OID {}",
            keyinfo::oid_text(oid)
        )))
    }

    fn sec1(der: &[u8]) -> Result<Self, SigningError> {
        let key = keyinfo::ec_private_key(der).map_err(|e| der_err("SEC1", &e))?;
        let curve = key
            .curve
            .ok_or_else(|| key_err("SEC1 key without a named curve"))?;
        let public = key
            .public_key
            .ok_or_else(|| key_err("SEC1 key without its public key"))?;
        let (ring_alg, alg) = match curve {
            OID_P256 => (
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                Algorithm::EcdsaP256Sha256,
            ),
            OID_P384 => (
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                Algorithm::EcdsaP384Sha384,
            ),
            _ => {
                return Err(key_err(format!(
                    "unsupported EC curve {}",
                    keyinfo::oid_text(curve)
                )));
            }
        };
        let kp = EcdsaKeyPair::from_private_key_and_public_key(
            ring_alg,
            key.private_key,
            public,
            &SystemRandom::new(),
        )
        .map_err(|e| key_err(format!("EC key: {e}")))?;
        Ok(Self {
            inner: Private::Ecdsa(kp, alg),
            default_alg: alg,
        })
    }

    /// Whether this key can produce signatures of `alg` (key type vs algorithm).
    pub fn supports(&self, alg: Algorithm) -> bool {
        match &self.inner {
            Private::Ed25519(_) => alg == Algorithm::Ed25519,
            Private::Ecdsa(_, a) => alg == *a,
            Private::Rsa(_, true) => alg == Algorithm::RsaPssSha512,
            Private::Rsa(_, false) => {
                matches!(alg, Algorithm::RsaPssSha512 | Algorithm::RsaV15Sha256)
            }
            Private::Hmac(..) => alg == Algorithm::HmacSha256,
        }
    }

    /// Signs `data` with `alg`.
    pub fn sign(&self, alg: Algorithm, data: &[u8]) -> Result<Vec<u8>, SigningError> {
        if !self.supports(alg) {
            return Err(SigningError::AlgorithmMismatch(format!(
                "{alg} cannot be used with a {} key",
                self.default_alg
            )));
        }
        let rng = SystemRandom::new();
        match &self.inner {
            Private::Ed25519(kp) => Ok(kp.sign(data).as_ref().to_vec()),
            Private::Ecdsa(kp, _) => kp
                .sign(&rng, data)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| key_err("ECDSA signing failed")),
            Private::Rsa(kp, _) => {
                let padding: &'static dyn signature::RsaEncoding = if alg == Algorithm::RsaPssSha512
                {
                    &signature::RSA_PSS_SHA512
                } else {
                    &signature::RSA_PKCS1_SHA256
                };
                let mut sig = vec![0u8; kp.public().modulus_len()];
                kp.sign(padding, &rng, data, &mut sig)
                    .map_err(|_| key_err("RSA signing failed"))?;
                Ok(sig)
            }
            Private::Hmac(k, _) => Ok(ring::hmac::sign(k, data).as_ref().to_vec()),
        }
    }

    /// The matching verification key.
    pub fn verifying_key(&self) -> VerifyingKey {
        match &self.inner {
            Private::Ed25519(kp) => {
                VerifyingKey::public(Algorithm::Ed25519, kp.public_key().as_ref().to_vec())
            }
            Private::Ecdsa(kp, a) => VerifyingKey::public(*a, kp.public_key().as_ref().to_vec()),
            Private::Rsa(kp, pss_only) => VerifyingKey {
                kind: KeyKind::Public {
                    family: Algorithm::RsaPssSha512,
                    bytes: kp.public_key().as_ref().to_vec(),
                    pss_only: *pss_only,
                },
            },
            Private::Hmac(_, secret) => VerifyingKey {
                kind: KeyKind::Hmac(secret.clone()),
            },
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
enum KeyKind {
    /// Public key bytes in ring's format (Ed25519 raw, EC uncompressed point, RSA PKCS#1).
    Public {
        family: Algorithm,
        bytes: Vec<u8>,
        /// An id-RSASSA-PSS key: PSS only, never PKCS#1 v1.5 (RFC 4055 §1.2).
        pss_only: bool,
    },
    Hmac(Vec<u8>),
}

/// A key able to verify: a public key or a shared HMAC secret.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    kind: KeyKind,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            KeyKind::Public { family, .. } => write!(f, "VerifyingKey({family})"),
            KeyKind::Hmac(_) => f.write_str("VerifyingKey(hmac)"),
        }
    }
}

impl VerifyingKey {
    fn public(family: Algorithm, bytes: Vec<u8>) -> Self {
        Self {
            kind: KeyKind::Public {
                family,
                bytes,
                pss_only: false,
            },
        }
    }

    /// A shared HMAC secret (at least [`MIN_HMAC_KEY_BYTES`]: the same minimum as signing, so
    /// an empty or short secret cannot verify a signature anyone could have made).
    pub fn hmac(secret: &[u8]) -> Result<Self, SigningError> {
        check_hmac_key(secret)?;
        Ok(Self {
            kind: KeyKind::Hmac(secret.to_vec()),
        })
    }

    /// Loads a public key from PEM (`PUBLIC KEY` SPKI, `RSA PUBLIC KEY` PKCS#1), or derives it
    /// from a private key PEM.
    pub fn from_pem(pem: &[u8]) -> Result<Self, SigningError> {
        let sections = pem_sections(pem)?;
        for (kind, der) in &sections {
            if *kind == SectionKind::PublicKey {
                return Self::from_spki(der);
            }
        }
        // PKCS#1 `RSA PUBLIC KEY` is not a section kind pki-types knows; its body is the
        // RSAPublicKey that ring takes directly (ring validates it on use).
        if let Some(der) = pem_block(pem, "RSA PUBLIC KEY")? {
            return Ok(Self::public(Algorithm::RsaPssSha512, der));
        }
        SigningKey::from_pem(pem).map(|k| k.verifying_key())
    }

    /// Loads a DER SubjectPublicKeyInfo.
    pub fn from_spki(der: &[u8]) -> Result<Self, SigningError> {
        let spki = keyinfo::public_key_info(der).map_err(|e| der_err("SPKI", &e))?;
        let bytes = spki.key.to_vec();
        let oid = spki.algorithm.oid;
        let pss_only = oid == OID_RSA_PSS;
        let family = if oid == OID_ED25519 {
            Algorithm::Ed25519
        } else if oid == OID_RSA || oid == OID_RSA_PSS {
            Algorithm::RsaPssSha512
        } else if oid == OID_EC {
            let curve = spki
                .algorithm
                .parameter_oid
                .ok_or_else(|| key_err("EC public key without a named curve"))?;
            match curve {
                OID_P256 => Algorithm::EcdsaP256Sha256,
                OID_P384 => Algorithm::EcdsaP384Sha384,
                _ => {
                    return Err(key_err(format!(
                        "unsupported EC curve {}",
                        keyinfo::oid_text(curve)
                    )));
                }
            }
        } else {
            return Err(key_err(format!(
                "unsupported public key algorithm {}",
                keyinfo::oid_text(oid)
            )));
        };
        Ok(Self {
            kind: KeyKind::Public {
                family,
                bytes,
                pss_only,
            },
        })
    }

    /// Whether this key can verify `alg` (key type vs algorithm: prevents algorithm confusion).
    pub fn supports(&self, alg: Algorithm) -> bool {
        match &self.kind {
            KeyKind::Hmac(_) => alg == Algorithm::HmacSha256,
            KeyKind::Public {
                family: Algorithm::RsaPssSha512,
                pss_only: true,
                ..
            } => alg == Algorithm::RsaPssSha512,
            KeyKind::Public {
                family: Algorithm::RsaPssSha512,
                ..
            } => matches!(alg, Algorithm::RsaPssSha512 | Algorithm::RsaV15Sha256),
            KeyKind::Public { family, .. } => *family == alg,
        }
    }

    /// The algorithm used when a signature does not name one (RSA defaults to PSS).
    pub fn default_alg(&self) -> Algorithm {
        match &self.kind {
            KeyKind::Hmac(_) => Algorithm::HmacSha256,
            KeyKind::Public { family, .. } => *family,
        }
    }

    /// Verifies `sig` over `data` with `alg`.
    pub fn verify(&self, alg: Algorithm, data: &[u8], sig: &[u8]) -> Result<(), SigningError> {
        if !self.supports(alg) {
            return Err(SigningError::AlgorithmMismatch(format!(
                "{alg} does not match a {} key",
                self.default_alg()
            )));
        }
        let bad = |_| SigningError::BadSignature;
        match &self.kind {
            KeyKind::Hmac(secret) => ring::hmac::verify(
                &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
                data,
                sig,
            )
            .map_err(bad),
            KeyKind::Public { bytes, .. } => {
                let ring_alg: &'static dyn signature::VerificationAlgorithm = match alg {
                    Algorithm::Ed25519 => &signature::ED25519,
                    Algorithm::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_FIXED,
                    Algorithm::EcdsaP384Sha384 => &signature::ECDSA_P384_SHA384_FIXED,
                    Algorithm::RsaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
                    Algorithm::RsaV15Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::HmacSha256 => {
                        return Err(SigningError::AlgorithmMismatch(
                            "hmac-sha256 with a public key".into(),
                        ));
                    }
                };
                signature::UnparsedPublicKey::new(ring_alg, bytes)
                    .verify(data, sig)
                    .map_err(bad)
            }
        }
    }
}

/// The base64 body of the first `-----BEGIN {label}-----` block, if any.
fn pem_block(pem: &[u8], label: &str) -> Result<Option<Vec<u8>>, SigningError> {
    use base64::Engine as _;
    let text = String::from_utf8_lossy(pem);
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let Some(start) = text.find(&begin) else {
        return Ok(None);
    };
    let body = &text[start + begin.len()..];
    let stop = body
        .find(&end)
        .ok_or_else(|| key_err(format!("PEM: missing '{end}'")))?;
    let b64: String = body[..stop].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map(Some)
        .map_err(|e| key_err(format!("PEM {label}: {e}")))
}

/// Loads an HMAC secret written as base64 text (`--secret FILE`); surrounding whitespace (a
/// trailing newline) is ignored. Empty text is an error, not an empty key.
pub fn secret_from_base64(text: &str) -> Result<Vec<u8>, SigningError> {
    use base64::Engine as _;
    let text = text.trim_matches([' ', '\t', '\r', '\n']);
    if text.is_empty() {
        return Err(key_err("the HMAC secret is empty"));
    }
    let secret = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| key_err(format!("secret is not base64: {e}")))?;
    check_hmac_key(&secret)?;
    Ok(secret)
}
