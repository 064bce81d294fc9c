//! The Sigstore bundle (`sigstore_bundle.proto`, protobuf JSON): parsed strictly into what the
//! verifier needs. The media type is unsigned, so it selects a layout but never relaxes a check.

use base64::Engine as _;
use serde::Deserialize;

use super::AttestError;

/// Largest bundle accepted (16 MiB).
pub(crate) const MAX_BUNDLE_BYTES: usize = 16 << 20;
/// Most hashes an inclusion proof may hold (a tree of 2^64 leaves needs 64).
const MAX_PROOF_HASHES: usize = 64;

/// The bundle format versions pinset reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleVersion {
    /// `application/vnd.dev.sigstore.bundle+json;version=0.1`
    V0_1,
    /// `application/vnd.dev.sigstore.bundle+json;version=0.2`
    V0_2,
    /// `application/vnd.dev.sigstore.bundle.v0.3+json` (or `…bundle+json;version=0.3`)
    V0_3,
}

impl BundleVersion {
    fn from_media_type(m: &str) -> Option<Self> {
        match m {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some(Self::V0_1),
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some(Self::V0_2),
            "application/vnd.dev.sigstore.bundle.v0.3+json"
            | "application/vnd.dev.sigstore.bundle+json;version=0.3" => Some(Self::V0_3),
            _ => None,
        }
    }
}

impl std::fmt::Display for BundleVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::V0_1 => "v0.1",
            Self::V0_2 => "v0.2",
            Self::V0_3 => "v0.3",
        })
    }
}

/// Standard base64 (padded), the protobuf JSON encoding of `bytes`.
pub(crate) fn b64(what: &str, s: &str) -> Result<Vec<u8>, AttestError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| AttestError::Bundle(format!("{what}: invalid base64: {e}")))
}

/// protobuf JSON writes int64 as a string; numbers are accepted too.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Int64 {
    Str(String),
    Num(i64),
}

