//! PEM and DER certificate files: parsing (bounded, every certificate checked down to its
//! SPKI) and PEM encoding.

use base64::Engine as _;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

use super::der::spki_of_certificate;
use super::x509::parse;

/// Largest certificate file the parsers accept (16 MiB): a bound against hostile inputs.
pub const MAX_INPUT_BYTES: usize = 16 << 20;

/// A certificate file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// Neither PEM nor DER certificates.
    #[error(
        "no certificate found (expected PEM '-----BEGIN CERTIFICATE-----' blocks or one DER certificate)"
    )]
    NoCertificates,
    /// A PEM structure error.
    #[error("PEM: {0}")]
    Pem(String),
    /// A certificate whose DER is malformed.
    #[error("certificate #{index} (1-based): {reason}")]
    Der {
        /// 1-based position in the file.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// Input over [`MAX_INPUT_BYTES`].
    #[error("input is {0} bytes; certificate files are limited to 16 MiB")]
    TooLarge(usize),
}

/// Parses one or more certificates: PEM (`CERTIFICATE` blocks; other blocks are ignored) or a
/// single DER certificate. Every certificate's structure is checked down to its SPKI.
pub fn parse_certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, CertError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(CertError::TooLarge(bytes.len()));
    }
    let certs: Vec<CertificateDer<'static>> = if bytes.first() == Some(&0x30) {
        vec![CertificateDer::from(bytes.to_vec())]
    } else {
        CertificateDer::pem_slice_iter(bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| CertError::Pem(e.to_string()))?
    };
    if certs.is_empty() {
        return Err(CertError::NoCertificates);
    }
    for (i, c) in certs.iter().enumerate() {
        spki_of_certificate(c).map_err(|e| CertError::Der {
            index: i + 1,
            reason: e.to_string(),
        })?;
        parse(c).map_err(|e| CertError::Der {
            index: i + 1,
            reason: format!("X.509: {e}"),
        })?;
    }
    Ok(certs)
}

/// PEM text of one DER certificate.
pub fn pem_encode(der: &[u8]) -> String {
    pem_encode_block("CERTIFICATE", der)
}

/// PEM text of one DER object under `label` (`CERTIFICATE`, `PUBLIC KEY`): base64 in lines of
/// 64 characters.
pub(crate) fn pem_encode_block(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 32);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// The DER of PEM text holding exactly one `CERTIFICATE` block (other blocks are ignored; none,
/// two or a malformed one is an error).
#[cfg(feature = "attest")]
pub(crate) fn parse_one_pem_certificate(pem: &[u8]) -> Result<Vec<u8>, String> {
    let mut it = CertificateDer::pem_slice_iter(pem);
    let first = it
        .next()
        .ok_or("no CERTIFICATE PEM block")?
        .map_err(|e| format!("PEM: {e}"))?;
    if it.next().is_some() {
        return Err("more than one CERTIFICATE PEM block".into());
    }
    Ok(first.as_ref().to_vec())
}
