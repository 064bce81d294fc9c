//! Rekor entry bodies (`canonicalizedBody`): `hashedrekord` 0.0.1 and `dsse` 0.0.1, read
//! strictly so that they can be compared with the bundle (the CVE-2022-36056 class: a log
//! entry that does not describe this signature proves nothing about it).

use base64::Engine as _;
use serde::Deserialize;

use super::AttestError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Envelope<S> {
    api_version: String,
    kind: String,
    spec: S,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HashedRekordSpec {
    data: HrData,
    signature: HrSignature,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HrData {
    hash: Hash,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hash {
    algorithm: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HrSignature {
    content: String,
    public_key: HrKey,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HrKey {
    content: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DsseSpec {
    envelope_hash: Option<Hash>,
    payload_hash: Hash,
    signatures: Vec<DsseSig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DsseSig {
    signature: String,
    verifier: String,
}

/// The parts of an entry body compared with the bundle. `verifier_pem` is the PEM (certificate
/// or public key) the log recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    HashedRekord {
        artifact_sha256: [u8; 32],
        signature: Vec<u8>,
        verifier_pem: Vec<u8>,
    },
    Dsse {
        payload_sha256: [u8; 32],
        signatures: Vec<(Vec<u8>, Vec<u8>)>,
    },
}

fn invalid(kind: &str, m: impl std::fmt::Display) -> AttestError {
    AttestError::Bundle(format!("{kind} log entry body is not valid: {m}"))
}

fn sha256_hex(kind: &str, h: &Hash, what: &str) -> Result<[u8; 32], AttestError> {
    if h.algorithm != "sha256" {
        return Err(invalid(
            kind,
            format!("{what}.algorithm {:?} is not sha256", h.algorithm),
        ));
    }
    let v = h.value.as_bytes();
    if v.len() != 64
        || !v
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    {
        return Err(invalid(
            kind,
            format!("{what}.value is not 64 lowercase hex digits"),
        ));
    }
    let mut out = [0u8; 32];
    for (i, pair) in v.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).map_err(|e| invalid(kind, e))?;
        out[i] = u8::from_str_radix(s, 16).map_err(|e| invalid(kind, e))?;
    }
    Ok(out)
}

fn b64(kind: &str, what: &str, s: &str) -> Result<Vec<u8>, AttestError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| invalid(kind, format!("{what}: invalid base64: {e}")))
}

/// Parses the body of a supported entry kind (the caller checked `kind`/`version`).
pub(crate) fn parse(kind: &str, version: &str, body: &[u8]) -> Result<Body, AttestError> {
    let check = |k: &str, v: &str| -> Result<(), AttestError> {
        if k == kind && v == version {
            Ok(())
        } else {
            Err(AttestError::EntryBody(format!(
                "the body is a {k} {v} entry, but the bundle's kindVersion says {kind} {version}"
            )))
        }
    };
    match kind {
        "hashedrekord" => {
            let e: Envelope<HashedRekordSpec> =
                serde_json::from_slice(body).map_err(|e| invalid(kind, e))?;
            check(&e.kind, &e.api_version)?;
            Ok(Body::HashedRekord {
                artifact_sha256: sha256_hex(kind, &e.spec.data.hash, "spec.data.hash")?,
                signature: b64(kind, "spec.signature.content", &e.spec.signature.content)?,
                verifier_pem: b64(
                    kind,
                    "spec.signature.publicKey.content",
                    &e.spec.signature.public_key.content,
                )?,
            })
        }
        "dsse" => {
            let e: Envelope<DsseSpec> =
                serde_json::from_slice(body).map_err(|e| invalid(kind, e))?;
            check(&e.kind, &e.api_version)?;
            if let Some(h) = &e.spec.envelope_hash {
                sha256_hex(kind, h, "spec.envelopeHash")?;
            }
            Ok(Body::Dsse {
                payload_sha256: sha256_hex(kind, &e.spec.payload_hash, "spec.payloadHash")?,
                signatures: e
                    .spec
                    .signatures
                    .iter()
                    .map(|s| {
                        Ok((
                            b64(kind, "spec.signatures[].signature", &s.signature)?,
                            b64(kind, "spec.signatures[].verifier", &s.verifier)?,
                        ))
                    })
                    .collect::<Result<_, AttestError>>()?,
            })
        }
        _ => Err(invalid(kind, "unsupported kind")),
    }
}