impl Int64 {
    fn get(&self, what: &str) -> Result<i64, AttestError> {
        let v = match self {
            Self::Num(n) => *n,
            Self::Str(s) => s
                .parse::<i64>()
                .map_err(|_| AttestError::Bundle(format!("{what}: not an integer: {s:?}")))?,
        };
        if v < 0 {
            return Err(AttestError::Bundle(format!("{what}: negative ({v})")));
        }
        Ok(v)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBundle {
    media_type: String,
    verification_material: Option<RawMaterial>,
    message_signature: Option<RawMessageSignature>,
    dsse_envelope: Option<RawEnvelope>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMaterial {
    x509_certificate_chain: Option<RawChain>,
    certificate: Option<RawBytes>,
    public_key: Option<RawPublicKeyId>,
    #[serde(default)]
    tlog_entries: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawBytes>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytes {
    raw_bytes: String,
}

#[derive(Debug, Deserialize)]
struct RawPublicKeyId {
    hint: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    log_index: Int64,
    log_id: RawLogId,
    kind_version: RawKindVersion,
    integrated_time: Option<Int64>,
    inclusion_promise: Option<RawPromise>,
    inclusion_proof: Option<RawProof>,
    canonicalized_body: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Debug, Deserialize)]
struct RawKindVersion {
    kind: String,
    version: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPromise {
    signed_entry_timestamp: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProof {
    log_index: Int64,
    root_hash: String,
    tree_size: Int64,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: Option<RawCheckpoint>,
}

#[derive(Debug, Deserialize)]
struct RawCheckpoint {
    envelope: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessageSignature {
    message_digest: Option<RawDigest>,
    signature: String,
}

#[derive(Debug, Deserialize)]
struct RawDigest {
    algorithm: String,
    digest: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    payload: String,
    payload_type: String,
    #[serde(default)]
    signatures: Vec<RawDsseSignature>,
}

#[derive(Debug, Deserialize)]
struct RawDsseSignature {
    sig: String,
}

/// What signs: a certificate (keyless) or a key the caller supplies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Material {
    /// The leaf certificate (DER) and, for v0.1/v0.2 chains, the other certificates.
    Certificate { leaf: Vec<u8>, rest: Vec<Vec<u8>> },
    /// A key-based bundle: the (unsigned) key hint.
    PublicKey { hint: Option<String> },
}

/// The signed content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    /// A signature over the artifact; `digest` is the bundle's (unsigned) SHA-256 claim.
    Message {
        digest: Option<[u8; 32]>,
        signature: Vec<u8>,
    },
    /// A DSSE envelope; verification requires exactly one signature.
    Dsse {
        payload: Vec<u8>,
        payload_type: String,
        signatures: Vec<Vec<u8>>,
    },
}

/// An inclusion proof with its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proof {
    pub(crate) log_index: u64,
    pub(crate) root_hash: [u8; 32],
    pub(crate) tree_size: u64,
    pub(crate) hashes: Vec<[u8; 32]>,
    pub(crate) checkpoint: Option<String>,
}

/// One transparency log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) log_index: i64,
    pub(crate) log_id: Vec<u8>,
    pub(crate) kind: String,
    pub(crate) version: String,
    pub(crate) integrated_time: Option<i64>,
    pub(crate) set: Option<Vec<u8>>,
    pub(crate) proof: Option<Proof>,
    pub(crate) body: Vec<u8>,
}

/// A parsed bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bundle {
    pub(crate) version: BundleVersion,
    pub(crate) material: Material,
    pub(crate) content: Content,
    pub(crate) entry: Entry,
}

fn hash32(what: &str, s: &str) -> Result<[u8; 32], AttestError> {
    let v = b64(what, s)?;
    <[u8; 32]>::try_from(v.as_slice())
        .map_err(|_| AttestError::Bundle(format!("{what}: {} bytes, expected 32", v.len())))
}

fn bad(msg: &str) -> AttestError {
    AttestError::Bundle(msg.to_owned())
}

/// Parses a bundle. Structure only: nothing here is trusted yet.
pub(crate) fn parse(json: &[u8]) -> Result<Bundle, AttestError> {
    if json.len() > MAX_BUNDLE_BYTES {
        return Err(AttestError::TooLarge {
            what: "bundle",
            len: json.len(),
            limit: MAX_BUNDLE_BYTES,
        });
    }
    let raw: RawBundle = serde_json::from_slice(json)
        .map_err(|e| AttestError::Bundle(format!("not a Sigstore bundle (JSON): {e}")))?;
    let version = BundleVersion::from_media_type(&raw.media_type)
        .ok_or_else(|| AttestError::MediaType(raw.media_type.clone()))?;
    let vm = raw
        .verification_material
        .ok_or_else(|| bad("missing verificationMaterial"))?;
    let material = match (vm.x509_certificate_chain, vm.certificate, vm.public_key) {
        (Some(chain), None, None) => {
            if version == BundleVersion::V0_3 {
                return Err(bad(
                    "a v0.3 bundle carries a single `certificate`, not `x509CertificateChain`",
                ));
            }
            let mut certs = chain
                .certificates
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    b64(
                        &format!("x509CertificateChain.certificates[{i}]"),
                        &c.raw_bytes,
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            if certs.is_empty() {
                return Err(bad("x509CertificateChain has no certificates"));
            }
            let leaf = certs.remove(0);
            Material::Certificate { leaf, rest: certs }
        }
        (None, Some(cert), None) => {
            if version != BundleVersion::V0_3 {
                return Err(bad(&format!(
                    "a {version} bundle carries `x509CertificateChain`, not `certificate`"
                )));
            }
            Material::Certificate {
                leaf: b64("certificate.rawBytes", &cert.raw_bytes)?,
                rest: Vec::new(),
            }
        }
        (None, None, Some(pk)) => Material::PublicKey { hint: pk.hint },
        (None, None, None) => {
            return Err(bad(
                "verificationMaterial has no x509CertificateChain, certificate or publicKey",
            ));
        }
        _ => {
            return Err(bad(
                "verificationMaterial has more than one kind of key material",
            ));
        }
    };
    let content = match (raw.message_signature, raw.dsse_envelope) {
        (Some(ms), None) => {
            let digest = match ms.message_digest {
                None => None,
                Some(d) => {
                    if d.algorithm != "SHA2_256" {
                        return Err(AttestError::Bundle(format!(
                            "messageSignature.messageDigest.algorithm {:?} is not SHA2_256",
                            d.algorithm
                        )));
                    }
                    Some(hash32("messageSignature.messageDigest.digest", &d.digest)?)
                }
            };
            Content::Message {
                digest,
                signature: b64("messageSignature.signature", &ms.signature)?,
            }
        }
        (None, Some(env)) => Content::Dsse {
            payload: b64("dsseEnvelope.payload", &env.payload)?,
            payload_type: env.payload_type,
            signatures: env
                .signatures
                .iter()
                .enumerate()
                .map(|(i, s)| b64(&format!("dsseEnvelope.signatures[{i}].sig"), &s.sig))
                .collect::<Result<_, _>>()?,
        },
        (None, None) => return Err(bad("bundle has neither messageSignature nor dsseEnvelope")),
        (Some(_), Some(_)) => return Err(bad("bundle has both messageSignature and dsseEnvelope")),
    };
    if vm.tlog_entries.len() != 1 {
        return Err(AttestError::Bundle(format!(
            "bundle has {} transparency log entries; exactly one is required",
            vm.tlog_entries.len()
        )));
    }
    let e = vm
        .tlog_entries
        .into_iter()
        .next()
        .ok_or_else(|| bad("no tlog entry"))?;
    let proof = match e.inclusion_proof {
        None => None,
        Some(p) => {
            if p.hashes.len() > MAX_PROOF_HASHES {
                return Err(bad("inclusionProof has more than 64 hashes"));
            }
            Some(Proof {
                log_index: p.log_index.get("inclusionProof.logIndex")?.unsigned_abs(),
                root_hash: hash32("inclusionProof.rootHash", &p.root_hash)?,
                tree_size: p.tree_size.get("inclusionProof.treeSize")?.unsigned_abs(),
                hashes: p
                    .hashes
                    .iter()
                    .enumerate()
                    .map(|(i, h)| hash32(&format!("inclusionProof.hashes[{i}]"), h))
                    .collect::<Result<_, _>>()?,
                checkpoint: p.checkpoint.map(|c| c.envelope),
            })
        }
    };
    let entry = Entry {
        log_index: e.log_index.get("tlogEntries[0].logIndex")?,
        log_id: b64("tlogEntries[0].logId.keyId", &e.log_id.key_id)?,
        kind: e.kind_version.kind,
        version: e.kind_version.version,
        integrated_time: e
            .integrated_time
            .map(|t| t.get("tlogEntries[0].integratedTime"))
            .transpose()?,
        set: e
            .inclusion_promise
            .map(|p| {
                b64(
                    "inclusionPromise.signedEntryTimestamp",
                    &p.signed_entry_timestamp,
                )
            })
            .transpose()?,
        proof,
        body: b64("tlogEntries[0].canonicalizedBody", &e.canonicalized_body)?,
    };
    Ok(Bundle {
        version,
        material,
        content,
        entry,
    })
}
