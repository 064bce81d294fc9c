//! X.509-SVID leaf rules, read with the core's DER reader ([`crate::certificate`]).

use super::{SpiffeError, SpiffeId, SvidRule};
use crate::certificate::tlv;
use crate::certificate::{self, Extension};

const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
const OID_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
/// GeneralName `uniformResourceIdentifier [6] IA5String` (implicit, primitive).
const TAG_URI: u8 = 0x86;

/// keyUsage bit numbers (RFC 5280 §4.2.1.3).
const KU_DIGITAL_SIGNATURE: usize = 0;
const KU_KEY_CERT_SIGN: usize = 5;
const KU_CRL_SIGN: usize = 6;

struct LeafExtensions<'a> {
    san: Option<Extension<'a>>,
    key_usage: Option<Extension<'a>>,
    basic_constraints: Option<Extension<'a>>,
}

fn malformed(e: impl ToString) -> SpiffeError {
    SpiffeError::Svid(SvidRule::Malformed(e.to_string()))
}

fn leaf_extensions(leaf_der: &[u8]) -> Result<LeafExtensions<'_>, SpiffeError> {
    let parts = certificate::parse(leaf_der).map_err(malformed)?;
    let mut out = LeafExtensions {
        san: None,
        key_usage: None,
        basic_constraints: None,
    };
    for ext in certificate::extensions(parts.extensions).map_err(malformed)? {
        let (slot, name) = match ext.oid {
            OID_SUBJECT_ALT_NAME => (&mut out.san, "subjectAltName"),
            OID_KEY_USAGE => (&mut out.key_usage, "keyUsage"),
            OID_BASIC_CONSTRAINTS => (&mut out.basic_constraints, "basicConstraints"),
            _ => continue,
        };
        if slot.replace(ext).is_some() {
            return Err(SpiffeError::Svid(SvidRule::DuplicateExtension(name)));
        }
    }
    Ok(out)
}

/// The SPIFFE ID of a leaf certificate: exactly one URI SAN, which must be a valid SPIFFE ID
/// (`X509-SVID.md` §2, §5.2). Other SAN types are allowed beside it. The path is not required
/// here (see [`check_leaf_rules`]), so that the bundle can be chosen first.
pub fn leaf_spiffe_id(leaf_der: &[u8]) -> Result<SpiffeId, SpiffeError> {
    let exts = leaf_extensions(leaf_der)?;
    let san = exts.san.ok_or(SpiffeError::Svid(SvidRule::NoUriSan))?;
    let (mut names, rest) = tlv(san.value, 0, 0x30, "GeneralNames SEQUENCE").map_err(malformed)?;
    if !rest.is_empty() {
        return Err(malformed("data after GeneralNames"));
    }
    let mut uris = Vec::new();
    while let Some(&tag) = names.first() {
        if tag & 0x1f == 0x1f {
            return Err(malformed("multi-byte tag in GeneralName"));
        }
        let (value, next) = tlv(names, 0, tag, "GeneralName").map_err(malformed)?;
        if tag == TAG_URI {
            uris.push(value);
        }
        names = next;
    }
    let uri = match uris.as_slice() {
        [] => return Err(SpiffeError::Svid(SvidRule::NoUriSan)),
        [one] => *one,
        many => return Err(SpiffeError::Svid(SvidRule::SeveralUriSans(many.len()))),
    };
    // IA5String: ASCII. Anything else cannot be a SPIFFE ID.
    let uri = std::str::from_utf8(uri)
        .ok()
        .filter(|s| s.is_ascii())
        .ok_or_else(|| SpiffeError::Svid(SvidRule::InvalidId("not ASCII".into())))?;
    SpiffeId::parse(uri).map_err(|e| SpiffeError::Svid(SvidRule::InvalidId(e.to_string())))
}

