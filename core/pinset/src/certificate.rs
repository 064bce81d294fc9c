//! Reading X.509 certificates without a full decoder: a strict structural check of the DER
//! `Certificate` and the subject/issuer names in RFC 4514 style.
//!
//! Why not x509-parser (which this crate used first): pinset needs exactly two things from a
//! certificate beyond its SPKI — "is this well-formed X.509?" when a file is loaded, and a
//! readable subject for violation messages. x509-parser with its nom/asn1-rs/oid-registry stack
//! was ~110 KiB of the 1.5 MiB mobile library budget for those two uses; this module is a few KiB.
//! Signatures, validity and extensions are webpki's job (path validation) and the platform's,
//! never this module's. x509-parser stays the reference in the tests
//! (`tests/certificate_reference.rs`).

use std::fmt::Write as _;

use crate::pin::{CertDerError, tlv};

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const VERSION: u8 = 0xA0;
const ISSUER_UID: u8 = 0x81;
const SUBJECT_UID: u8 = 0x82;
const EXTENSIONS: u8 = 0xA3;

/// The parts of a certificate pinset reads, as DER slices of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateParts<'a> {
    /// The issuer `Name` (a `SEQUENCE`, header included).
    pub issuer: &'a [u8],
    /// The subject `Name` (a `SEQUENCE`, header included).
    pub subject: &'a [u8],
    /// The `SubjectPublicKeyInfo` (a `SEQUENCE`, header included).
    pub spki: &'a [u8],
}

/// Checks the structure of one DER certificate (RFC 5280 §4.1) and returns its names and SPKI.
///
/// Checked: the outer `Certificate` and `tbsCertificate` sequences with nothing trailing; the
/// optional `[0]` version holding an INTEGER; serial; both AlgorithmIdentifiers start with an
/// OBJECT IDENTIFIER; issuer and subject are `SEQUENCE OF SET OF SEQUENCE { OID, value }`;
/// validity holds two UTCTime/GeneralizedTime values; the SPKI holds an AlgorithmIdentifier and a
/// BIT STRING; only `[1]`, `[2]`, `[3]` may follow it, in order, once each; the signature is a
/// BIT STRING. Every length is definite, minimal and inside its parent.
pub fn parse(der: &[u8]) -> Result<CertificateParts<'_>, CertDerError> {
    let at = |part: &[u8]| der.len() - part.len();
    let (cert, rest) = tlv(der, 0, SEQUENCE, "certificate SEQUENCE")?;
    if !rest.is_empty() {
        return Err(CertDerError {
            offset: at(rest),
            reason: "trailing data after certificate",
        });
    }
    let (tbs, cur) = tlv(cert, at(cert), SEQUENCE, "tbsCertificate SEQUENCE")?;
    let (sig_alg, cur) = tlv(cur, at(cur), SEQUENCE, "signatureAlgorithm")?;
    algorithm_identifier(sig_alg, at(sig_alg))?;
    let (_, cur) = tlv(cur, at(cur), BIT_STRING, "signatureValue BIT STRING")?;
    end(cur, at(cur), "data after signatureValue")?;

    let mut cur = tbs;
    if cur.first() == Some(&VERSION) {
        let (version, rest) = tlv(cur, at(cur), VERSION, "version")?;
        let (_, after) = tlv(version, at(version), INTEGER, "version INTEGER")?;
        end(after, at(after), "data after version INTEGER")?;
        cur = rest;
    }
    let (_, cur) = tlv(cur, at(cur), INTEGER, "serialNumber INTEGER")?;
    let (alg, cur) = tlv(cur, at(cur), SEQUENCE, "signature AlgorithmIdentifier")?;
    algorithm_identifier(alg, at(alg))?;
    let (issuer, cur) = name(cur, &at, "issuer Name")?;
    let (validity, cur) = tlv(cur, at(cur), SEQUENCE, "validity")?;
    let mut v = validity;
    for what in ["notBefore", "notAfter"] {
        v = match v.first() {
            Some(&UTC_TIME) => tlv(v, at(v), UTC_TIME, what)?.1,
            _ => tlv(v, at(v), GENERALIZED_TIME, what)?.1,
        };
    }
    end(v, at(v), "data after notAfter")?;
    let (subject, cur) = name(cur, &at, "subject Name")?;
    let (spki_body, after_spki) = tlv(cur, at(cur), SEQUENCE, "subjectPublicKeyInfo SEQUENCE")?;
    let spki = &cur[..cur.len() - after_spki.len()];
    let (alg, key) = tlv(spki_body, at(spki_body), SEQUENCE, "SPKI algorithm")?;
    algorithm_identifier(alg, at(alg))?;
    let (_, key_rest) = tlv(key, at(key), BIT_STRING, "subjectPublicKey BIT STRING")?;
    end(key_rest, at(key_rest), "data after subjectPublicKey")?;
    let mut cur = after_spki;
    for (tag, what) in [
        (ISSUER_UID, "issuerUniqueID"),
        (SUBJECT_UID, "subjectUniqueID"),
        (EXTENSIONS, "extensions"),
    ] {
        if cur.first() == Some(&tag) {
            let (contents, rest) = tlv(cur, at(cur), tag, what)?;
            if tag == EXTENSIONS {
                extensions(contents, &at)?;
            }
            cur = rest;
        }
    }
    end(cur, at(cur), "unexpected data at the end of tbsCertificate")?;
    Ok(CertificateParts {
        issuer,
        subject,
        spki,
    })
}

