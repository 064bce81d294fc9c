//! The signing certificate: its chain to a certificate authority of the trusted root (webpki,
//! EKU codeSigning) at the verified time, and the Fulcio identity it carries (SAN, OIDC issuer,
//! further claims), read with pinset's DER reader.

use rustls_pki_types::{CertificateDer, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use super::AttestError;
use super::time::{Instant, format_unix};
use super::trusted_root::TrustedRoot;
use crate::certificate::tlv;

/// id-kp-codeSigning, 1.3.6.1.5.5.7.3.3 (OID content bytes).
const OID_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];
const OID_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
/// 1.3.6.1.4.1.57264.1 (Sigstore's Fulcio arc), without the last arc.
const FULCIO_ARC: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01];

/// One X.509v3 extension: (OID content, critical, extnValue contents).
type Extension<'a> = (&'a [u8], bool, &'a [u8]);

fn der_err(e: crate::certificate::CertDerError) -> AttestError {
    AttestError::Certificate(format!("signing certificate: {e}"))
}

/// The extensions of a DER certificate, in order (the structure checked by
/// [`crate::certificate::parse`]); a repeated extension is refused.
fn extensions(cert: &[u8]) -> Result<Vec<Extension<'_>>, AttestError> {
    let parts = crate::certificate::parse(cert).map_err(der_err)?;
    let exts = crate::certificate::extensions(parts.extensions).map_err(der_err)?;
    let mut out: Vec<Extension<'_>> = Vec::with_capacity(exts.len());
    for e in exts {
        if out.iter().any(|(o, _, _)| *o == e.oid) {
            return Err(AttestError::Certificate(
                "signing certificate repeats an extension".into(),
            ));
        }
        out.push((e.oid, e.critical, e.value));
    }
    Ok(out)
}

/// The Fulcio claims pinset can require (OIDs 1.3.6.1.4.1.57264.1.N, DER UTF8String values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FulcioClaim {
    /// `.1.9` Build Signer URI (the workflow file at a ref).
    BuildSignerUri,
    /// `.1.10` Build Signer Digest.
    BuildSignerDigest,
    /// `.1.11` Runner Environment (`github-hosted`, `self-hosted`).
    RunnerEnvironment,
    /// `.1.12` Source Repository URI.
    SourceRepositoryUri,
    /// `.1.13` Source Repository Digest (commit).
    SourceRepositoryDigest,
    /// `.1.14` Source Repository Ref (`refs/tags/v1.4.0`).
    SourceRepositoryRef,
    /// `.1.18` Build Config URI.
    BuildConfigUri,
    /// `.1.20` Build Trigger (`push`, `release`).
    BuildTrigger,
    /// `.1.21` Run Invocation URI.
    RunInvocationUri,
}

impl FulcioClaim {
    /// Every claim, in OID order.
    pub const ALL: [Self; 9] = [
        Self::BuildSignerUri,
        Self::BuildSignerDigest,
        Self::RunnerEnvironment,
        Self::SourceRepositoryUri,
        Self::SourceRepositoryDigest,
        Self::SourceRepositoryRef,
        Self::BuildConfigUri,
        Self::BuildTrigger,
        Self::RunInvocationUri,
    ];

    /// The last arc of the claim's OID under 1.3.6.1.4.1.57264.1.
    pub fn arc(self) -> u8 {
        match self {
            Self::BuildSignerUri => 9,
            Self::BuildSignerDigest => 10,
            Self::RunnerEnvironment => 11,
            Self::SourceRepositoryUri => 12,
            Self::SourceRepositoryDigest => 13,
            Self::SourceRepositoryRef => 14,
            Self::BuildConfigUri => 18,
            Self::BuildTrigger => 20,
            Self::RunInvocationUri => 21,
        }
    }

