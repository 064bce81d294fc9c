//! Shared helpers for the end-to-end tests: a small PKI built with rcgen (roots,
//! intermediates, leaves with real keys) and helpers to write it to disk.
#![allow(clippy::unwrap_used, clippy::panic, missing_debug_implementations)]

use std::path::{Path, PathBuf};

use pinset::Pin;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SignatureAlgorithm,
};
use rustls_pki_types::CertificateDer;

pub use rcgen;

pub mod sigstore;
pub mod svid;
pub mod tls;

/// A certificate with its key, able to issue further certificates when it is a CA.
pub struct Cert {
    /// DER certificate.
    pub der: CertificateDer<'static>,
    /// The key pair (PKCS#8 PEM via `key.serialize_pem()`).
    pub key: KeyPair,
    params: CertificateParams,
}

impl Cert {
    /// PEM of the certificate.
    pub fn pem(&self) -> String {
        pinset::certificate::pem_encode(&self.der)
    }

    /// The SPKI pin.
    pub fn pin(&self) -> Pin {
        Pin::of_certificate(&self.der).unwrap()
    }

    /// PKCS#8 PEM of the private key.
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }

    /// Issues an intermediate CA under this CA.
    pub fn intermediate(&self, cn: &str) -> Cert {
        let params = ca_params(cn);
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let der = params
            .signed_by(&key, &self.issuer())
            .unwrap()
            .der()
            .clone();
        Cert { der, key, params }
    }

    /// Issues an intermediate CA under this CA with the name and key of `twin` (a cross-certificate:
    /// the same CA certified by a second issuer).
    pub fn intermediate_with_key(&self, cn: &str, twin: &Cert) -> Cert {
        let params = ca_params(cn);
        let key = KeyPair::try_from(twin.key.serialize_der()).unwrap();
        let der = params
            .signed_by(&key, &self.issuer())
            .unwrap()
            .der()
            .clone();
        Cert { der, key, params }
    }

    /// Issues a server leaf for the given DNS names / IPs under this CA.
    pub fn leaf(&self, names: &[&str]) -> Cert {
        self.leaf_with(names, |_| {})
    }

    /// Issues a server leaf, letting the caller adjust the parameters (validity, …).
    pub fn leaf_with(&self, names: &[&str], tweak: impl FnOnce(&mut CertificateParams)) -> Cert {
        let mut params =
            CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name = dn(names.first().copied().unwrap_or("leaf"));
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        tweak(&mut params);
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let der = params
            .signed_by(&key, &self.issuer())
            .unwrap()
            .der()
            .clone();
        Cert { der, key, params }
    }
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "pinset tests");
    dn
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = dn(cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// A self-signed root CA (P-256 unless another algorithm is given).
pub fn root(cn: &str) -> Cert {
    root_with_alg(cn, &PKCS_ECDSA_P256_SHA256)
}

/// A self-signed root CA with the given key algorithm.
pub fn root_with_alg(cn: &str, alg: &'static SignatureAlgorithm) -> Cert {
    let params = ca_params(cn);
    let key = KeyPair::generate_for(alg).unwrap();
    let der = params.self_signed(&key).unwrap().der().clone();
    Cert { der, key, params }
}

/// root → intermediate → leaf for `host`, all P-256.
pub struct Pki {
    /// The root CA (a trust anchor; servers do not send it).
    pub root: Cert,
    /// The issuing intermediate.
    pub intermediate: Cert,
    /// The server leaf.
    pub leaf: Cert,
}

impl Pki {
    /// Builds a fresh three-level PKI for the given names.
    pub fn new(tag: &str, names: &[&str]) -> Self {
        let root = root(&format!("{tag} Root CA"));
        let intermediate = root.intermediate(&format!("{tag} Intermediate CA"));
        let leaf = intermediate.leaf(names);
        Self {
            root,
            intermediate,
            leaf,
        }
    }

    /// The chain a server sends: leaf then intermediate (PEM).
    pub fn served_chain_pem(&self) -> String {
        self.leaf.pem() + &self.intermediate.pem()
    }
}

/// Writes `contents` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

/// A manifest with one domain and the given pins (plus extra TOML for that domain).
pub fn manifest_for(host: &str, pins: &[Pin], extra: &str) -> String {
    let pins = pins
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!("version = 1\n[[domain]]\nname = \"{host}\"\npins = [{pins}]\n{extra}\n")
}
