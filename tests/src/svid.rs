//! SPIFFE test PKIs: SVID CAs (self-signed, with the trust domain's URI SAN, as SPIRE makes
//! them), X.509-SVID leaves with every knob the leaf rules look at, and SPIFFE bundles (JWKS).

use base64::Engine as _;
use rcgen::{
    CertificateParams, CustomExtension, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, SanType,
};

use crate::{Cert, ca_params, dn};

/// An SVID CA for `trust_domain`: a self-signed root with URI SAN `spiffe://<trust_domain>`.
pub fn svid_ca(trust_domain: &str) -> Cert {
    let mut params = ca_params(&format!("{trust_domain} SVID CA"));
    params.subject_alt_names = vec![uri(&format!("spiffe://{trust_domain}"))];
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let der = params.self_signed(&key).unwrap().der().clone();
    Cert { der, key, params }
}

/// An intermediate SVID CA under `issuer`, optionally with a critical URI name constraint
/// (`permittedSubtrees` = the given URI), written as raw DER because rcgen has no URI subtrees.
pub fn svid_intermediate(issuer: &Cert, cn: &str, uri_constraint: Option<&str>) -> Cert {
    let mut params = ca_params(cn);
    if let Some(c) = uri_constraint {
        // NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees }
        // GeneralSubtree ::= SEQUENCE { base GeneralName }; base = [6] IA5String
        let base = tlv(0x86, c.as_bytes());
        let subtree = tlv(0x30, &base);
        let permitted = tlv(0xa0, &subtree);
        let nc = tlv(0x30, &permitted);
        let mut ext = CustomExtension::from_oid_content(&[2, 5, 29, 30], nc);
        ext.set_criticality(true);
        params.custom_extensions.push(ext);
    }
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let der = params
        .signed_by(&key, &issuer.issuer())
        .unwrap()
        .der()
        .clone();
    Cert { der, key, params }
}

fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xff {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(contents);
    out
}

fn uri(s: &str) -> SanType {
    SanType::URI(s.try_into().unwrap())
}

/// What an X.509-SVID leaf carries. [`LeafSpec::new`] is a leaf that follows every rule.
#[derive(Clone)]
pub struct LeafSpec {
    /// URI SANs, in order.
    pub uris: Vec<String>,
    /// DNS SANs.
    pub dns: Vec<String>,
    /// basicConstraints: `ExplicitNoCa` (cA false), `NoCa` (absent) or a CA.
    pub is_ca: IsCa,
    /// keyUsage bits (rcgen marks the extension critical); empty = no keyUsage from rcgen.
    pub key_usages: Vec<KeyUsagePurpose>,
    /// A non-critical keyUsage with digitalSignature instead of rcgen's critical one.
    pub key_usage_not_critical: bool,
    /// Extended key usages; empty = no EKU extension.
    pub eku: Vec<ExtendedKeyUsagePurpose>,
    /// Validity as (not_before, not_after) Unix seconds; `None` = rcgen's long default.
    pub validity: Option<(i64, i64)>,
    /// A second subjectAltName extension (a duplicate extension).
    pub duplicate_san: bool,
}

impl LeafSpec {
    /// A valid leaf SVID for `id`: cA false, critical keyUsage digitalSignature, EKU
    /// serverAuth + clientAuth.
    pub fn new(id: &str) -> Self {
        Self {
            uris: vec![id.to_owned()],
            dns: Vec::new(),
            is_ca: IsCa::ExplicitNoCa,
            key_usages: vec![KeyUsagePurpose::DigitalSignature],
            key_usage_not_critical: false,
            eku: vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
            validity: None,
            duplicate_san: false,
        }
    }
}

/// Issues an X.509-SVID leaf under `issuer`.
pub fn svid_leaf(issuer: &Cert, spec: &LeafSpec) -> Cert {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = dn("svid");
    params.subject_alt_names = spec
        .uris
        .iter()
        .map(|u| uri(u))
        .chain(
            spec.dns
                .iter()
                .map(|d| SanType::DnsName(d.as_str().try_into().unwrap())),
        )
        .collect();
    params.is_ca = spec.is_ca;
    params.key_usages = spec.key_usages.clone();
    if spec.key_usage_not_critical {
        params.key_usages.clear();
        // KeyUsage BIT STRING with digitalSignature: 03 02 07 80
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                &[2, 5, 29, 15],
                vec![0x03, 0x02, 0x07, 0x80],
            ));
    }
    if spec.duplicate_san {
        let name = tlv(0x86, b"spiffe://td/duplicate");
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                &[2, 5, 29, 17],
                tlv(0x30, &name),
            ));
    }
    params.extended_key_usages = spec.eku.clone();
    if let Some((nb, na)) = spec.validity {
        params.not_before = rcgen::date_time_ymd(1970, 1, 1) + time_secs(nb);
        params.not_after = rcgen::date_time_ymd(1970, 1, 1) + time_secs(na);
    }
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let der = params
        .signed_by(&key, &issuer.issuer())
        .unwrap()
        .der()
        .clone();
    Cert { der, key, params }
}

fn time_secs(s: i64) -> std::time::Duration {
    std::time::Duration::from_secs(u64::try_from(s).unwrap())
}

/// A valid leaf SVID for `id` under `issuer`.
pub fn svid(issuer: &Cert, id: &str) -> Cert {
    svid_leaf(issuer, &LeafSpec::new(id))
}

/// The JWK of a P-256 CA certificate as an `x509-svid` key: `kty`, `crv`, `x`, `y` taken from the
/// certificate's key, `x5c` = the certificate.
pub fn x509_svid_jwk(ca: &Cert) -> serde_json::Value {
    let spki = pinset::certificate::spki_of_certificate(&ca.der).unwrap();
    // A P-256 SPKI ends with the 65-byte uncompressed point 04 || x || y.
    let point = &spki[spki.len() - 65..];
    assert_eq!(point[0], 0x04);
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    serde_json::json!({
        "use": "x509-svid",
        "kty": "EC",
        "crv": "P-256",
        "x": b64url.encode(&point[1..33]),
        "y": b64url.encode(&point[33..]),
        "x5c": [base64::engine::general_purpose::STANDARD.encode(&ca.der)],
    })
}

/// A SPIFFE bundle (JWK Set) with the given keys and sequence number.
pub fn jwks(keys: Vec<serde_json::Value>, sequence: Option<u64>) -> String {
    let mut doc = serde_json::json!({ "keys": keys, "spiffe_refresh_hint": 300 });
    if let Some(s) = sequence {
        doc["spiffe_sequence"] = serde_json::json!(s);
    }
    serde_json::to_string_pretty(&doc).unwrap()
}
