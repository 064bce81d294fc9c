//! Subject and issuer names in RFC 4514 style, for messages.

use std::fmt::Write as _;

use super::der::tag::{OID, SEQUENCE, SET};
use super::der::{any_tlv, tlv};
use super::x509::parse;

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

pub(super) fn dotted_oid(oid: &[u8]) -> Option<String> {
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
