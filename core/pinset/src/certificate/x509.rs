//! A strict structural check of one DER `Certificate` (RFC 5280 §4.1), returning the parts
//! pinset reads.

use super::der::tag::*;
use super::der::{CertDerError, any_tlv, tlv};

/// The parts of a certificate pinset reads, as DER slices of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateParts<'a> {
    /// The issuer `Name` (a `SEQUENCE`, header included).
    pub issuer: &'a [u8],
    /// The subject `Name` (a `SEQUENCE`, header included).
    pub subject: &'a [u8],
    /// The `SubjectPublicKeyInfo` (a `SEQUENCE`, header included).
    pub spki: &'a [u8],
    /// The contents of the `Extensions` `SEQUENCE` (empty when the certificate has none); read
    /// them with [`extensions`].
    pub extensions: &'a [u8],
}

/// One certificate extension, as DER slices of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    /// The `extnID` OBJECT IDENTIFIER contents (no header), e.g. `55 1d 11` for subjectAltName.
    pub oid: &'a [u8],
    /// The `critical` flag (DER `TRUE`; absent or `FALSE` is not critical).
    pub critical: bool,
    /// The `extnValue` OCTET STRING contents: the extension's own DER.
    pub value: &'a [u8],
}

/// The extensions of [`CertificateParts::extensions`], in certificate order. [`parse`] has
/// already checked their structure, so this only fails on input that did not come from it.
pub fn extensions(contents: &[u8]) -> Result<Vec<Extension<'_>>, CertDerError> {
    let mut out = Vec::new();
    let mut list = contents;
    while !list.is_empty() {
        let (ext, next) = tlv(list, 0, SEQUENCE, "Extension SEQUENCE")?;
        let (oid, mut cur) = tlv(ext, 0, OID, "extnID OBJECT IDENTIFIER")?;
        let mut critical = false;
        if cur.first() == Some(&0x01) {
            let (flag, rest) = tlv(cur, 0, 0x01, "critical BOOLEAN")?;
            critical = flag == [0xff];
            cur = rest;
        }
        let (value, cur) = tlv(cur, 0, 0x04, "extnValue OCTET STRING")?;
        end(cur, 0, "data after extnValue")?;
        out.push(Extension {
            oid,
            critical,
            value,
        });
        list = next;
    }
    Ok(out)
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
    let mut extensions_list: &[u8] = &[];
    for (tag, what) in [
        (ISSUER_UID, "issuerUniqueID"),
        (SUBJECT_UID, "subjectUniqueID"),
        (EXTENSIONS, "extensions"),
    ] {
        if cur.first() == Some(&tag) {
            let (contents, rest) = tlv(cur, at(cur), tag, what)?;
            if tag == EXTENSIONS {
                extensions_list = check_extensions(contents, &at)?;
            }
            cur = rest;
        }
    }
    end(cur, at(cur), "unexpected data at the end of tbsCertificate")?;
    Ok(CertificateParts {
        issuer,
        subject,
        spki,
        extensions: extensions_list,
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

/// `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension`, each `{ OID, [BOOLEAN], OCTET STRING }`;
/// returns the contents of the `SEQUENCE`.
fn check_extensions<'a>(
    contents: &'a [u8],
    at: &dyn Fn(&[u8]) -> usize,
) -> Result<&'a [u8], CertDerError> {
    let (all, rest) = tlv(contents, at(contents), SEQUENCE, "Extensions SEQUENCE")?;
    end(rest, at(rest), "data after Extensions")?;
    let mut list = all;
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
    Ok(all)
}
