//! `pinset::certificate` (the small structural reader used instead of a full X.509 decoder)
//! against x509-parser as the reference: subjects, issuers and SPKIs agree on real certificates
//! with every string type; on mutated certificates it never panics and never accepts a
//! certificate x509-parser cannot even frame.
#![allow(clippy::unwrap_used)]

use pinset::certificate::{format_name, parse, subject_of};
use proptest::prelude::*;
use rcgen::string::{BmpString, UniversalString};
use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, IsCa, KeyPair};

fn cert_with(dn: DistinguishedName, ca: bool) -> Vec<u8> {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["a.example".to_owned()]).unwrap();
    params.distinguished_name = dn;
    if ca {
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    params.self_signed(&key).unwrap().der().to_vec()
}

fn full_dn() -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "api.example.com");
    dn.push(
        DnType::OrganizationName,
        DnValue::PrintableString("Example Ltd".try_into().unwrap()),
    );
    dn.push(
        DnType::OrganizationalUnitName,
        DnValue::BmpString(BmpString::try_from("Sécurité").unwrap()),
    );
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("DE".try_into().unwrap()),
    );
    dn.push(
        DnType::StateOrProvinceName,
        DnValue::UniversalString(UniversalString::try_from("Bayern").unwrap()),
    );
    dn.push(
        DnType::LocalityName,
        DnValue::Ia5String(
            "München"
                .chars()
                .filter(char::is_ascii)
                .collect::<String>()
                .try_into()
                .unwrap(),
        ),
    );
    dn
}

#[test]
fn subject_issuer_and_spki_agree_with_x509_parser() {
    // x509-parser prints UniversalString as bare hex; pinset decodes it (checked below).
    let mut reference_dn = full_dn();
    reference_dn.remove(DnType::StateOrProvinceName);
    for (dn, ca) in [
        (reference_dn.clone(), false),
        (reference_dn, true),
        (DistinguishedName::new(), false),
    ] {
        let der = cert_with(dn, ca);
        let ours = parse(&der).unwrap();
        let (_, reference) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(ours.spki, reference.tbs_certificate.subject_pki.raw);
        assert_eq!(ours.subject, reference.subject().as_raw());
        assert_eq!(ours.issuer, reference.issuer().as_raw());
        let expected = reference.subject().to_string();
        assert_eq!(format_name(ours.subject).unwrap(), expected);
        if expected.is_empty() {
            assert_eq!(subject_of(&der), "<empty subject>");
        } else {
            assert_eq!(subject_of(&der), expected);
        }
    }
}

#[test]
fn the_full_dn_reads_as_expected() {
    let der = cert_with(full_dn(), false);
    assert_eq!(
        subject_of(&der),
        "CN=api.example.com, O=Example Ltd, OU=Sécurité, C=DE, ST=Bayern, L=Mnchen"
    );
}

#[test]
fn specials_are_escaped_so_one_value_cannot_pose_as_two_attributes() {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "evil.example, O=Trusted Bank");
    let der = cert_with(dn, false);
    assert_eq!(subject_of(&der), "CN=evil.example\\, O\\=Trusted Bank");
}

#[test]
fn unknown_attributes_are_dotted_oids_and_non_strings_hex() {
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CustomDnType(vec![1, 3, 6, 1, 4, 1, 99999, 1]),
        "custom",
    );
    let der = cert_with(dn, false);
    assert_eq!(subject_of(&der), "1.3.6.1.4.1.99999.1=custom");
}

#[test]
fn malformed_certificates_are_errors_with_offsets() {
    let der = cert_with(full_dn(), false);
    let mut trailing = der.clone();
    trailing.push(0);
    let e = parse(&trailing).unwrap_err();
    assert_eq!(e.offset, der.len());
    assert!(parse(&der[..der.len() - 1]).is_err());
    assert_eq!(subject_of(b"\x30\x00"), "<unparseable certificate>");
}

fn sample() -> &'static Vec<u8> {
    static CERT: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    CERT.get_or_init(|| cert_with(full_dn(), true))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn mutations_never_panic_and_are_framed_like_the_reference(
        pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()
    ) {
        let mut der = sample().clone();
        let i = pos.index(der.len());
        der[i] = byte;
        let end = cut.index(der.len() + 1).max(i);
        let input = &der[..end.min(der.len())];
        let ours = parse(input);
        let _ = subject_of(input);
        if let Ok(parts) = ours {
            // Whatever we accept, the reference can at least frame: same SPKI, same names.
            if let Ok((rest, reference)) = x509_parser::parse_x509_certificate(input) {
                prop_assert!(rest.is_empty());
                prop_assert_eq!(parts.spki, reference.tbs_certificate.subject_pki.raw);
                prop_assert_eq!(parts.subject, reference.subject().as_raw());
            }
        }
    }
}