fn end(rest: &[u8], offset: usize, reason: &'static str) -> Result<(), CertDerError> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(CertDerError { offset, reason })
    }
}

fn algorithm_identifier(contents: &[u8], offset: usize) -> Result<(), CertDerError> {
    tlv(contents, offset, OID, "algorithm OBJECT IDENTIFIER").map(|_| ())
}

/// `Name ::= SEQUENCE OF RelativeDistinguishedName`; returns (the whole Name TLV, rest).
fn name<'a>(
    input: &'a [u8],
    at: &dyn Fn(&[u8]) -> usize,
    what: &'static str,
) -> Result<(&'a [u8], &'a [u8]), CertDerError> {
    let (mut rdns, rest) = tlv(input, at(input), SEQUENCE, what)?;
    let whole = &input[..input.len() - rest.len()];
    while !rdns.is_empty() {
        let (mut set, next) = tlv(rdns, at(rdns), SET, "RDN SET")?;
        if set.is_empty() {
            return Err(CertDerError {
                offset: at(rdns),
                reason: "empty RDN SET",
            });
        }
        while !set.is_empty() {
            let (atv, after) = tlv(set, at(set), SEQUENCE, "AttributeTypeAndValue")?;
            let (_, value) = tlv(atv, at(atv), OID, "attribute type OBJECT IDENTIFIER")?;
            let (_, after_value) = any_tlv(value, at(value), "attribute value")?;
            end(after_value, at(after_value), "data after attribute value")?;
            set = after;
        }
        rdns = next;
    }
    Ok((whole, rest))
}

/// `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension`, each `{ OID, [BOOLEAN], OCTET STRING }`.
fn extensions(contents: &[u8], at: &dyn Fn(&[u8]) -> usize) -> Result<(), CertDerError> {
    let (mut list, rest) = tlv(contents, at(contents), SEQUENCE, "Extensions SEQUENCE")?;
    end(rest, at(rest), "data after Extensions")?;
    while !list.is_empty() {
        let (ext, next) = tlv(list, at(list), SEQUENCE, "Extension SEQUENCE")?;
        let (_, mut cur) = tlv(ext, at(ext), OID, "extnID OBJECT IDENTIFIER")?;
        if cur.first() == Some(&0x01) {
            cur = tlv(cur, at(cur), 0x01, "critical BOOLEAN")?.1;
        }
        let (_, cur) = tlv(cur, at(cur), 0x04, "extnValue OCTET STRING")?;
        end(cur, at(cur), "data after extnValue")?;
        list = next;
    }
    Ok(())
}

/// A TLV's tag and contents.
type Tagged<'a> = (u8, &'a [u8]);

/// Any single-byte-tag TLV: returns ((tag, contents), rest).
fn any_tlv<'a>(
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

/// Formats a DER `Name` (header included) the way OpenSSL's `-nameopt RFC2253` escapes values,
/// in the order the RDNs appear (`CN=…, O=…`), multi-valued RDNs joined with ` + `. Values that
/// are not character strings are written `#` + hex of their DER (RFC 4514 §2.4); RFC 4514
/// special characters are escaped, so a value such as `x, O=Trusted` cannot pose as two
/// attributes. `None` when the Name is malformed.
pub fn format_name(name_der: &[u8]) -> Option<String> {
    let (mut rdns, rest) = tlv(name_der, 0, SEQUENCE, "Name").ok()?;
    if !rest.is_empty() {
        return None;
    }
    let mut out = String::new();
    while !rdns.is_empty() {
        let (mut set, next) = tlv(rdns, 0, SET, "RDN").ok()?;
        if !out.is_empty() {
            out.push_str(", ");
        }
        let mut first = true;
        while !set.is_empty() {
            let (atv, after) = tlv(set, 0, SEQUENCE, "ATV").ok()?;
            let (oid, value) = tlv(atv, 0, OID, "type").ok()?;
            let ((tag, contents), _) = any_tlv(value, 0, "value").ok()?;
            if !first {
                out.push_str(" + ");
            }
            first = false;
            match attribute_name(oid) {
                Some(short) => out.push_str(short),
                None => out.push_str(&dotted_oid(oid)?),
            }
            out.push('=');
            match decode_string(tag, contents) {
                Some(s) => escape_value(&s, &mut out),
                None => {
                    out.push('#');
                    for b in value {
                        let _ = write!(out, "{b:02x}");
                    }
                }
            }
            set = after;
        }
        rdns = next;
    }
    Some(out)
}

