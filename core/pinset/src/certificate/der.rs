//! The one DER reader: TLV headers with strict DER rules, the SPKI located without a full
//! decode, certificates split off a concatenation.

/// Tags used by the certificate readers.
pub(crate) mod tag {
    pub(crate) const SEQUENCE: u8 = 0x30;
    pub(crate) const SET: u8 = 0x31;
    pub(crate) const INTEGER: u8 = 0x02;
    pub(crate) const BIT_STRING: u8 = 0x03;
    pub(crate) const OID: u8 = 0x06;
    pub(crate) const UTC_TIME: u8 = 0x17;
    pub(crate) const GENERALIZED_TIME: u8 = 0x18;
    pub(crate) const VERSION: u8 = 0xA0;
    pub(crate) const ISSUER_UID: u8 = 0x81;
    pub(crate) const SUBJECT_UID: u8 = 0x82;
    pub(crate) const EXTENSIONS: u8 = 0xA3;
}

/// The DER header of a `SEQUENCE` whose contents are `len` bytes: the buffer and how many of its
/// bytes are the header. For contents of at most 2^24 - 1 bytes (a certificate file is limited
/// to 16 MiB, see [`super::MAX_INPUT_BYTES`]).
#[cfg(any(feature = "tls", feature = "spiffe"))]
pub(crate) fn sequence_header(len: usize) -> ([u8; 5], usize) {
    let mut header = [tag::SEQUENCE, 0, 0, 0, 0];
    let header_len = if len < 0x80 {
        header[1] = len as u8;
        2
    } else if len <= 0xff {
        header[1] = 0x81;
        header[2] = len as u8;
        3
    } else if len <= 0xffff {
        header[1] = 0x82;
        header[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        4
    } else {
        header[1] = 0x83;
        header[2..5].copy_from_slice(&(len as u32).to_be_bytes()[1..]);
        5
    };
    (header, header_len)
}

/// A DER certificate whose `SubjectPublicKeyInfo` could not be located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed certificate DER at byte {offset}: {reason}")]
pub struct CertDerError {
    /// Byte offset into the certificate where decoding stopped.
    pub offset: usize,
    /// What was expected there.
    pub reason: &'static str,
}

/// Returns the DER `SubjectPublicKeyInfo` (outer `SEQUENCE` included) of a DER certificate.
///
/// Walks `Certificate → tbsCertificate → [version] serial signature issuer validity subject spki`
/// reading only TLV headers; the whole input must be exactly one certificate. Strict DER: definite,
/// minimally encoded lengths that stay inside their parent.
///
/// Why not the `der` crate's `Header::decode` here: on this hot path (eight headers per
/// certificate) it cost more than hashing the SPKI itself, and this walker reads the same headers
/// in a small fraction of that (`docs/adr/0004-own-der-walker.md` has the measurement). The `der`
/// crate remains the reference: a property test checks that both agree on arbitrary input.
pub fn spki_of_certificate(cert: &[u8]) -> Result<&[u8], CertDerError> {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const VERSION: u8 = 0xA0;
    let (cert_body, rest) = tlv(cert, 0, SEQUENCE, "certificate SEQUENCE")?;
    if !rest.is_empty() {
        return Err(CertDerError {
            offset: cert.len() - rest.len(),
            reason: "trailing data after certificate",
        });
    }
    let at = |part: &[u8]| cert.len() - part.len();
    let (tbs, _) = tlv(
        cert_body,
        at(cert_body),
        SEQUENCE,
        "tbsCertificate SEQUENCE",
    )?;
    let mut cur = tbs;
    if cur.first() == Some(&VERSION) {
        cur = tlv(cur, at(cur), VERSION, "version")?.1;
    }
    for (tag, what) in [
        (INTEGER, "serialNumber INTEGER"),
        (SEQUENCE, "signature AlgorithmIdentifier"),
        (SEQUENCE, "issuer Name"),
        (SEQUENCE, "validity"),
        (SEQUENCE, "subject Name"),
    ] {
        cur = tlv(cur, at(cur), tag, what)?.1;
    }
    let (_, after) = tlv(cur, at(cur), SEQUENCE, "subjectPublicKeyInfo SEQUENCE")?;
    Ok(&cur[..cur.len() - after.len()])
}

/// Splits the first DER certificate (one complete `SEQUENCE` TLV, header included) off a
/// concatenation of certificates: returns (certificate, rest). Only the outer header is read;
/// [`spki_of_certificate`] checks the inside.
pub fn split_first_certificate(input: &[u8]) -> Result<(&[u8], &[u8]), CertDerError> {
    let (_, rest) = tlv(input, 0, 0x30, "certificate SEQUENCE")?;
    Ok(input.split_at(input.len() - rest.len()))
}

/// Reads one TLV with a single-byte tag: returns (contents, rest). `offset` is only for errors.
#[inline]
pub(crate) fn tlv<'a>(
    input: &'a [u8],
    offset: usize,
    tag: u8,
    what: &'static str,
) -> Result<(&'a [u8], &'a [u8]), CertDerError> {
    let err = |reason| CertDerError { offset, reason };
    let (&t, rest) = input.split_first().ok_or(err(what))?;
    if t != tag {
        return Err(err(what));
    }
    let (&first, rest) = rest.split_first().ok_or(err("truncated length"))?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        // 0x80 is indefinite length (BER only); more than 4 length bytes is beyond any certificate.
        if n == 0 || n > 4 || rest.len() < n {
            return Err(err("invalid length"));
        }
        let (bytes, rest) = rest.split_at(n);
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        // DER: minimal length encoding.
        if bytes[0] == 0 || len < 0x80 {
            return Err(err("non-minimal length"));
        }
        (len, rest)
    };
    if rest.len() < len {
        return Err(err("truncated"));
    }
    Ok(rest.split_at(len))
}

/// A TLV's tag and contents.
pub(crate) type Tagged<'a> = (u8, &'a [u8]);

/// Any single-byte-tag TLV: returns ((tag, contents), rest).
pub(crate) fn any_tlv<'a>(
    input: &'a [u8],
    offset: usize,
    what: &'static str,
) -> Result<(Tagged<'a>, &'a [u8]), CertDerError> {
    let tag = *input.first().ok_or(CertDerError {
        offset,
        reason: what,
    })?;
    if tag & 0x1f == 0x1f {
        return Err(CertDerError {
            offset,
            reason: "multi-byte tag in attribute value",
        });
    }
    let (contents, rest) = tlv(input, offset, tag, what)?;
    Ok(((tag, contents), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_certificates_are_errors() {
        for input in [
            &b""[..],
            b"\x30",
            b"\x30\x82\xff\xff",
            b"\x02\x01\x00",
            b"\x30\x00",
            b"\x30\x03\x30\x01\x00",
        ] {
            assert!(spki_of_certificate(input).is_err(), "{input:?}");
        }
    }
}
