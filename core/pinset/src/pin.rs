//! SPKI pins: `sha256/<base64>` values, hashing a certificate's SubjectPublicKeyInfo.
//!
//! A pin is the SHA-256 of the DER `SubjectPublicKeyInfo` (outer `SEQUENCE` included), exactly
//! what `openssl x509 -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256` hashes.
//! Locating the SPKI uses the DER reader in [`crate::certificate`] over the raw certificate, not
//! a full X.509 decode: this is the evaluation hot path.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::certificate::{CertDerError, spki_of_certificate};

pub mod cache;
pub use cache::PinCache;

/// The textual prefix of a SHA-256 SPKI pin, as OkHttp writes it.
pub const PIN_PREFIX: &str = "sha256/";

/// SHA-256 of empty input: what a broken pin script (`openssl … | dgst` on nothing) emits.
pub const EMPTY_SHA256_B64: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

/// A SHA-256 SubjectPublicKeyInfo pin.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pin([u8; 32]);

/// Why a pin string or a certificate could not be turned into a pin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// The string does not start with `sha256/` (`sha1/` pins are not accepted: SHA-1 is broken).
    #[error("pin must start with 'sha256/' (got '{0}')")]
    MissingPrefix(String),
    /// The part after `sha256/` is not valid standard base64.
    #[error("pin is not valid base64: '{0}'")]
    BadBase64(String),
    /// The base64 decodes, but not to a 32-byte SHA-256 digest.
    #[error("pin digest is {len} bytes; a SHA-256 pin is exactly 32 bytes: '{pin}'")]
    BadLength {
        /// The decoded length.
        len: usize,
        /// The pin as written.
        pin: String,
    },
    /// The base64 decodes but is not written canonically (e.g. non-zero padding bits).
    #[error("pin base64 is not canonical; write it as '{canonical}' (got '{pin}')")]
    NonCanonical {
        /// The canonical spelling.
        canonical: String,
        /// The pin as written.
        pin: String,
    },
    /// The pin is the SHA-256 of empty input: the script that produced it hashed nothing.
    #[error(
        "pin is the SHA-256 of empty input ({EMPTY_SHA256_B64}): the command that computed it read no key"
    )]
    EmptyInputDigest,
}

impl Pin {
    /// Wraps a raw 32-byte SHA-256 digest.
    pub const fn from_digest(digest: [u8; 32]) -> Self {
        Self(digest)
    }

    /// The raw digest.
    pub const fn digest(&self) -> &[u8; 32] {
        &self.0
    }

    /// Hashes a DER `SubjectPublicKeyInfo` (outer `SEQUENCE` included).
    pub fn of_spki(spki_der: &[u8]) -> Self {
        let d = ring::digest::digest(&ring::digest::SHA256, spki_der);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Self(out)
    }

    /// Pins a DER certificate: locates its SPKI with a DER reader and hashes it.
    pub fn of_certificate(cert_der: &[u8]) -> Result<Self, CertDerError> {
        Ok(Self::of_spki(spki_of_certificate(cert_der)?))
    }

    /// The base64 part, without the `sha256/` prefix.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Parses a `sha256/<base64>` pin strictly: standard alphabet, padded, canonical, 32 bytes,
    /// and not a known-bogus digest.
    pub fn parse(s: &str) -> Result<Self, PinError> {
        let b64 = s
            .strip_prefix(PIN_PREFIX)
            .ok_or_else(|| PinError::MissingPrefix(s.to_owned()))?;
        Self::parse_base64(b64).map_err(|e| match e {
            // Report the pin as the user wrote it.
            PinError::BadBase64(_) => PinError::BadBase64(s.to_owned()),
            PinError::BadLength { len, .. } => PinError::BadLength {
                len,
                pin: s.to_owned(),
            },
            PinError::NonCanonical { canonical, .. } => PinError::NonCanonical {
                canonical: format!("{PIN_PREFIX}{canonical}"),
                pin: s.to_owned(),
            },
            other => other,
        })
    }

    /// Parses the bare base64 form (as in Android NSC `<pin>` or iOS ATS), with the same checks.
    pub fn parse_base64(b64: &str) -> Result<Self, PinError> {
        // The `base64` crate's STANDARD engine rejects non-canonical trailing bits itself; decode
        // leniently first so that case gets its own, more helpful error.
        let lenient = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_allow_trailing_bits(true)
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical),
        );
        let bytes = lenient
            .decode(b64)
            .map_err(|_| PinError::BadBase64(b64.to_owned()))?;
        let digest: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| PinError::BadLength {
                len: bytes.len(),
                pin: b64.to_owned(),
            })?;
        let pin = Self(digest);
        let canonical = pin.to_base64();
        if canonical != b64 {
            return Err(PinError::NonCanonical {
                canonical,
                pin: b64.to_owned(),
            });
        }
        if canonical == EMPTY_SHA256_B64 {
            return Err(PinError::EmptyInputDigest);
        }
        Ok(pin)
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PIN_PREFIX}{}", self.to_base64())
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin({self})")
    }
}

impl FromStr for Pin {
    type Err = PinError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_display() {
        let pin = Pin::of_spki(b"not really an spki");
        let s = pin.to_string();
        assert!(s.starts_with("sha256/"));
        assert_eq!(Pin::parse(&s), Ok(pin));
    }

    #[test]
    fn strict_parse_errors() {
        assert!(matches!(
            Pin::parse("sha1/AAAA"),
            Err(PinError::MissingPrefix(_))
        ));
        assert!(matches!(
            Pin::parse("sha256/!!!!"),
            Err(PinError::BadBase64(_))
        ));
        assert!(matches!(
            Pin::parse("sha256/AAAA"),
            Err(PinError::BadLength { len: 3, .. })
        ));
        assert_eq!(
            Pin::parse(&format!("sha256/{EMPTY_SHA256_B64}")),
            Err(PinError::EmptyInputDigest)
        );
        // Unpadded and URL-safe spellings are not canonical standard base64.
        let pin = Pin::of_spki(b"x").to_string();
        assert!(Pin::parse(pin.trim_end_matches('=')).is_err());
        // Non-zero trailing bits: last char before '=' changed from a valid one.
        let canonical = Pin::from_digest([0u8; 32]).to_base64(); // AAAA...A=
        let tweaked = format!("sha256/{}B=", &canonical[..canonical.len() - 2]);
        assert!(
            matches!(Pin::parse(&tweaked), Err(PinError::NonCanonical { .. })),
            "{tweaked}"
        );
    }
}