/// The subject of a DER certificate in the style of [`format_name`]; a placeholder when the
/// certificate is malformed or the subject is empty (this is for messages, never for decisions).
pub fn subject_of(der: &[u8]) -> String {
    match parse(der).ok().and_then(|c| format_name(c.subject)) {
        Some(s) if s.is_empty() => "<empty subject>".to_owned(),
        Some(s) => s,
        None => "<unparseable certificate>".to_owned(),
    }
}

/// Short names from RFC 4514 §3 plus the common ones OpenSSL prints.
fn attribute_name(oid: &[u8]) -> Option<&'static str> {
    // 2.5.4.x
    if let [0x55, 0x04, n] = oid {
        return Some(match n {
            3 => "CN",
            4 => "SN",
            5 => "serialNumber",
            6 => "C",
            7 => "L",
            8 => "ST",
            9 => "STREET",
            10 => "O",
            11 => "OU",
            12 => "title",
            42 => "GN",
            43 => "initials",
            46 => "dnQualifier",
            65 => "pseudonym",
            97 => "organizationIdentifier",
            _ => return None,
        });
    }
    match oid {
        // 1.2.840.113549.1.9.1
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => Some("emailAddress"),
        // 0.9.2342.19200300.100.1.25 / .1
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => Some("DC"),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => Some("UID"),
        _ => None,
    }
}

fn dotted_oid(oid: &[u8]) -> Option<String> {
    let mut arcs: Vec<u128> = Vec::new();
    let mut acc: u128 = 0;
    for (i, &b) in oid.iter().enumerate() {
        if acc == 0 && b == 0x80 {
            return None; // non-minimal arc
        }
        acc = acc.checked_mul(128)? | u128::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let (first, second) = match acc {
                    0..=39 => (0, acc),
                    40..=79 => (1, acc - 40),
                    _ => (2, acc - 80),
                };
                arcs.push(first);
                arcs.push(second);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        } else if i + 1 == oid.len() {
            return None; // truncated arc
        }
    }
    if arcs.is_empty() {
        return None;
    }
    let mut s = String::new();
    for (i, a) in arcs.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        let _ = write!(s, "{a}");
    }
    Some(s)
}

/// Decodes the DirectoryString / IA5String types; `None` for other types or invalid contents.
fn decode_string(tag: u8, contents: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, IA5String, VisibleString, NumericString
        0x0c | 0x13 | 0x16 | 0x1a | 0x12 => std::str::from_utf8(contents).ok().map(str::to_owned),
        // TeletexString: treated as Latin-1, as OpenSSL and browsers do in practice.
        0x14 => Some(contents.iter().map(|&b| char::from(b)).collect()),
        // BMPString: UCS-2 big-endian.
        0x1e => {
            if contents.len() % 2 != 0 {
                return None;
            }
            let units = contents
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        // UniversalString: UCS-4 big-endian.
        0x1c => {
            if contents.len() % 4 != 0 {
                return None;
            }
            contents
                .chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

/// RFC 4514 §2.4 escaping, plus control characters as `\XX` so a subject can never break a line.
fn escape_value(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\{b:02X}");
                }
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_formatting() {
        assert_eq!(dotted_oid(&[0x55, 0x04, 0x03]).as_deref(), Some("2.5.4.3"));
        assert_eq!(
            dotted_oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]).as_deref(),
            Some("1.2.840.113549")
        );
        assert_eq!(dotted_oid(&[0x88, 0x37]).as_deref(), Some("2.999"));
        assert_eq!(dotted_oid(&[]), None);
        assert_eq!(dotted_oid(&[0x86]), None);
        assert_eq!(dotted_oid(&[0x55, 0x80, 0x01]), None);
    }

    #[test]
    fn escaping_keeps_one_attribute_one_attribute() {
        let mut s = String::new();
        escape_value(" x, O=Trusted+\n#", &mut s);
        assert_eq!(s, "\\ x\\, O\\=Trusted\\+\\0A#");
    }

    #[test]
    fn string_types() {
        assert_eq!(
            decode_string(0x1e, &[0, b'h', 0, b'i']).as_deref(),
            Some("hi")
        );
        assert_eq!(decode_string(0x1e, &[0, b'h', 0]), None);
        assert_eq!(decode_string(0x1c, &[0, 0, 0, b'A']).as_deref(), Some("A"));
        assert_eq!(decode_string(0x14, &[0xe9]).as_deref(), Some("é"));
        assert_eq!(decode_string(0x0c, &[0xff]), None);
        assert_eq!(decode_string(0x04, b"x"), None);
    }
}
