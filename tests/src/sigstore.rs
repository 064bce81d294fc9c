//! Sigstore fixtures made at test time: a "Fulcio" root and intermediate (rcgen) issuing
//! short-lived leaves with a SAN URI, the OIDC issuer extensions and EKU codeSigning; a P-256
//! "Rekor" key; hashedrekord and DSSE bodies; hand-built RFC 6962 Merkle trees with inclusion
//! proofs; signed checkpoints; signed entry timestamps; and `trusted_root.json` with validity
//! windows. Everything a bundle verifier checks can be made wrong on purpose through [`Spec`]
//! or by editing the returned JSON.

use base64::Engine as _;
use rcgen::string::Ia5String;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    SanType,
};
use ring::digest::{SHA256, digest};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde_json::{Value, json};

use crate::Cert;

/// The GitHub Actions issuer, as Fulcio writes it.
pub const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The build identity the fixtures sign as.
pub const IDENTITY: &str =
    "https://github.com/example/mcp-tools/.github/workflows/release.yml@refs/tags/v1.4.0";
/// The in-toto payload type.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";

fn b64(data: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Lowercase hex.
pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, data).as_ref());
    out
}

/// Unix seconds now.
pub fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time.
pub fn rfc3339(t: i64) -> String {
    let dt = time::OffsetDateTime::from_unix_timestamp(t).unwrap();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

fn odt(t: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t).unwrap()
}

/// A P-256 signing key (ring) with its SPKI.
pub struct EcKey {
    key: EcdsaKeyPair,
    pkcs8: Vec<u8>,
    /// DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
}

impl EcKey {
    /// A fresh P-256 key.
    pub fn generate() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        // SPKI for P-256: fixed header + the uncompressed point.
        let mut spki = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        spki.extend_from_slice(key.public_key().as_ref());
        Self {
            key,
            pkcs8: pkcs8.as_ref().to_vec(),
            spki,
        }
    }

    /// ECDSA P-256 SHA-256 (ASN.1 DER) signature over `msg`.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.key
            .sign(&SystemRandom::new(), msg)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    /// The key as an rcgen key pair (to put it in a certificate).
    pub fn rcgen(&self) -> KeyPair {
        KeyPair::try_from(self.pkcs8.as_slice()).unwrap()
    }

    /// PEM `PUBLIC KEY`.
    pub fn public_pem(&self) -> String {
        let b = b64(&self.spki);
        let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
        for c in b.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(c).unwrap());
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }

    /// PKCS#8 private key PEM.
    pub fn private_pem(&self) -> String {
        self.rcgen().serialize_pem()
    }
}

/// The trust material: Fulcio root + intermediate, the Rekor log key, a CT log key (listed so
/// that clients requiring one find it; never used by pinset).
pub struct World {
    /// Fulcio root CA.
    pub root: Cert,
    /// Fulcio intermediate CA (issues the leaves).
    pub intermediate: Cert,
    /// The Rekor log key.
    pub rekor: EcKey,
    /// A CT log key.
    pub ctlog: EcKey,
    /// Checkpoint origin line.
    pub origin: String,
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "pinset test sigstore");
    dn.push(DnType::CommonName, cn);
    dn
}

fn ca_params(cn: &str, not_before: i64, not_after: i64) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = odt(not_before);
    p.not_after = odt(not_after);
    p
}

/// What a leaf certificate says.
#[derive(Clone, Debug)]
pub struct LeafSpec {
    /// SAN URIs (Fulcio writes exactly one).
    pub sans: Vec<String>,
    /// `.1.8` issuer (DER UTF8String).
    pub issuer_v2: Option<String>,
    /// `.1.1` legacy issuer (raw bytes).
    pub issuer_v1: Option<String>,
    /// Further `.1.N` claims (DER UTF8String).
    pub claims: Vec<(u64, String)>,
    /// Validity, Unix seconds (inclusive).
    pub not_before: i64,
    /// Validity end.
    pub not_after: i64,
    /// EKU codeSigning (else serverAuth).
    pub code_signing: bool,
    /// keyUsage digitalSignature (else keyAgreement).
    pub digital_signature: bool,
}

impl LeafSpec {
    /// A Fulcio-like leaf valid for 10 minutes from `t`.
    pub fn fulcio(t: i64) -> Self {
        Self {
            sans: vec![IDENTITY.to_owned()],
            issuer_v2: Some(ISSUER.to_owned()),
            issuer_v1: Some(ISSUER.to_owned()),
            claims: vec![
                (
                    9,
                    "https://github.com/example/mcp-tools/.github/workflows/release.yml@refs/tags/v1.4.0"
                        .to_owned(),
                ),
                (12, "https://github.com/example/mcp-tools".to_owned()),
                (14, "refs/tags/v1.4.0".to_owned()),
            ],
            not_before: t,
            not_after: t + 600,
            code_signing: true,
            digital_signature: true,
        }
    }
}

fn utf8_der(s: &str) -> Vec<u8> {
    let mut out = vec![0x0c];
    let n = s.len();
    if n < 0x80 {
        out.push(u8::try_from(n).unwrap());
    } else {
        out.push(0x81);
        out.push(u8::try_from(n).unwrap());
    }
    out.extend_from_slice(s.as_bytes());
    out
}

impl World {
    /// Fresh trust material; the CAs are valid from `t - 10 days` to `t + 10 days`.
    pub fn new(t: i64) -> Self {
        let (nb, na) = (t - 864_000, t + 864_000);
        let params = ca_params("sigstore-test root", nb, na);
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let der = params.self_signed(&key).unwrap().der().clone();
        let root = Cert { der, key, params };
        let mut params = ca_params("sigstore-test intermediate", nb, na);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let der = params
            .signed_by(&key, &Issuer::from_params(&root.params, &root.key))
            .unwrap()
            .der()
            .clone();
        let intermediate = Cert { der, key, params };
        Self {
            root,
            intermediate,
            rekor: EcKey::generate(),
            ctlog: EcKey::generate(),
            origin: "rekor.test.invalid - 1193050959916656506".to_owned(),
        }
    }

