//! The fast SPKI locator agrees with a reference walk built on the `der` crate, on real
//! certificates and on arbitrary mutations of them.
#![allow(clippy::unwrap_used)]

use der::{Decode as _, Header, Reader as _, SliceReader, Tag, TagNumber};
use pinset::certificate::spki_of_certificate;
use proptest::prelude::*;

fn enter(input: &[u8], tag: Tag) -> Option<(&[u8], &[u8])> {
    let mut r = SliceReader::new(input).ok()?;
    let h = Header::decode(&mut r).ok()?;
    if h.tag != tag {
        return None;
    }
    let contents = r.read_slice(h.length).ok()?;
    let used = usize::try_from(r.position()).ok()?;
    Some((contents, &input[used..]))
}

fn reference(cert: &[u8]) -> Option<&[u8]> {
    let (body, rest) = enter(cert, Tag::Sequence)?;
    if !rest.is_empty() {
        return None;
    }
    let (mut cur, _) = enter(body, Tag::Sequence)?;
    if cur.first() == Some(&0xA0) {
        cur = enter(
            cur,
            Tag::ContextSpecific {
                constructed: true,
                number: TagNumber::N0,
            },
        )?
        .1;
    }
    for tag in [
        Tag::Integer,
        Tag::Sequence,
        Tag::Sequence,
        Tag::Sequence,
        Tag::Sequence,
    ] {
        cur = enter(cur, tag)?.1;
    }
    let (_, after) = enter(cur, Tag::Sequence)?;
    Some(&cur[..cur.len() - after.len()])
}

fn sample_cert() -> Vec<u8> {
    let key = rcgen::KeyPair::generate().unwrap();
    rcgen::CertificateParams::new(vec!["a.example".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .der()
        .to_vec()
}

#[test]
fn agrees_on_a_real_certificate() {
    let cert = sample_cert();
    let fast = spki_of_certificate(&cert).unwrap();
    assert_eq!(Some(fast), reference(&cert));
    // And the SPKI is what rcgen's key reports.
    let parsed = x509_parser::parse_x509_certificate(&cert).unwrap().1;
    assert_eq!(fast, parsed.tbs_certificate.subject_pki.raw);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn agrees_on_mutations(pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let mut cert = sample_cert_cached().clone();
        let i = pos.index(cert.len());
        cert[i] = byte;
        let end = cut.index(cert.len() + 1);
        let input = &cert[..end.max(i.min(cert.len()))];
        prop_assert_eq!(spki_of_certificate(input).ok(), reference(input));
    }

    #[test]
    fn agrees_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(spki_of_certificate(&bytes).ok(), reference(&bytes));
    }
}

fn sample_cert_cached() -> &'static Vec<u8> {
    static CERT: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    CERT.get_or_init(sample_cert)
}
