//! A full TLS 1.3 handshake over an in-memory pipe between a rustls client and server:
//! `handshake/pinned` (pinset's verifier, webpki mode: validation and pins in one pass) vs
//! `handshake/unpinned` (rustls's `WebPkiServerVerifier`), same roots, resumption off.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use pinset::verifier::{PinningConfig, Resumption, TrustMode};
use pinset::{Manifest, Pin, Policy};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, PKCS_ECDSA_P256_SHA256};
use rustls::client::WebPkiServerVerifier;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

const HOST: &str = "api.example.com";

struct Pki {
    root: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let ca = |cn: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p
    };
    let rk = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let rp = ca("bench root");
    let root = rp.self_signed(&rk).unwrap();
    let ik = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let ip = ca("bench intermediate");
    let int = ip.signed_by(&ik, &Issuer::from_params(&rp, &rk)).unwrap();
    let lk = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let leaf = CertificateParams::new(vec![HOST.to_owned()])
        .unwrap()
        .signed_by(&lk, &Issuer::from_params(&ip, &ik))
        .unwrap();
    Pki {
        root: root.der().clone(),
        chain: vec![leaf.der().clone(), int.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(lk.serialize_der())),
    }
}

fn handshake(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) {
    let mut c = ClientConnection::new(client.clone(), ServerName::try_from(HOST).unwrap()).unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let mut buf = Vec::with_capacity(8192);
    while c.is_handshaking() || s.is_handshaking() {
        buf.clear();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            s.read_tls(&mut buf.as_slice()).unwrap();
            s.process_new_packets().unwrap();
        }
        buf.clear();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            c.read_tls(&mut buf.as_slice()).unwrap();
            c.process_new_packets().unwrap();
        }
    }
}

fn benches(c: &mut Criterion) {
    let pki = pki();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = Arc::new(
        ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(pki.chain.clone(), pki.key.clone_key())
            .unwrap(),
    );
    let int_pin = Pin::of_certificate(&pki.chain[1]).unwrap();
    let backup = Pin::of_spki(b"backup key");
    let manifest = format!(
        "version = 1\n[[domain]]\nname = \"{HOST}\"\npins = [\"{backup}\", \"{int_pin}\"]\n"
    );
    let policy = Arc::new(Policy::new(
        Manifest::parse(&manifest, None).unwrap().manifest,
    ));
    let pinned = Arc::new(
        PinningConfig::new(policy)
            .trust_mode(TrustMode::WebPkiExtraOnly)
            .extra_roots([pki.root.clone()])
            .resumption(Resumption::Disabled)
            .build()
            .unwrap(),
    );
    let mut roots = RootCertStore::empty();
    roots.add(pki.root.clone()).unwrap();
    let plain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let mut unpinned = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_webpki_verifier(plain)
        .with_no_client_auth();
    unpinned.resumption = rustls::client::Resumption::disabled();
    let unpinned = Arc::new(unpinned);

    let mut g = c.benchmark_group("handshake");
    g.bench_function("pinned", |b| b.iter(|| handshake(&pinned, &server)));
    g.bench_function("unpinned", |b| b.iter(|| handshake(&unpinned, &server)));
    g.finish();
}

criterion_group!(handshake_benches, benches);
criterion_main!(handshake_benches);