/// Checks the X.509-SVID leaf rules and returns the leaf's ID: [`leaf_spiffe_id`]; a non-root
/// path; basicConstraints present with cA false; keyUsage present and critical, with
/// digitalSignature and without keyCertSign and cRLSign. The extended key usage is checked by
/// webpki during path validation (required if present: serverAuth for a server SVID,
/// clientAuth for a client SVID).
pub fn check_leaf_rules(leaf_der: &[u8]) -> Result<SpiffeId, SpiffeError> {
    let id = leaf_spiffe_id(leaf_der)?;
    if !id.has_path() {
        return Err(SpiffeError::Svid(SvidRule::NoPath(id.to_string())));
    }
    let exts = leaf_extensions(leaf_der)?;
    let bc = exts
        .basic_constraints
        .ok_or(SpiffeError::Svid(SvidRule::BasicConstraintsMissing))?;
    if basic_constraints_ca(bc.value)? {
        return Err(SpiffeError::Svid(SvidRule::LeafIsCa));
    }
    let ku = exts
        .key_usage
        .ok_or(SpiffeError::Svid(SvidRule::KeyUsageMissing))?;
    if !ku.critical {
        return Err(SpiffeError::Svid(SvidRule::KeyUsageNotCritical));
    }
    let bits = key_usage_bits(ku.value)?;
    let has = |bit: usize| {
        bits.get(bit / 8)
            .is_some_and(|b| b & (0x80 >> (bit % 8)) != 0)
    };
    if !has(KU_DIGITAL_SIGNATURE) {
        return Err(SpiffeError::Svid(SvidRule::NoDigitalSignature));
    }
    if has(KU_KEY_CERT_SIGN) {
        return Err(SpiffeError::Svid(SvidRule::KeyCertSign));
    }
    if has(KU_CRL_SIGN) {
        return Err(SpiffeError::Svid(SvidRule::CrlSign));
    }
    Ok(id)
}

/// `BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }`.
fn basic_constraints_ca(value: &[u8]) -> Result<bool, SpiffeError> {
    let (body, rest) = tlv(value, 0, 0x30, "BasicConstraints SEQUENCE").map_err(malformed)?;
    if !rest.is_empty() {
        return Err(malformed("data after BasicConstraints"));
    }
    if body.first() == Some(&0x01) {
        let (flag, _) = tlv(body, 0, 0x01, "cA BOOLEAN").map_err(malformed)?;
        return match flag {
            [0xff] => Ok(true),
            [0x00] => Ok(false),
            _ => Err(malformed("cA is not a DER BOOLEAN")),
        };
    }
    Ok(false)
}

/// `KeyUsage ::= BIT STRING`: the bit bytes (after the unused-bits byte).
fn key_usage_bits(value: &[u8]) -> Result<&[u8], SpiffeError> {
    let (bits, rest) = tlv(value, 0, 0x03, "KeyUsage BIT STRING").map_err(malformed)?;
    if !rest.is_empty() {
        return Err(malformed("data after KeyUsage"));
    }
    match bits.split_first() {
        Some((&unused, bytes)) if unused < 8 && (unused == 0 || !bytes.is_empty()) => Ok(bytes),
        _ => Err(malformed("KeyUsage BIT STRING is malformed")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn key_usage_bit_strings() {
        // digitalSignature only: 03 02 07 80
        assert_eq!(
            key_usage_bits(&[0x03, 0x02, 0x07, 0x80]).ok(),
            Some(&[0x80][..])
        );
        assert!(key_usage_bits(&[0x03, 0x01, 0x08]).is_err());
        assert!(key_usage_bits(&[0x03, 0x01, 0x01]).is_err());
        assert_eq!(key_usage_bits(&[0x03, 0x01, 0x00]).ok(), Some(&[][..]));
        assert!(key_usage_bits(&[0x04, 0x01, 0x00]).is_err());
    }

    #[test]
    fn basic_constraints_encodings() {
        assert_eq!(basic_constraints_ca(&[0x30, 0x00]).ok(), Some(false));
        assert_eq!(
            basic_constraints_ca(&[0x30, 0x03, 0x01, 0x01, 0xff]).ok(),
            Some(true)
        );
        assert_eq!(
            basic_constraints_ca(&[0x30, 0x03, 0x01, 0x01, 0x00]).ok(),
            Some(false)
        );
        assert!(basic_constraints_ca(&[0x30, 0x03, 0x01, 0x01, 0x01]).is_err());
        assert!(basic_constraints_ca(&[0x31, 0x00]).is_err());
    }
}
