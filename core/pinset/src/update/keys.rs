//! TUF public keys (`ed25519`, `ecdsa-sha2-nistp256`, `rsassa-pss-sha256`) verified with ring.

use ring::signature::{self, UnparsedPublicKey};

use super::cjson::Json;
use crate::certificate::keyinfo;

/// A public key from root metadata, in the form its `keytype`/`scheme` pair names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// `ed25519` / `ed25519`: 32 raw bytes (hex in `keyval.public`).
    Ed25519(Vec<u8>),
    /// `ecdsa` (or `ecdsa-sha2-nistp256`) / `ecdsa-sha2-nistp256`: uncompressed P-256 point
    /// (from a PEM SPKI in `keyval.public`); signatures are DER, over SHA-256.
    EcdsaP256(Vec<u8>),
    /// `rsa` / `rsassa-pss-sha256`: PKCS#1 `RSAPublicKey` DER (from a PEM SPKI); PSS with
    /// MGF1-SHA-256 and a 32-byte salt.
    RsaPss(Vec<u8>),
    /// A key this client cannot use (another keytype or scheme, a mismatched pair, a
    /// malformed key). It parses, as in python-tuf, but no signature by it ever counts.
    Unusable(String),
}

const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

impl PublicKey {
    /// Reads a key object (`keytype`, `scheme`, `keyval.public`). Errors are only for a shape
    /// that is not a key object at all; an unsupported or malformed key is [`Self::Unusable`].
    pub fn from_json(v: &Json) -> Result<Self, String> {
        let o = v.as_obj().ok_or("a key must be an object")?;
        let field = |k: &str| {
            o.get(k)
                .and_then(Json::as_str)
                .ok_or_else(|| format!("key field {k:?} must be a string"))
        };
        let keytype = field("keytype")?;
        let scheme = field("scheme")?;
        let public = o
            .get("keyval")
            .and_then(Json::as_obj)
            .and_then(|kv| kv.get("public"))
            .and_then(Json::as_str)
            .ok_or("key field \"keyval\" must hold a string \"public\"")?;
        Ok(match (keytype, scheme) {
            ("ed25519", "ed25519") => match hex_decode(public) {
                Some(raw) if raw.len() == 32 => Self::Ed25519(raw),
                _ => Self::Unusable("ed25519 public key is not 32 hex-encoded bytes".into()),
            },
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                match spki_from_pem(public, OID_EC, Some(OID_P256)) {
                    Ok(point) => Self::EcdsaP256(point),
                    Err(e) => Self::Unusable(e),
                }
            }
            ("rsa", "rsassa-pss-sha256") => match spki_from_pem(public, OID_RSA, None) {
                Ok(der) => Self::RsaPss(der),
                Err(e) => Self::Unusable(e),
            },
            (t, s) => Self::Unusable(format!("unsupported key type {t:?} with scheme {s:?}")),
        })
    }

    /// Whether `sig` is this key's valid signature over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let (alg, key): (&dyn signature::VerificationAlgorithm, &[u8]) = match self {
            Self::Ed25519(k) => (&signature::ED25519, k),
            Self::EcdsaP256(k) => (&signature::ECDSA_P256_SHA256_ASN1, k),
            Self::RsaPss(k) => (&signature::RSA_PSS_2048_8192_SHA256, k),
            Self::Unusable(_) => return false,
        };
        UnparsedPublicKey::new(alg, key).verify(msg, sig).is_ok()
    }

    /// The key material, for counting each distinct key once toward a threshold.
    pub(crate) fn material(&self) -> Option<&[u8]> {
        match self {
            Self::Ed25519(k) | Self::EcdsaP256(k) | Self::RsaPss(k) => Some(k),
            Self::Unusable(_) => None,
        }
    }
}

/// Lowercase or uppercase hex to bytes; `None` on an odd length or a non-hex character.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// Lowercase hex.
pub fn hex_encode(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(char::from(DIGITS[usize::from(x >> 4)]));
        s.push(char::from(DIGITS[usize::from(x & 0x0f)]));
    }
    s
}

/// The subjectPublicKey bits of a PEM `PUBLIC KEY` whose algorithm is `alg` (and, for EC,
/// whose named curve is `curve`).
fn spki_from_pem(pem: &str, alg: &[u8], curve: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut rd = pem.as_bytes();
    let der = loop {
        match rustls_pki_types::pem::from_buf(&mut rd) {
            Ok(Some((rustls_pki_types::pem::SectionKind::PublicKey, der))) => break der,
            Ok(Some(_)) => continue,
            Ok(None) => return Err("no PUBLIC KEY block in keyval.public".into()),
            Err(e) => return Err(format!("keyval.public PEM: {e}")),
        }
    };
    let info = keyinfo::public_key_info(&der)
        .map_err(|e| format!("SPKI: {} at byte {}", e.reason, e.offset))?;
    if info.algorithm.oid != alg {
        return Err(format!(
            "public key algorithm {} does not match the key type",
            keyinfo::oid_text(info.algorithm.oid)
        ));
    }
    if let Some(curve) = curve {
        let named = info
            .algorithm
            .parameter_oid
            .ok_or("EC public key without a named curve")?;
        if named != curve {
            return Err(format!(
                "EC curve {} is not P-256",
                keyinfo::oid_text(named)
            ));
        }
    }
    Ok(info.key.to_vec())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::update::cjson::parse;

    fn key(keytype: &str, scheme: &str, public: &str) -> PublicKey {
        let doc = format!(
            "{{\"keytype\":\"{keytype}\",\"scheme\":\"{scheme}\",\"keyval\":{{\"public\":{}}}}}",
            Json::Str(public.into()).pretty().trim()
        );
        PublicKey::from_json(&parse(doc.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn keytype_and_scheme_must_agree() {
        let hex32 = "11".repeat(32);
        assert!(matches!(
            key("ed25519", "ed25519", &hex32),
            PublicKey::Ed25519(_)
        ));
        for (t, s) in [
            ("ed25519", "ecdsa-sha2-nistp256"),
            ("ecdsa", "ed25519"),
            ("rsa", "ed25519"),
            ("ed25519", "rsassa-pss-sha256"),
            ("ed448", "ed448"),
        ] {
            assert!(
                matches!(key(t, s, &hex32), PublicKey::Unusable(_)),
                "{t}/{s}"
            );
        }
        assert!(matches!(
            key("ed25519", "ed25519", "abc"),
            PublicKey::Unusable(_)
        ));
        assert!(!key("ed25519", "ecdsa-sha2-nistp256", &hex32).verify(b"m", &[0; 64]));
    }

    #[test]
    fn hex() {
        assert_eq!(hex_decode("0aFf").unwrap(), vec![0x0a, 0xff]);
        assert!(hex_decode("0g").is_none());
        assert!(hex_decode("abc").is_none());
        assert_eq!(hex_encode(&[0, 255]), "00ff");
    }
}