    /// The claim's name as the manifest and CLI spell it (`source-repository-ref`).
    pub fn name(self) -> &'static str {
        match self {
            Self::BuildSignerUri => "build-signer-uri",
            Self::BuildSignerDigest => "build-signer-digest",
            Self::RunnerEnvironment => "runner-environment",
            Self::SourceRepositoryUri => "source-repository-uri",
            Self::SourceRepositoryDigest => "source-repository-digest",
            Self::SourceRepositoryRef => "source-repository-ref",
            Self::BuildConfigUri => "build-config-uri",
            Self::BuildTrigger => "build-trigger",
            Self::RunInvocationUri => "run-invocation-uri",
        }
    }

    /// The claim with this name, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// The identity a Fulcio certificate carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateIdentity {
    /// The one SAN identity (URI, email, or Sigstore otherName).
    pub san: String,
    /// The OIDC issuer (`.1.8`, or the legacy `.1.1`).
    pub issuer: String,
    /// Further Fulcio claims present in the certificate.
    pub claims: Vec<(FulcioClaim, String)>,
}

fn fulcio_arc(oid: &[u8]) -> Option<u8> {
    match oid.strip_prefix(FULCIO_ARC) {
        Some([n]) if *n < 0x80 => Some(*n),
        _ => None,
    }
}

fn utf8_string(value: &[u8], what: &str) -> Result<String, AttestError> {
    let bad = || AttestError::Identity(format!("{what} is not a DER UTF8String"));
    let (s, rest) = tlv(value, 0, 0x0c, "UTF8String").map_err(|_| bad())?;
    if !rest.is_empty() {
        return Err(bad());
    }
    String::from_utf8(s.to_vec()).map_err(|_| bad())
}

fn ia5(s: &[u8], what: &str) -> Result<String, AttestError> {
    if !s.is_ascii() {
        return Err(AttestError::Identity(format!("{what} is not IA5 (ASCII)")));
    }
    String::from_utf8(s.to_vec()).map_err(|_| AttestError::Identity(format!("{what} is not ASCII")))
}

/// The SAN values Sigstore identities use: URIs, emails, and the `.1.7` otherName.
fn san_values(value: &[u8]) -> Result<Vec<String>, AttestError> {
    let bad = |m: &str| AttestError::Identity(format!("subjectAltName: {m}"));
    let (mut names, rest) =
        tlv(value, 0, 0x30, "GeneralNames").map_err(|_| bad("not a SEQUENCE"))?;
    if !rest.is_empty() {
        return Err(bad("trailing data"));
    }
    let mut out = Vec::new();
    while let Some(&tag) = names.first() {
        let (body, rest) =
            tlv(names, 0, tag, "GeneralName").map_err(|_| bad("malformed GeneralName"))?;
        match tag {
            0x81 => out.push(ia5(body, "rfc822Name")?),
            0x86 => out.push(ia5(body, "uniformResourceIdentifier")?),
            0xa0 => {
                let (oid, rest) =
                    tlv(body, 0, 0x06, "otherName type").map_err(|_| bad("malformed otherName"))?;
                if fulcio_arc(oid) == Some(7) {
                    let (inner, _) = tlv(rest, 0, 0xa0, "otherName value")
                        .map_err(|_| bad("malformed otherName"))?;
                    out.push(utf8_string(inner, "otherName")?);
                }
            }
            _ => {}
        }
        names = rest;
    }
    Ok(out)
}

/// Reads the identity of a signing certificate. Exactly one SAN identity is required; the
/// issuer comes from `.1.8` (DER UTF8String), or from the legacy `.1.1` (raw bytes) when `.1.8`
/// is absent; if both are present they must agree.
pub(crate) fn identity(leaf: &[u8]) -> Result<CertificateIdentity, AttestError> {
    let exts = extensions(leaf)?;
    let mut sans = Vec::new();
    let (mut issuer_v2, mut issuer_v1, mut claims) = (None, None, Vec::new());
    for (oid, _, value) in &exts {
        if *oid == OID_SAN {
            sans = san_values(value)?;
        } else if let Some(arc) = fulcio_arc(oid) {
            match arc {
                1 => {
                    issuer_v1 = Some(String::from_utf8(value.to_vec()).map_err(|_| {
                        AttestError::Identity("OIDC issuer (.1.1) is not UTF-8".into())
                    })?);
                }
                8 => issuer_v2 = Some(utf8_string(value, "OIDC issuer (.1.8)")?),
                n => {
                    if let Some(c) = FulcioClaim::ALL.into_iter().find(|c| c.arc() == n) {
                        claims.push((c, utf8_string(value, c.name())?));
                    }
                }
            }
        }
    }
    let san = match sans.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(AttestError::Identity(
                "the certificate has no URI, email or otherName SAN".into(),
            ));
        }
        many => {
            return Err(AttestError::Identity(format!(
                "the certificate has {} SAN identities; exactly one is required",
                many.len()
            )));
        }
    };
    let issuer = match (issuer_v2, issuer_v1) {
        (Some(v2), Some(v1)) if v2 != v1 => {
            return Err(AttestError::Identity(format!(
                "the certificate's OIDC issuer extensions disagree: .1.8 {v2:?}, .1.1 {v1:?}"
            )));
        }
        (Some(v), _) | (None, Some(v)) => v,
        (None, None) => {
            return Err(AttestError::Identity(
                "the certificate has no OIDC issuer extension (1.3.6.1.4.1.57264.1.8 or .1.1)"
                    .into(),
            ));
        }
    };
    Ok(CertificateIdentity {
        san,
        issuer,
        claims,
    })
}