    /// The Rekor log ID: SHA-256 of the log key's SPKI.
    pub fn log_id(&self) -> [u8; 32] {
        sha256(&self.rekor.spki)
    }

    /// Issues a leaf for `key` under `issuer` (the intermediate unless given).
    pub fn leaf(&self, spec: &LeafSpec, key: &EcKey, issuer: Option<&Cert>) -> Vec<u8> {
        let issuer = issuer.unwrap_or(&self.intermediate);
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name = DistinguishedName::new();
        p.subject_alt_names = spec
            .sans
            .iter()
            .map(|s| SanType::URI(Ia5String::try_from(s.as_str()).unwrap()))
            .collect();
        p.is_ca = IsCa::NoCa;
        p.key_usages = vec![if spec.digital_signature {
            KeyUsagePurpose::DigitalSignature
        } else {
            KeyUsagePurpose::KeyAgreement
        }];
        p.extended_key_usages = vec![if spec.code_signing {
            ExtendedKeyUsagePurpose::CodeSigning
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        p.use_authority_key_identifier_extension = true;
        p.not_before = odt(spec.not_before);
        p.not_after = odt(spec.not_after);
        let arc = |n: u64| [1u64, 3, 6, 1, 4, 1, 57264, 1, n];
        if let Some(v1) = &spec.issuer_v1 {
            p.custom_extensions.push(CustomExtension::from_oid_content(
                &arc(1),
                v1.as_bytes().to_vec(),
            ));
        }
        if let Some(v2) = &spec.issuer_v2 {
            p.custom_extensions
                .push(CustomExtension::from_oid_content(&arc(8), utf8_der(v2)));
        }
        for (n, v) in &spec.claims {
            p.custom_extensions
                .push(CustomExtension::from_oid_content(&arc(*n), utf8_der(v)));
        }
        p.signed_by(
            &key.rcgen(),
            &Issuer::from_params(&issuer.params, &issuer.key),
        )
        .unwrap()
        .der()
        .to_vec()
    }

    /// `trusted_root.json` with the given windows (Unix seconds; `None` = open end).
    pub fn trusted_root(&self, w: &RootWindows) -> Value {
        let window = |(s, e): (i64, Option<i64>)| match e {
            Some(e) => json!({"start": rfc3339(s), "end": rfc3339(e)}),
            None => json!({"start": rfc3339(s)}),
        };
        let mut cas = vec![json!({
            "subject": {"organization": "pinset test sigstore", "commonName": "sigstore-test"},
            "uri": "https://fulcio.test.invalid",
            "certChain": {"certificates": [
                {"rawBytes": b64(&self.intermediate.der)},
                {"rawBytes": b64(&self.root.der)},
            ]},
            "validFor": window(w.ca),
        })];
        if w.root_only_ca {
            cas[0]["certChain"] = json!({"certificates": [{"rawBytes": b64(&self.root.der)}]});
        }
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{
                "baseUrl": "https://rekor.test.invalid",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": b64(&self.rekor.spki),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": window(w.log),
                },
                "logId": {"keyId": b64(self.log_id())},
            }],
            "certificateAuthorities": cas,
            "ctlogs": [{
                "baseUrl": "https://ctfe.test.invalid",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": b64(&self.ctlog.spki),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": window((w.log.0, None)),
                },
                "logId": {"keyId": b64(sha256(&self.ctlog.spki))},
            }],
            "timestampAuthorities": [],
        })
    }
}

/// Validity windows of the trusted root.
#[derive(Clone, Copy, Debug)]
pub struct RootWindows {
    /// The certificate authority's `validFor`.
    pub ca: (i64, Option<i64>),
    /// The log key's `validFor`.
    pub log: (i64, Option<i64>),
    /// List only the root in the CA's chain (the intermediate must then come from elsewhere).
    pub root_only_ca: bool,
}

impl RootWindows {
    /// Windows that hold `t` comfortably.
    pub fn around(t: i64) -> Self {
        Self {
            ca: (t - 86_400, None),
            log: (t - 86_400, None),
            root_only_ca: false,
        }
    }
}

/// Bundle format version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// v0.1 (chain, promise).
    V01,
    /// v0.2.
    V02,
    /// v0.3 (single certificate).
    V03,
}

impl Version {
    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::V01 => "application/vnd.dev.sigstore.bundle+json;version=0.1",
            Self::V02 => "application/vnd.dev.sigstore.bundle+json;version=0.2",
            Self::V03 => "application/vnd.dev.sigstore.bundle.v0.3+json",
        }
    }
}

/// How to make one bundle.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Bundle version.
    pub version: Version,
    /// DSSE (in-toto) instead of a message signature.
    pub dsse: bool,
    /// Key-based (`publicKey`) instead of a Fulcio certificate.
    pub key_based: bool,
    /// The leaf.
    pub leaf: LeafSpec,
    /// Leaves in the log's tree and the entry's index.
    pub tree_size: u64,
    /// The entry's index.
    pub index: u64,
    /// The integrated time.
    pub integrated_time: i64,
    /// DSSE: the subject digest (default: the artifact's).
    pub subject_sha256: Option<[u8; 32]>,
    /// DSSE: the payload type (default in-toto).
    pub payload_type: &'static str,
    /// DSSE: number of signatures in the envelope (default 1; extra ones repeat the first).
    pub dsse_signatures: usize,
    /// v0.1/v0.2: certificates after the leaf in `x509CertificateChain`: 0 none, 1 the
    /// intermediate, 2 the intermediate and the root.
    pub extra_chain: usize,
}

