//! Offline verification of Sigstore bundles (feature `attest`): is this artifact signed by the
//! expected build identity, recorded in a transparency log pinset trusts?
//!
//! [`verify_bundle`] follows sigstore-go's order and never touches the network:
//!
//! 1. **Bundle**: v0.1, v0.2, v0.3. The media type is unsigned, so it only selects the layout:
//!    an inclusion proof with a signed checkpoint is required for every version, a promise-only
//!    entry is refused. Entry kinds `hashedrekord` 0.0.1 and `dsse` 0.0.1; others are refused.
//! 2. **Transparency log**: the log is found by `logId` in the trusted root; the signed entry
//!    timestamp (SET) must verify over the canonical JSON of body, integratedTime, logID and
//!    logIndex; the log key must be valid at that time; the RFC 6962 inclusion proof must lead
//!    to `rootHash` at `treeSize`, and the checkpoint signed by the log key must name the same
//!    root and size. The entry body must describe this signature, certificate or key and artifact.
//! 3. **Time**: only the SET's integrated time (verified in step 2) is used. RFC 3161 timestamps
//!    are not verified in this phase, so bundles without a SET (Rekor v2) are refused.
//! 4. **Certificate**: the leaf chains, at that time, to a certificate authority of the trusted
//!    root whose window holds the time, through that authority's intermediates only (never the
//!    bundle's), with EKU codeSigning and keyUsage digitalSignature; a bundle chain carrying a
//!    root is refused. Embedded SCTs are not verified in this phase.
//! 5. **Signature** over the artifact (message signature) or over the DSSE PAE (exactly one
//!    signature; the in-toto statement must name the artifact's SHA-256 as a subject).
//! 6. **Identity**: SAN and OIDC issuer (exact or anchored regex), optional Fulcio claims. Or,
//!    for key-based bundles, the caller's key.
//!
//! Every validity window of the trusted root is a closed interval (both ends inclusive).

mod body;
mod bundle;
mod cert;
mod error;
mod key;
mod policy;
mod time;
mod tlog;
mod trusted_root;

use ring::digest::{SHA256, digest};
use rustls_pki_types::UnixTime;

pub use bundle::BundleVersion;
pub use cert::{CertificateIdentity, FulcioClaim};
pub use error::AttestError;
pub use policy::{AnchoredRegex, IdentityPolicy, Matcher, Policy, VerificationKey};
pub use trusted_root::TrustedRoot;

use body::Body;
use bundle::{Content, Material};
use key::PublicKey;
use time::{Instant, format_unix};

/// The artifact a bundle is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// The artifact's bytes (needed for message signatures: ring verifies ECDSA over the
    /// message, not over a precomputed digest).
    Bytes(&'a [u8]),
    /// Only the artifact's SHA-256 digest: enough for DSSE (in-toto) bundles; a message-signature
    /// bundle then fails at the signature step, asking for the bytes.
    Sha256([u8; 32]),
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The bundle format.
    pub version: BundleVersion,
    /// The signer's certificate identity (keyless bundles), `None` for key-based bundles.
    pub identity: Option<CertificateIdentity>,
    /// The certificate authority of the trusted root the leaf chained to (keyless bundles).
    pub authority: Option<String>,
    /// The transparency log (its `baseUrl` in the trusted root).
    pub log: String,
    /// The entry's index in the log.
    pub log_index: i64,
    /// The verified time (the SET's integrated time), Unix seconds.
    pub integrated_time: i64,
    /// The entry kind (`hashedrekord` or `dsse`).
    pub kind: String,
    /// The artifact's SHA-256.
    pub artifact_sha256: [u8; 32],
}

impl Verified {
    /// The verified time as `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn time_rfc3339(&self) -> String {
        format_unix(self.integrated_time)
    }
}

const IN_TOTO: &str = "application/vnd.in-toto+json";

fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, data).as_ref());
    out
}