/// Requires keyUsage with digitalSignature on the signing certificate.
fn require_digital_signature(leaf: &[u8]) -> Result<(), AttestError> {
    let exts = extensions(leaf)?;
    let (_, _, value) = exts
        .iter()
        .find(|(oid, _, _)| *oid == OID_KEY_USAGE)
        .ok_or_else(|| {
            AttestError::Certificate("the signing certificate has no keyUsage".into())
        })?;
    let (bits, _) = tlv(value, 0, 0x03, "keyUsage BIT STRING").map_err(der_err)?;
    if bits.get(1).is_some_and(|b| b & 0x80 != 0) {
        Ok(())
    } else {
        Err(AttestError::Certificate(
            "the signing certificate's keyUsage lacks digitalSignature".into(),
        ))
    }
}

fn self_issued(der: &[u8]) -> bool {
    crate::certificate::parse(der).is_ok_and(|p| p.issuer == p.subject)
}

/// Chains the leaf to a certificate authority of the trusted root whose window holds `at`:
/// that authority's intermediates and root only (never certificates from the bundle), webpki
/// path validation at `at` with EKU codeSigning, keyUsage digitalSignature. `bundle_chain` (the
/// v0.1/v0.2 certificates after the leaf) may not carry a root. Returns the authority's name.
pub(crate) fn verify_chain(
    leaf: &[u8],
    bundle_chain: &[Vec<u8>],
    root: &TrustedRoot,
    at: i64,
) -> Result<String, AttestError> {
    if bundle_chain.iter().any(|c| self_issued(c)) {
        return Err(AttestError::Certificate(
            "the bundle's certificate chain carries a self-issued (root) certificate; roots come only from the trusted root".into(),
        ));
    }
    require_digital_signature(leaf)?;
    let leaf_der = CertificateDer::from(leaf);
    let ee = EndEntityCert::try_from(&leaf_der)
        .map_err(|e| AttestError::Certificate(format!("signing certificate: {e}")))?;
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(at.unsigned_abs()));
    let instant = Instant::from_secs(at);
    let mut failures = Vec::new();
    for ca in root
        .authorities
        .iter()
        .filter(|ca| ca.valid_for.contains(instant))
    {
        let root_der = CertificateDer::from(ca.root.as_slice());
        let anchor = match webpki::anchor_from_trusted_cert(&root_der) {
            Ok(a) => a,
            Err(e) => {
                failures.push(format!("{}: root unusable: {e}", ca.name));
                continue;
            }
        };
        let intermediates: Vec<CertificateDer<'_>> = ca
            .intermediates
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        match ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &[anchor],
            &intermediates,
            time,
            KeyUsage::required(OID_CODE_SIGNING),
            None,
            None,
        ) {
            Ok(_) => return Ok(ca.name.clone()),
            Err(e) => failures.push(format!("{}: {e:?}", ca.name)),
        }
    }
    if failures.is_empty() {
        return Err(AttestError::Certificate(format!(
            "no certificate authority of the trusted root is valid at {} (the entry's verified time)",
            format_unix(at)
        )));
    }
    Err(AttestError::Certificate(format!(
        "the signing certificate does not chain to a trusted certificate authority with codeSigning at {}: {}",
        format_unix(at),
        failures.join("; ")
    )))
}