impl Spec {
    /// A valid v0.3 hashedrekord bundle spec at time `t`, entry 5 of 8.
    pub fn new(t: i64) -> Self {
        Self {
            version: Version::V03,
            dsse: false,
            key_based: false,
            leaf: LeafSpec::fulcio(t - 60),
            tree_size: 8,
            index: 5,
            integrated_time: t,
            subject_sha256: None,
            dsse_signatures: 1,
            payload_type: IN_TOTO,
            extra_chain: 0,
        }
    }
}

/// RFC 6962 hashing and proofs (the fixture side, written from the RFC's recursive definition).
pub mod merkle {
    use super::SHA256;
    use ring::digest::Context;

    /// `SHA-256(0x00 ‖ data)`.
    pub fn leaf(data: &[u8]) -> [u8; 32] {
        let mut c = Context::new(&SHA256);
        c.update(&[0]);
        c.update(data);
        fin(c)
    }

    fn node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
        let mut c = Context::new(&SHA256);
        c.update(&[1]);
        c.update(l);
        c.update(r);
        fin(c)
    }

    fn fin(c: Context) -> [u8; 32] {
        let mut o = [0u8; 32];
        o.copy_from_slice(c.finish().as_ref());
        o
    }

    fn split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// MTH(D[n]).
    pub fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = split(leaves.len());
        node(&root(&leaves[..k]), &root(&leaves[k..]))
    }

    /// PATH(m, D[n]), leaf to root.
    pub fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
        if leaves.len() == 1 {
            return vec![];
        }
        let k = split(leaves.len());
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(root(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(root(&leaves[..k]));
            p
        }
    }
}

/// One made bundle with what was used to make it.
pub struct Made {
    /// The bundle JSON (edit it to tamper).
    pub bundle: Value,
    /// The leaf certificate (keyless) or nothing.
    pub leaf: Option<Vec<u8>>,
    /// The signer's key.
    pub signer: EcKey,
}

/// The DSSE PAE.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The in-toto statement naming `digest`.
pub fn statement(digest: &[u8; 32]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "mcp-tools-server", "digest": {"sha256": hex(digest)}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": "https://example.invalid/build"}},
    }))
    .unwrap()
}