/// DSSE pre-authentication encoding: `DSSEv1 SP len(type) SP type SP len(body) SP body`.
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// True when the in-toto statement names `digest` (SHA-256) as a subject.
fn in_toto_names(payload: &[u8], digest: &[u8; 32]) -> Result<bool, AttestError> {
    #[derive(serde::Deserialize)]
    struct Statement {
        #[serde(rename = "_type")]
        kind: String,
        subject: Vec<Subject>,
    }
    #[derive(serde::Deserialize)]
    struct Subject {
        #[serde(default)]
        digest: std::collections::BTreeMap<String, String>,
    }
    let st: Statement = serde_json::from_slice(payload).map_err(|e| {
        AttestError::Signature(format!("the DSSE payload is not an in-toto statement: {e}"))
    })?;
    if !matches!(
        st.kind.as_str(),
        "https://in-toto.io/Statement/v1" | "https://in-toto.io/Statement/v0.1"
    ) {
        return Err(AttestError::Signature(format!(
            "unknown in-toto statement type {:?}",
            st.kind
        )));
    }
    let want = tlog::hex(digest);
    Ok(st.subject.iter().any(|s| {
        s.digest
            .get("sha256")
            .is_some_and(|d| d.eq_ignore_ascii_case(&want))
    }))
}

