//! Reading inputs with bounds and clear errors.

use std::path::Path;

use pinset::certificate::{self, MAX_INPUT_BYTES};
use rustls_pki_types::CertificateDer;

/// A CLI failure: printed as `pinset: <message>`, exit code 2.
#[derive(Debug)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a file (or stdin for `-`), refusing inputs over the size bound.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, CliError> {
    use std::io::Read as _;
    let mut buf = Vec::new();
    let limit = MAX_INPUT_BYTES as u64 + 1;
    let res = if path == Path::new("-") {
        std::io::stdin().lock().take(limit).read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut buf))
    };
    res.map_err(|e| CliError(format!("{}: {e}", path.display())))?;
    if buf.len() > MAX_INPUT_BYTES {
        return Err(CliError(format!(
            "{}: larger than {} bytes",
            path.display(),
            MAX_INPUT_BYTES
        )));
    }
    Ok(buf)
}

/// Reads PEM or DER certificates from a file.
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, CliError> {
    let bytes = read_bounded(path)?;
    certificate::parse_certificates(&bytes)
        .map_err(|e| CliError(format!("{}: {e}", path.display())))
}

/// Current Unix time in seconds.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