impl World {
    /// Signs `artifact` and logs it as `spec` says; the body may be edited before it is logged
    /// (the log then honestly records the edited body).
    pub fn make(&self, artifact: &[u8], spec: &Spec, edit_body: impl FnOnce(&mut Value)) -> Made {
        let signer = EcKey::generate();
        let leaf = (!spec.key_based).then(|| self.leaf(&spec.leaf, &signer, None));
        let verifier_pem = match &leaf {
            Some(der) => pinset::certificate::pem_encode(der),
            None => signer.public_pem(),
        };
        let digest = sha256(artifact);
        let (content_key, content, mut body) = if spec.dsse {
            let payload = statement(&spec.subject_sha256.unwrap_or(digest));
            let sig = signer.sign(&pae(spec.payload_type, &payload));
            let sigs: Vec<Value> = (0..spec.dsse_signatures)
                .map(|_| json!({"sig": b64(&sig), "keyid": ""}))
                .collect();
            let envelope = json!({"payload": b64(&payload), "payloadType": spec.payload_type, "signatures": sigs});
            let body_sigs: Vec<Value> = (0..spec.dsse_signatures)
                .map(|_| json!({"signature": b64(&sig), "verifier": b64(&verifier_pem)}))
                .collect();
            let body = json!({
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {
                    "envelopeHash": {"algorithm": "sha256", "value": hex(&sha256(&serde_json::to_vec(&envelope).unwrap()))},
                    "payloadHash": {"algorithm": "sha256", "value": hex(&sha256(&payload))},
                    "signatures": body_sigs,
                },
            });
            ("dsseEnvelope", envelope, body)
        } else {
            let sig = signer.sign(artifact);
            let ms = json!({
                "messageDigest": {"algorithm": "SHA2_256", "digest": b64(digest)},
                "signature": b64(&sig),
            });
            let body = json!({
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {"hash": {"algorithm": "sha256", "value": hex(&digest)}},
                    "signature": {"content": b64(&sig), "publicKey": {"content": b64(&verifier_pem)}},
                },
            });
            ("messageSignature", ms, body)
        };
        edit_body(&mut body);
        // serde_json's map is sorted and to_vec is compact: the canonical (RFC 8785) form for
        // these ASCII keys.
        let body = serde_json::to_vec(&body).unwrap();
        let kind = if spec.dsse { "dsse" } else { "hashedrekord" };
        let entry = self.log_entry(
            &body,
            kind,
            spec.tree_size,
            spec.index,
            spec.integrated_time,
        );
        let material = match (&leaf, spec.version) {
            (None, _) => json!({"publicKey": {"hint": b64(sha256(&signer.spki))}}),
            (Some(der), Version::V03) => json!({"certificate": {"rawBytes": b64(der)}}),
            (Some(der), _) => {
                let mut certs = vec![json!({"rawBytes": b64(der)})];
                for c in [&self.intermediate.der, &self.root.der]
                    .into_iter()
                    .take(spec.extra_chain)
                {
                    certs.push(json!({"rawBytes": b64(c)}));
                }
                json!({"x509CertificateChain": {"certificates": certs}})
            }
        };
        let mut vm = material;
        vm["tlogEntries"] = json!([entry]);
        let mut bundle = json!({
            "mediaType": spec.version.media_type(),
            "verificationMaterial": vm,
        });
        bundle[content_key] = content;
        Made {
            bundle,
            leaf,
            signer,
        }
    }

    /// A transparency log entry for `body` at `index` of a tree of `size` leaves: the inclusion
    /// proof, the checkpoint signed by the log key, and the SET.
    pub fn log_entry(&self, body: &[u8], kind: &str, size: u64, index: u64, t: i64) -> Value {
        let n = usize::try_from(size).unwrap();
        let m = usize::try_from(index).unwrap();
        let leaves: Vec<[u8; 32]> = (0..n)
            .map(|i| {
                if i == m {
                    merkle::leaf(body)
                } else {
                    merkle::leaf(format!("another entry {i}").as_bytes())
                }
            })
            .collect();
        let root = merkle::root(&leaves);
        let proof = merkle::path(m, &leaves);
        let log_id = self.log_id();
        let checkpoint = self.checkpoint(size, &root);
        let set_payload = format!(
            "{{\"body\":\"{}\",\"integratedTime\":{t},\"logID\":\"{}\",\"logIndex\":{index}}}",
            b64(body),
            hex(&log_id)
        );
        let set = self.rekor.sign(set_payload.as_bytes());
        json!({
            "logIndex": index.to_string(),
            "logId": {"keyId": b64(log_id)},
            "kindVersion": {"kind": kind, "version": "0.0.1"},
            "integratedTime": t.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": b64(&set)},
            "inclusionProof": {
                "logIndex": index.to_string(),
                "rootHash": b64(root),
                "treeSize": size.to_string(),
                "hashes": proof.iter().map(b64).collect::<Vec<_>>(),
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": b64(body),
        })
    }

    /// A checkpoint (signed note) for `size` and `root`, signed by the log key.
    pub fn checkpoint(&self, size: u64, root: &[u8; 32]) -> String {
        self.checkpoint_by(&self.rekor, size, root)
    }

    /// A checkpoint signed by another key (the key hint stays the log's).
    pub fn checkpoint_by(&self, key: &EcKey, size: u64, root: &[u8; 32]) -> String {
        let note = format!("{}\n{size}\n{}\n", self.origin, b64(root));
        let mut sig = self.log_id()[..4].to_vec();
        sig.extend_from_slice(&key.sign(note.as_bytes()));
        format!(
            "{note}\n\u{2014} {} {}\n",
            self.origin.split(' ').next().unwrap(),
            b64(&sig)
        )
    }

    /// Re-signs the entry's SET after the entry was edited (so that only the edited part is wrong).
    pub fn resign_set(&self, bundle: &mut Value) {
        let e = &bundle["verificationMaterial"]["tlogEntries"][0];
        let payload = format!(
            "{{\"body\":\"{}\",\"integratedTime\":{},\"logID\":\"{}\",\"logIndex\":{}}}",
            e["canonicalizedBody"].as_str().unwrap(),
            e["integratedTime"].as_str().unwrap(),
            hex(&base64::engine::general_purpose::STANDARD
                .decode(e["logId"]["keyId"].as_str().unwrap())
                .unwrap()),
            e["logIndex"].as_str().unwrap()
        );
        let set = self.rekor.sign(payload.as_bytes());
        bundle["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]["signedEntryTimestamp"] =
            json!(b64(&set));
    }

    /// Re-logs an edited canonicalized body: new tree, proof, checkpoint and SET (an honest log
    /// recording whatever it was given).
    pub fn relog(&self, bundle: &mut Value, body: &[u8]) {
        let e = &bundle["verificationMaterial"]["tlogEntries"][0];
        let kind = e["kindVersion"]["kind"].as_str().unwrap().to_owned();
        let size: u64 = e["inclusionProof"]["treeSize"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let index: u64 = e["logIndex"].as_str().unwrap().parse().unwrap();
        let t: i64 = e["integratedTime"].as_str().unwrap().parse().unwrap();
        bundle["verificationMaterial"]["tlogEntries"][0] =
            self.log_entry(body, &kind, size, index, t);
    }
}

/// The policy a case is verified under.
#[derive(Clone, Debug)]
pub enum CasePolicy {
    /// SAN and issuer, exact.
    Exact(String, String),
    /// SAN and issuer regexps (anchored by pinset).
    Regex(String, String),
    /// Exact SAN and issuer plus claims `(name, exact value)`.
    Claims(String, String, Vec<(String, String)>),
    /// A key-based bundle verified with this PEM key (`None`: no key given).
    Key(Option<String>),
}

/// What sigstore-python is expected to say, relative to pinset.
#[derive(Clone, Debug)]
pub enum Oracle {
    /// The same accept/reject as pinset, verified with this exact (SAN, issuer).
    Agrees(String, String),
    /// The opposite answer, for the stated reason; verified with this exact (SAN, issuer).
    Differs(String, String, &'static str),
    /// Not comparable (a feature sigstore-python does not have).
    NotApplicable(&'static str),
}

/// One verification case: inputs, pinset's expected outcome, the oracle's relation.
pub struct Case {
    /// A short unique name.
    pub name: String,
    /// Bundle JSON.
    pub bundle: Value,
    /// The artifact.
    pub artifact: Vec<u8>,
    /// trusted_root.json.
    pub root: Value,
    /// The policy.
    pub policy: CasePolicy,
    /// `None`: pinset accepts; `Some(step)`: pinset refuses at this step
    /// (`pinset::attest::AttestError::step`).
    pub expect: Option<&'static str>,
    /// The oracle relation.
    pub oracle: Oracle,
}

/// One input of the sigstore-python oracle (`tests/interop/sigstore_oracle.py`).
pub struct OracleInput<'a> {
    /// The artifact.
    pub artifact: &'a [u8],
    /// Bundle JSON.
    pub bundle: &'a Value,
    /// trusted_root.json, as bytes.
    pub trusted_root: &'a [u8],
    /// The exact SAN sigstore-python requires.
    pub san: &'a str,
    /// The exact OIDC issuer sigstore-python requires.
    pub issuer: &'a str,
    /// Also verify the embedded SCTs (real Fulcio certificates carry them; test-made ones do not).
    pub sct: bool,
}

/// Runs sigstore-python offline on every input and returns its verdict for each, in order:
/// `"accept"` or its reason to refuse (`None` where the input is `None`: not compared). Fails,
/// never skips, without python3 or the package, and when a verdict is missing.
pub fn sigstore_python(inputs: &[Option<OracleInput<'_>>]) -> Vec<Option<String>> {
    let dir = tempfile::tempdir().unwrap();
    let mut listed = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let Some(c) = input else { continue };
        let d = dir.path().join(format!("case{i}"));
        std::fs::create_dir(&d).unwrap();
        crate::write(&d, "artifact", c.artifact);
        crate::write(&d, "bundle.json", serde_json::to_vec(c.bundle).unwrap());
        crate::write(&d, "trusted_root.json", c.trusted_root);
        listed.push(
            json!({"dir": format!("case{i}"), "san": c.san, "issuer": c.issuer, "sct": c.sct}),
        );
    }
    crate::write(
        dir.path(),
        "cases.json",
        serde_json::to_vec(&listed).unwrap(),
    );
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/sigstore_oracle.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("python3 is required (.ci/run installs it): {e}"));
    assert!(
        out.status.success(),
        "sigstore oracle failed (pip install -r tests/interop/requirements.txt):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        verdicts.as_object().map(serde_json::Map::len),
        Some(listed.len()),
        "one verdict per case: {verdicts}"
    );
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            input.as_ref().map(|_| {
                let v = &verdicts[format!("case{i}")];
                v.as_str()
                    .unwrap_or_else(|| panic!("case{i}: verdict {v}"))
                    .to_owned()
            })
        })
        .collect()
}