/// The parsers behind [`verify_bundle`] on arbitrary bytes, for the fuzz targets
/// (`crate::fuzzing`): bundle, entry body, checkpoint note, inclusion proof arithmetic, the
/// signed entry timestamp's canonical payload, certificate identity, the in-toto statement.
pub(crate) fn fuzz_parsers(data: &[u8]) {
    use base64::Engine as _;
    // An Ed25519 SPKI: signatures never verify, the parsing around them runs.
    let spki = base64::engine::general_purpose::STANDARD
        .decode("MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=")
        .unwrap_or_default();
    let Ok(key) = PublicKey::from_spki_der(&spki) else {
        return;
    };
    if let Ok(b) = bundle::parse(data) {
        let _ = body::parse(&b.entry.kind, &b.entry.version, &b.entry.body);
        if let Some(p) = &b.entry.proof {
            let _ = tlog::verify_inclusion(&b.entry.body, p);
            if let Some(cp) = &p.checkpoint {
                let _ = tlog::verify_checkpoint(cp, &b.entry.log_id, &key);
            }
        }
        if let (Some(t), Some(set)) = (b.entry.integrated_time, &b.entry.set) {
            let _ = tlog::verify_set(&b.entry, t, set, &key);
        }
        if let Material::Certificate { leaf, .. } = &b.material {
            let _ = cert::identity(leaf);
        }
        if let Content::Dsse { payload, .. } = &b.content {
            let _ = in_toto_names(payload, &[0; 32]);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tlog::verify_checkpoint(text, &[0; 32], &key);
    }
    let _ = body::parse("hashedrekord", "0.0.1", data);
    let _ = body::parse("dsse", "0.0.1", data);
}

/// Verifies a Sigstore bundle for an artifact, offline, against a trusted root and a policy.
/// `now` bounds the verified time (a log entry from the future is refused). Returns what was
/// established, or the first step that failed (see [`AttestError`]).
pub fn verify_bundle(
    bundle_json: &[u8],
    artifact: Artifact<'_>,
    trusted_root: &TrustedRoot,
    policy: &Policy,
    now: UnixTime,
) -> Result<Verified, AttestError> {
    let b = bundle::parse(bundle_json)?;
    // Key material against the policy.
    let signer_key = match (&b.material, policy) {
        (Material::Certificate { leaf, .. }, Policy::Identity(_)) => {
            PublicKey::of_certificate(leaf)
                .map_err(|e| AttestError::Bundle(format!("signing certificate: {e}")))?
        }
        (Material::PublicKey { .. }, Policy::Key(k)) => k.0.clone(),
        (Material::PublicKey { .. }, Policy::Identity(_)) => {
            return Err(AttestError::Material(
                "the bundle is key-based (publicKey): supply the public key (--key)".into(),
            ));
        }
        (Material::Certificate { .. }, Policy::Key(_)) => {
            return Err(AttestError::Material(
                "the bundle carries a certificate (keyless); a key applies only to key-based bundles: verify with the certificate identity and OIDC issuer instead".into(),
            ));
        }
    };
    let e = &b.entry;
    match (e.kind.as_str(), e.version.as_str(), &b.content) {
        ("hashedrekord", "0.0.1", Content::Message { .. })
        | ("dsse", "0.0.1", Content::Dsse { .. }) => {}
        ("hashedrekord", "0.0.1", _) | ("dsse", "0.0.1", _) => {
            return Err(AttestError::EntryBody(format!(
                "a {} entry does not describe this bundle's {} content",
                e.kind,
                if matches!(b.content, Content::Dsse { .. }) {
                    "DSSE"
                } else {
                    "message signature"
                }
            )));
        }
        _ => {
            return Err(AttestError::UnsupportedEntry {
                kind: e.kind.clone(),
                version: e.version.clone(),
            });
        }
    }
    let body = body::parse(&e.kind, &e.version, &e.body)?;

    // Step 2: transparency log.
    let log = trusted_root
        .logs
        .iter()
        .find(|l| l.log_id == e.log_id)
        .ok_or_else(|| {
            AttestError::TransparencyLog(format!(
                "no log in the trusted root has the entry's logId {}",
                tlog::hex(&e.log_id)
            ))
        })?;
    let proof = e.proof.as_ref().ok_or_else(|| {
        AttestError::TransparencyLog(format!(
            "the entry has no inclusion proof; one is required for every bundle version (this is a {} bundle)",
            b.version
        ))
    })?;
    let checkpoint = proof.checkpoint.as_deref().ok_or_else(|| {
        AttestError::TransparencyLog(
            "the inclusion proof has no checkpoint; a signed checkpoint is required".into(),
        )
    })?;
    let (Some(set), Some(integrated_time)) = (e.set.as_deref(), e.integrated_time) else {
        return Err(AttestError::TransparencyLog(
            "the entry has no inclusion promise (signed entry timestamp) with an integrated time: it is the only verified time source in this phase (RFC 3161 timestamps are not supported yet)".into(),
        ));
    };
    tlog::verify_set(e, integrated_time, set, &log.key)?;
    if !log.valid_for.contains(Instant::from_secs(integrated_time)) {
        return Err(AttestError::TransparencyLog(format!(
            "the key of log {} is valid for {}, not at the entry's time {}",
            log.name,
            log.valid_for,
            format_unix(integrated_time)
        )));
    }
    tlog::verify_inclusion(&e.body, proof)?;
    let cp = tlog::verify_checkpoint(checkpoint, &log.log_id, &log.key)?;
    if cp.root != proof.root_hash || cp.size != proof.tree_size {
        return Err(AttestError::Checkpoint(format!(
            "the checkpoint names tree size {} and root {}, the inclusion proof tree size {} and root {}",
            cp.size,
            tlog::hex(&cp.root),
            proof.tree_size,
            tlog::hex(&proof.root_hash)
        )));
    }

    // Step 3: time.
    let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if integrated_time > now_secs {
        return Err(AttestError::Time(format!(
            "the entry's integrated time {} is after now ({})",
            format_unix(integrated_time),
            format_unix(now_secs)
        )));
    }

    // The artifact digest, and the entry body against the bundle.
    let artifact_sha256 = match artifact {
        Artifact::Bytes(bytes) => sha256(bytes),
        Artifact::Sha256(d) => d,
    };
    let verifier_matches = |pem: &[u8]| -> bool {
        match &b.material {
            Material::Certificate { leaf, .. } => {
                crate::certificate::parse_one_pem_certificate(pem).is_ok_and(|der| der == *leaf)
            }
            Material::PublicKey { .. } => {
                PublicKey::from_pem_or_der(pem).is_ok_and(|k| k.spki == signer_key.spki)
            }
        }
    };
    match (&body, &b.content) {
        (
            Body::HashedRekord {
                artifact_sha256: logged,
                signature,
                verifier_pem,
            },
            Content::Message {
                signature: bundle_sig,
                ..
            },
        ) => {
            if *logged != artifact_sha256 {
                return Err(AttestError::EntryBody(format!(
                    "the entry records artifact sha256 {}, the artifact is {}",
                    tlog::hex(logged),
                    tlog::hex(&artifact_sha256)
                )));
            }
            if signature != bundle_sig {
                return Err(AttestError::EntryBody(
                    "the entry records another signature than the bundle's".into(),
                ));
            }
            if !verifier_matches(verifier_pem) {
                return Err(AttestError::EntryBody(
                    "the entry records another certificate or key than the bundle's signer".into(),
                ));
            }
        }
        (
            Body::Dsse {
                payload_sha256,
                signatures,
            },
            Content::Dsse {
                payload,
                signatures: bundle_sigs,
                ..
            },
        ) => {
            if *payload_sha256 != sha256(payload) {
                return Err(AttestError::EntryBody(
                    "the entry records another DSSE payload hash than the envelope's".into(),
                ));
            }
            let same = signatures.len() == bundle_sigs.len()
                && signatures
                    .iter()
                    .zip(bundle_sigs)
                    .all(|((sig, verifier), bundle_sig)| {
                        sig == bundle_sig && verifier_matches(verifier)
                    });
            if !same {
                return Err(AttestError::EntryBody(
                    "the entry records other DSSE signatures or verifiers than the envelope's"
                        .into(),
                ));
            }
        }
        _ => {
            return Err(AttestError::EntryBody(
                "the entry body does not describe this bundle's content".into(),
            ));
        }
    }

    // Step 4: certificate at the verified time.
    let authority = match &b.material {
        Material::Certificate { leaf, rest } => Some(cert::verify_chain(
            leaf,
            rest,
            trusted_root,
            integrated_time,
        )?),
        Material::PublicKey { .. } => None,
    };

    // Step 5: signature.
    match &b.content {
        Content::Message { digest, signature } => {
            if let Some(d) = digest {
                if *d != artifact_sha256 {
                    return Err(AttestError::Signature(format!(
                        "the bundle's message digest {} is not the artifact's sha256 {}",
                        tlog::hex(d),
                        tlog::hex(&artifact_sha256)
                    )));
                }
            }
            let Artifact::Bytes(bytes) = artifact else {
                return Err(AttestError::Signature(
                    "a message signature is verified over the artifact's bytes; only its digest was given".into(),
                ));
            };
            if !signer_key.verify(bytes, signature) {
                return Err(AttestError::Signature(
                    "the signature does not verify over the artifact with the signer's key".into(),
                ));
            }
        }
        Content::Dsse {
            payload,
            payload_type,
            signatures,
        } => {
            let [signature] = signatures.as_slice() else {
                return Err(AttestError::Signature(format!(
                    "the DSSE envelope has {} signatures; exactly one is required",
                    signatures.len()
                )));
            };
            if !signer_key.verify(&pae(payload_type, payload), signature) {
                return Err(AttestError::Signature(
                    "the DSSE signature does not verify over the PAE with the signer's key".into(),
                ));
            }
            if payload_type != IN_TOTO {
                return Err(AttestError::Signature(format!(
                    "the DSSE payload type {payload_type:?} is not {IN_TOTO}: nothing binds it to the artifact"
                )));
            }
            if !in_toto_names(payload, &artifact_sha256)? {
                return Err(AttestError::Signature(format!(
                    "the in-toto statement has no subject with the artifact's sha256 {}",
                    tlog::hex(&artifact_sha256)
                )));
            }
        }
    }

    // Step 6: identity.
    let identity = match (&b.material, policy) {
        (Material::Certificate { leaf, .. }, Policy::Identity(p)) => {
            let id = cert::identity(leaf)?;
            p.check(&id)?;
            Some(id)
        }
        _ => None,
    };
    Ok(Verified {
        version: b.version,
        identity,
        authority,
        log: log.name.clone(),
        log_index: e.log_index,
        integrated_time,
        kind: e.kind.clone(),
        artifact_sha256,
    })
}
