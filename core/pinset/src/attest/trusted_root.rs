//! `trusted_root.json` (`sigstore_trustroot.proto`, protobuf JSON): the transparency logs and
//! certificate authorities a verification may rely on, each with its validity window.

use base64::Engine as _;
use serde::Deserialize;

use super::AttestError;
use super::key::PublicKey;
use super::time::{Window, parse_rfc3339};

/// Largest trusted root accepted (4 MiB).
pub(crate) const MAX_TRUSTED_ROOT_BYTES: usize = 4 << 20;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawCa>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    base_url: Option<String>,
    public_key: RawKey,
    log_id: RawLogId,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    raw_bytes: String,
    key_details: Option<String>,
    valid_for: Option<RawWindow>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Debug, Deserialize)]
struct RawWindow {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCa {
    uri: Option<String>,
    cert_chain: RawChain,
    valid_for: Option<RawWindow>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawCert>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCert {
    raw_bytes: String,
}

/// A transparency log of the trusted root.
#[derive(Debug, Clone)]
pub(crate) struct Log {
    pub(crate) name: String,
    pub(crate) log_id: Vec<u8>,
    pub(crate) key: PublicKey,
    pub(crate) valid_for: Window,
}

/// A certificate authority of the trusted root: its chain (intermediates first, root last).
#[derive(Debug, Clone)]
pub(crate) struct Authority {
    pub(crate) name: String,
    pub(crate) intermediates: Vec<Vec<u8>>,
    pub(crate) root: Vec<u8>,
    pub(crate) valid_for: Window,
}

/// A parsed Sigstore trusted root (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`
/// or `…trustedroot.v0.2+json`). Only `tlogs` and `certificateAuthorities` are used; `ctlogs`
/// and `timestampAuthorities` are read past (SCTs and RFC 3161 timestamps are not verified in
/// this phase).
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    pub(crate) logs: Vec<Log>,
    pub(crate) authorities: Vec<Authority>,
}

fn err(msg: String) -> AttestError {
    AttestError::TrustedRoot(msg)
}

fn b64(what: &str, s: &str) -> Result<Vec<u8>, AttestError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| err(format!("{what}: invalid base64: {e}")))
}

fn window(what: &str, w: Option<RawWindow>) -> Result<Window, AttestError> {
    let w = w.ok_or_else(|| err(format!("{what}: missing validFor")))?;
    let start = w
        .start
        .ok_or_else(|| err(format!("{what}: validFor has no start")))?;
    let start = parse_rfc3339(&start).ok_or_else(|| {
        err(format!(
            "{what}: validFor.start {start:?} is not an RFC 3339 time"
        ))
    })?;
    let end = w
        .end
        .map(|e| {
            parse_rfc3339(&e).ok_or_else(|| {
                err(format!(
                    "{what}: validFor.end {e:?} is not an RFC 3339 time"
                ))
            })
        })
        .transpose()?;
    if end.is_some_and(|e| e < start) {
        return Err(err(format!("{what}: validFor ends before it starts")));
    }
    Ok(Window { start, end })
}

impl TrustedRoot {
    /// Parses `trusted_root.json`. Every log key must be a supported SPKI (ECDSA P-256/P-384,
    /// Ed25519) with a validity window, every certificate authority a chain ending in its root.
    pub fn from_json(json: &[u8]) -> Result<Self, AttestError> {
        if json.len() > MAX_TRUSTED_ROOT_BYTES {
            return Err(AttestError::TooLarge {
                what: "trusted root",
                len: json.len(),
                limit: MAX_TRUSTED_ROOT_BYTES,
            });
        }
        let raw: RawRoot = serde_json::from_slice(json)
            .map_err(|e| err(format!("not a Sigstore trusted root (JSON): {e}")))?;
        if !matches!(
            raw.media_type.as_str(),
            "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
                | "application/vnd.dev.sigstore.trustedroot.v0.2+json"
        ) {
            return Err(err(format!("unsupported media type {:?}", raw.media_type)));
        }
        let mut logs = Vec::with_capacity(raw.tlogs.len());
        for (i, l) in raw.tlogs.into_iter().enumerate() {
            let what = format!("tlogs[{i}]");
            let spki = b64(
                &format!("{what}.publicKey.rawBytes"),
                &l.public_key.raw_bytes,
            )?;
            let key = PublicKey::from_spki_der(&spki)
                .map_err(|e| err(format!("{what}.publicKey: {e}")))?;
            if let Some(details) = &l.public_key.key_details {
                key.check_details(details)
                    .map_err(|e| err(format!("{what}.publicKey.keyDetails: {e}")))?;
            }
            logs.push(Log {
                name: l.base_url.unwrap_or_else(|| what.clone()),
                log_id: b64(&format!("{what}.logId.keyId"), &l.log_id.key_id)?,
                key,
                valid_for: window(&format!("{what}.publicKey"), l.public_key.valid_for)?,
            });
        }
        let mut authorities = Vec::with_capacity(raw.certificate_authorities.len());
        for (i, ca) in raw.certificate_authorities.into_iter().enumerate() {
            let what = format!("certificateAuthorities[{i}]");
            let mut certs = ca
                .cert_chain
                .certificates
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    let der = b64(&format!("{what}.certChain.certificates[{j}]"), &c.raw_bytes)?;
                    crate::certificate::parse(&der)
                        .map_err(|e| err(format!("{what}.certChain.certificates[{j}]: {e}")))?;
                    Ok(der)
                })
                .collect::<Result<Vec<_>, AttestError>>()?;
            let root = certs
                .pop()
                .ok_or_else(|| err(format!("{what}: certChain has no certificates")))?;
            authorities.push(Authority {
                name: ca.uri.unwrap_or_else(|| what.clone()),
                intermediates: certs,
                root,
                valid_for: window(&what, ca.valid_for)?,
            });
        }
        Ok(Self { logs, authorities })
    }
}