/// The artifact the fixtures sign: stands in for an MCP server binary.
pub const ARTIFACT: &[u8] = b"#!/bin/sh\necho 'mcp-tools server v1.4.0'\n";

fn exact() -> CasePolicy {
    CasePolicy::Exact(IDENTITY.to_owned(), ISSUER.to_owned())
}

fn agrees() -> Oracle {
    Oracle::Agrees(IDENTITY.to_owned(), ISSUER.to_owned())
}

fn entry(b: &mut Value) -> &mut Value {
    &mut b["verificationMaterial"]["tlogEntries"][0]
}

/// Every case of the issue: positives (versions, DSSE, tree shapes, closed windows, regex,
/// claims, key-based) and the negatives (identity, time, log, proof, checkpoint, body, DSSE,
/// chain, artifact).
pub fn cases() -> Vec<Case> {
    let t = now() - 3600;
    let w = World::new(t);
    let root = w.trusted_root(&RootWindows::around(t));
    let mut out = Vec::new();
    let mut push = |name: &str, made: Value, root: &Value, policy: CasePolicy, expect, oracle| {
        out.push(Case {
            name: name.to_owned(),
            bundle: made,
            artifact: ARTIFACT.to_vec(),
            root: root.clone(),
            policy,
            expect,
            oracle,
        });
    };
    let base = Spec::new(t);
    let make = |spec: &Spec| w.make(ARTIFACT, spec, |_| {}).bundle;

    // Positives.
    push(
        "v0.3 hashedrekord",
        make(&base),
        &root,
        exact(),
        None,
        agrees(),
    );
    for (v, name) in [
        (Version::V02, "v0.2 hashedrekord"),
        (Version::V01, "v0.1 hashedrekord with proof"),
    ] {
        push(
            name,
            make(&Spec {
                version: v,
                ..base.clone()
            }),
            &root,
            exact(),
            None,
            agrees(),
        );
    }
    push(
        "v0.3 dsse in-toto",
        make(&Spec {
            dsse: true,
            ..base.clone()
        }),
        &root,
        exact(),
        None,
        agrees(),
    );
    push(
        "v0.2 chain with the intermediate",
        make(&Spec {
            version: Version::V02,
            extra_chain: 1,
            ..base.clone()
        }),
        &root,
        exact(),
        None,
        agrees(),
    );
    push(
        "v0.2 dsse in-toto",
        make(&Spec {
            dsse: true,
            version: Version::V02,
            ..base.clone()
        }),
        &root,
        exact(),
        None,
        agrees(),
    );
    for (size, index) in [
        (1, 0),
        (2, 1),
        (7, 6),
        (7, 3),
        (8, 0),
        (1025, 1024),
        (1025, 512),
    ] {
        push(
            &format!("tree {size} leaf {index}"),
            make(&Spec {
                tree_size: size,
                index,
                ..base.clone()
            }),
            &root,
            exact(),
            None,
            agrees(),
        );
    }
    let mut leaf_ends_now = base.clone();
    leaf_ends_now.leaf.not_after = t;
    push(
        "leaf notAfter = entry time (inclusive)",
        make(&leaf_ends_now),
        &root,
        exact(),
        None,
        agrees(),
    );
    let mut leaf_starts_now = base.clone();
    leaf_starts_now.leaf.not_before = t;
    push(
        "leaf notBefore = entry time (inclusive)",
        make(&leaf_starts_now),
        &root,
        exact(),
        None,
        agrees(),
    );
    let closed = w.trusted_root(&RootWindows {
        ca: (t, Some(t)),
        log: (t, Some(t)),
        root_only_ca: false,
    });
    push(
        "CA and log windows are exactly the entry time (closed)",
        make(&base),
        &closed,
        exact(),
        None,
        agrees(),
    );
    push(
        "anchored regexps",
        make(&base),
        &root,
        CasePolicy::Regex(
            r"https://github\.com/example/mcp-tools/\.github/workflows/release\.yml@refs/tags/v[0-9.]+".to_owned(),
            r"https://token\.actions\.githubusercontent\.com".to_owned(),
        ),
        None,
        agrees(),
    );
    push(
        "Fulcio claims",
        make(&base),
        &root,
        CasePolicy::Claims(
            IDENTITY.to_owned(),
            ISSUER.to_owned(),
            vec![
                (
                    "source-repository-uri".to_owned(),
                    "https://github.com/example/mcp-tools".to_owned(),
                ),
                (
                    "source-repository-ref".to_owned(),
                    "refs/tags/v1.4.0".to_owned(),
                ),
            ],
        ),
        None,
        agrees(),
    );
    let mut legacy = base.clone();
    legacy.leaf.issuer_v2 = None;
    push(
        "legacy issuer extension only (.1.1)",
        make(&legacy),
        &root,
        exact(),
        None,
        agrees(),
    );
    let mut v2_only = base.clone();
    v2_only.leaf.issuer_v1 = None;
    push(
        "issuer extension .1.8 only",
        make(&v2_only),
        &root,
        exact(),
        None,
        Oracle::Differs(
            IDENTITY.to_owned(),
            ISSUER.to_owned(),
            "sigstore-python's Identity policy reads only the legacy .1.1 issuer extension",
        ),
    );
    let keyed = w.make(
        ARTIFACT,
        &Spec {
            key_based: true,
            ..base.clone()
        },
        |_| {},
    );
    let key_pem = keyed.signer.public_pem();
    push(
        "key-based with the key",
        keyed.bundle.clone(),
        &root,
        CasePolicy::Key(Some(key_pem)),
        None,
        Oracle::NotApplicable("sigstore-python verifies only certificate bundles"),
    );
    push(
        "key-based without a key",
        keyed.bundle.clone(),
        &root,
        exact(),
        Some("input"),
        Oracle::NotApplicable("sigstore-python verifies only certificate bundles"),
    );
    push(
        "key-based with another key",
        keyed.bundle,
        &root,
        CasePolicy::Key(Some(EcKey::generate().public_pem())),
        Some("log entry body"),
        Oracle::NotApplicable("sigstore-python verifies only certificate bundles"),
    );

    // Identity.
    push(
        "SAN mismatch",
        make(&base),
        &root,
        CasePolicy::Exact(format!("{IDENTITY}x"), ISSUER.to_owned()),
        Some("identity"),
        Oracle::Agrees(format!("{IDENTITY}x"), ISSUER.to_owned()),
    );
    push(
        "issuer mismatch",
        make(&base),
        &root,
        CasePolicy::Exact(
            IDENTITY.to_owned(),
            "https://accounts.google.com".to_owned(),
        ),
        Some("identity"),
        Oracle::Agrees(
            IDENTITY.to_owned(),
            "https://accounts.google.com".to_owned(),
        ),
    );
    let mut trap = base.clone();
    trap.leaf.sans = vec![format!("https://evil.example/fork?{IDENTITY}")];
    push(
        "unanchored-regex trap",
        make(&trap),
        &root,
        CasePolicy::Regex(
            r"https://github\.com/example/mcp-tools/.*".to_owned(),
            r"https://token\.actions\.githubusercontent\.com".to_owned(),
        ),
        Some("identity"),
        agrees(),
    );
    push(
        "claim mismatch",
        make(&base),
        &root,
        CasePolicy::Claims(
            IDENTITY.to_owned(),
            ISSUER.to_owned(),
            vec![(
                "source-repository-ref".to_owned(),
                "refs/heads/main".to_owned(),
            )],
        ),
        Some("identity"),
        Oracle::NotApplicable("the oracle harness checks SAN and issuer only"),
    );

    // Time and certificate.
    let mut expired = base.clone();
    expired.leaf.not_after = t - 1;
    push(
        "certificate expired at the entry time",
        make(&expired),
        &root,
        exact(),
        Some("certificate"),
        agrees(),
    );
    let mut early = base.clone();
    early.leaf.not_before = t + 1;
    push(
        "certificate not yet valid at the entry time",
        make(&early),
        &root,
        exact(),
        Some("certificate"),
        agrees(),
    );
    let ca_closed = w.trusted_root(&RootWindows {
        ca: (t - 100, Some(t - 1)),
        ..RootWindows::around(t)
    });
    push(
        "CA window ends before the entry time",
        make(&base),
        &ca_closed,
        exact(),
        Some("certificate"),
        Oracle::Differs(
            IDENTITY.to_owned(),
            ISSUER.to_owned(),
            "sigstore-python ignores certificateAuthorities[].validFor (it trusts every listed CA certificate, expired windows included)",
        ),
    );
    let log_closed = w.trusted_root(&RootWindows {
        log: (t - 100, Some(t - 1)),
        ..RootWindows::around(t)
    });
    push(
        "log key window ends before the entry time",
        make(&base),
        &log_closed,
        exact(),
        Some("transparency log"),
        Oracle::Differs(
            IDENTITY.to_owned(),
            ISSUER.to_owned(),
            "sigstore-python checks a log key's validFor only against the current time's start, not the entry's time",
        ),
    );
    let future = t + 7200;
    let mut ahead = Spec::new(future);
    ahead.leaf = LeafSpec::fulcio(future - 60);
    push(
        "integrated time in the future",
        make(&ahead),
        &root,
        exact(),
        Some("time"),
        Oracle::Differs(
            IDENTITY.to_owned(),
            ISSUER.to_owned(),
            "sigstore-python does not compare the integrated time with the current time",
        ),
    );
    let mut no_eku = base.clone();
    no_eku.leaf.code_signing = false;
    push(
        "EKU serverAuth, not codeSigning",
        make(&no_eku),
        &root,
        exact(),
        Some("certificate"),
        agrees(),
    );
    let mut no_ds = base.clone();
    no_ds.leaf.digital_signature = false;
    push(
        "keyUsage without digitalSignature",
        make(&no_ds),
        &root,
        exact(),
        Some("certificate"),
        agrees(),
    );
    push(
        "bundle chain carries its own root",
        make(&Spec {
            version: Version::V02,
            extra_chain: 2,
            ..base.clone()
        }),
        &root,
        exact(),
        Some("certificate"),
        Oracle::Differs(
            IDENTITY.to_owned(),
            ISSUER.to_owned(),
            "sigstore-python only warns about a root CA in x509CertificateChain",
        ),
    );
    let root_only = w.trusted_root(&RootWindows {
        root_only_ca: true,
        ..RootWindows::around(t)
    });
    push(
        "intermediate only in the bundle, not the trusted root",
        make(&Spec {
            version: Version::V02,
            extra_chain: 1,
            ..base.clone()
        }),
        &root_only,
        exact(),
        Some("certificate"),
        agrees(),
    );
    {
        // A leaf from an attacker's CA whose intermediate rides in the bundle.
        let evil = World::new(t);
        let signer = EcKey::generate();
        let leaf = evil.leaf(&base.leaf, &signer, None);
        let mut made = w.make(
            ARTIFACT,
            &Spec {
                version: Version::V02,
                ..base.clone()
            },
            |_| {},
        );
        let sig = signer.sign(ARTIFACT);
        made.bundle["verificationMaterial"]["x509CertificateChain"]["certificates"] =
            json!([{"rawBytes": b64(&leaf)}, {"rawBytes": b64(&evil.intermediate.der)}]);
        made.bundle["messageSignature"]["signature"] = json!(b64(&sig));
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.1", "kind": "hashedrekord",
            "spec": {"data": {"hash": {"algorithm": "sha256", "value": hex(&sha256(ARTIFACT))}},
                     "signature": {"content": b64(&sig), "publicKey": {"content": b64(pinset::certificate::pem_encode(&leaf))}}},
        }))
        .unwrap();
        w.relog(&mut made.bundle, &body);
        push(
            "leaf from a CA not in the trusted root",
            made.bundle,
            &root,
            exact(),
            Some("certificate"),
            agrees(),
        );
    }

    // Transparency log.
    let mut b = make(&base);
    let h = entry(&mut b)["inclusionProof"]["hashes"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let mut raw = base64::engine::general_purpose::STANDARD.decode(h).unwrap();
    raw[0] ^= 1;
    entry(&mut b)["inclusionProof"]["hashes"][0] = json!(b64(&raw));
    push(
        "tampered proof hash",
        b,
        &root,
        exact(),
        Some("inclusion proof"),
        agrees(),
    );
    let mut b = make(&base);
    entry(&mut b)["inclusionProof"]["treeSize"] = json!("9");
    push(
        "wrong tree size",
        b,
        &root,
        exact(),
        Some("inclusion proof"),
        agrees(),
    );
    let mut b = make(&base);
    entry(&mut b)["inclusionProof"]["logIndex"] = json!("4");
    push(
        "wrong leaf index",
        b,
        &root,
        exact(),
        Some("inclusion proof"),
        agrees(),
    );
    let mut b = make(&base);
    let other = w.checkpoint(8, &[7u8; 32]);
    entry(&mut b)["inclusionProof"]["checkpoint"]["envelope"] = json!(other);
    push(
        "checkpoint root differs from the proof root",
        b,
        &root,
        exact(),
        Some("checkpoint"),
        agrees(),
    );
    let mut b = make(&base);
    let cp_root: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(
            entry(&mut b)["inclusionProof"]["rootHash"]
                .as_str()
                .unwrap(),
        )
        .unwrap()
        .try_into()
        .unwrap();
    entry(&mut b)["inclusionProof"]["checkpoint"]["envelope"] =
        json!(w.checkpoint_by(&EcKey::generate(), 8, &cp_root));
    push(
        "checkpoint signed by another key",
        b,
        &root,
        exact(),
        Some("checkpoint"),
        agrees(),
    );
    let mut b = make(&base);
    entry(&mut b)["integratedTime"] = json!((t - 30).to_string());
    push(
        "integrated time changed (SET no longer verifies)",
        b,
        &root,
        exact(),
        Some("signed entry timestamp"),
        agrees(),
    );
    let mut b = make(&base);
    entry(&mut b)
        .as_object_mut()
        .unwrap()
        .remove("inclusionPromise");
    push(
        "no inclusion promise (SET)",
        b,
        &root,
        exact(),
        Some("transparency log"),
        agrees(),
    );
    {
        // Downgrade: a v0.3 bundle rewritten as v0.1 with the inclusion proof removed.
        let mut b = make(&base);
        b["mediaType"] = json!(Version::V01.media_type());
        let cert = b["verificationMaterial"]["certificate"].take();
        let vm = b["verificationMaterial"].as_object_mut().unwrap();
        vm.remove("certificate");
        vm.insert(
            "x509CertificateChain".into(),
            json!({"certificates": [cert]}),
        );
        entry(&mut b)
            .as_object_mut()
            .unwrap()
            .remove("inclusionProof");
        push(
            "media-type downgrade to v0.1 with the proof removed",
            b,
            &root,
            exact(),
            Some("transparency log"),
            agrees(),
        );
    }
    let mut b = make(&Spec {
        version: Version::V01,
        ..base.clone()
    });
    entry(&mut b)
        .as_object_mut()
        .unwrap()
        .remove("inclusionProof");
    push(
        "v0.1 promise only",
        b,
        &root,
        exact(),
        Some("transparency log"),
        agrees(),
    );
    let mut b = make(&base);
    entry(&mut b)["inclusionProof"]["checkpoint"] = Value::Null;
    entry(&mut b)["inclusionProof"]
        .as_object_mut()
        .unwrap()
        .remove("checkpoint");
    push(
        "proof without checkpoint",
        b,
        &root,
        exact(),
        Some("transparency log"),
        agrees(),
    );

    // Entry body against the bundle (CVE-2022-36056 class): the log honestly recorded another entry.
    type Edit = (&'static str, fn(&mut Value));
    let edits: [Edit; 3] = [
        ("body records another signature", |body| {
            let s = body["spec"]["signature"]["content"]
                .as_str()
                .unwrap()
                .to_owned();
            let mut raw = base64::engine::general_purpose::STANDARD.decode(s).unwrap();
            let last = raw.len() - 1;
            raw[last] ^= 1;
            body["spec"]["signature"]["content"] = json!(b64(&raw));
        }),
        ("body records another artifact digest", |body| {
            body["spec"]["data"]["hash"]["value"] = json!(hex(&sha256(b"another artifact")));
        }),
        ("body records another certificate", |body| {
            let other = World::new(now());
            let leaf = other.leaf(&LeafSpec::fulcio(now()), &EcKey::generate(), None);
            body["spec"]["signature"]["publicKey"]["content"] =
                json!(b64(pinset::certificate::pem_encode(&leaf)));
        }),
    ];
    for (name, edit) in edits {
        push(
            name,
            w.make(ARTIFACT, &base, edit).bundle,
            &root,
            exact(),
            Some("log entry body"),
            agrees(),
        );
    }
    push(
        "dsse body records another payload hash",
        w.make(
            ARTIFACT,
            &Spec {
                dsse: true,
                ..base.clone()
            },
            |body| {
                body["spec"]["payloadHash"]["value"] = json!(hex(&sha256(b"x")));
            },
        )
        .bundle,
        &root,
        exact(),
        Some("log entry body"),
        agrees(),
    );
    {
        let mut b = make(&base);
        b["messageSignature"]["messageDigest"]["digest"] = json!(b64(sha256(b"another artifact")));
        push(
            "bundle message digest differs from the artifact",
            b,
            &root,
            exact(),
            Some("signature"),
            agrees(),
        );
    }
    {
        let mut b = make(&base);
        let e = entry(&mut b);
        e["kindVersion"] = json!({"kind": "intoto", "version": "0.0.2"});
        push(
            "intoto 0.0.2 entry (unsupported)",
            b,
            &root,
            exact(),
            Some("bundle"),
            agrees(),
        );
    }
    let b = make(&Spec {
        dsse: true,
        dsse_signatures: 2,
        ..base.clone()
    });
    push(
        "DSSE with two signatures",
        b,
        &root,
        exact(),
        Some("signature"),
        agrees(),
    );
    push(
        "DSSE subject is another artifact",
        make(&Spec {
            dsse: true,
            subject_sha256: Some(sha256(b"another artifact")),
            ..base.clone()
        }),
        &root,
        exact(),
        Some("signature"),
        agrees(),
    );
    push(
        "dsse body records another signature",
        w.make(
            ARTIFACT,
            &Spec {
                dsse: true,
                ..base.clone()
            },
            |body| {
                let s = body["spec"]["signatures"][0]["signature"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                let mut raw = base64::engine::general_purpose::STANDARD.decode(s).unwrap();
                let last = raw.len() - 1;
                raw[last] ^= 1;
                body["spec"]["signatures"][0]["signature"] = json!(b64(&raw));
            },
        )
        .bundle,
        &root,
        exact(),
        Some("log entry body"),
        agrees(),
    );
    // Rules without a case above.
    {
        let mut b = make(&base);
        entry(&mut b)["logId"]["keyId"] = json!(b64(sha256(b"another log")));
        w.resign_set(&mut b);
        push(
            "logId of no log in the trusted root",
            b,
            &root,
            exact(),
            Some("transparency log"),
            agrees(),
        );
    }
    push(
        "DSSE payload type is not in-toto",
        make(&Spec {
            dsse: true,
            payload_type: "text/plain",
            ..base.clone()
        }),
        &root,
        exact(),
        Some("signature"),
        agrees(),
    );
    push(
        "keyless bundle verified with a key",
        make(&base),
        &root,
        CasePolicy::Key(Some(EcKey::generate().public_pem())),
        Some("input"),
        Oracle::NotApplicable("sigstore-python verifies only certificate bundles"),
    );
    {
        let mut b = make(&base);
        let root_hash: [u8; 32] = base64::engine::general_purpose::STANDARD
            .decode(
                entry(&mut b)["inclusionProof"]["rootHash"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap()
            .try_into()
            .unwrap();
        entry(&mut b)["inclusionProof"]["checkpoint"]["envelope"] =
            json!(w.checkpoint(9, &root_hash));
        push(
            "checkpoint names another tree size, same root",
            b,
            &root,
            exact(),
            Some("checkpoint"),
            Oracle::Differs(
                IDENTITY.to_owned(),
                ISSUER.to_owned(),
                "sigstore-python compares only the checkpoint's root hash with the proof, not its tree size",
            ),
        );
    }
    let mut two_sans = base.clone();
    two_sans
        .leaf
        .sans
        .push("https://other.example/identity".to_owned());
    push(
        "two SAN identities",
        make(&two_sans),
        &root,
        exact(),
        Some("identity"),
        Oracle::Differs(
            IDENTITY.to_owned(),
            ISSUER.to_owned(),
            "sigstore-python accepts when any SAN equals the identity",
        ),
    );
    let mut disagree = base.clone();
    disagree.leaf.issuer_v2 = Some("https://accounts.google.com".to_owned());
    push(
        "issuer extensions .1.8 and .1.1 disagree",
        make(&disagree),
        &root,
        exact(),
        Some("identity"),
        Oracle::Differs(
            IDENTITY.to_owned(),
            ISSUER.to_owned(),
            "sigstore-python's Identity policy reads only the legacy .1.1 extension",
        ),
    );
    let mut repeated = base.clone();
    repeated
        .leaf
        .claims
        .push((14, "refs/heads/main".to_owned()));
    push(
        "a repeated certificate extension",
        make(&repeated),
        &root,
        exact(),
        Some("certificate"),
        agrees(),
    );
    for (name, dsse, step) in [
        ("substituted artifact", false, "log entry body"),
        ("substituted artifact (dsse)", true, "signature"),
    ] {
        out.push(Case {
            name: name.to_owned(),
            bundle: make(&Spec {
                dsse,
                ..base.clone()
            }),
            artifact: b"#!/bin/sh\necho 'a substituted binary'\n".to_vec(),
            root: root.clone(),
            policy: exact(),
            expect: Some(step),
            oracle: agrees(),
        });
    }
    out
}
