//! Binary attestation before launch: the MCP client verifies the server binary's Sigstore bundle
//! with `pinset::attest` (offline; the trusted root ships with the client) and runs exactly the
//! bytes it verified. The bytes are read once, verified, and written to a private copy that is
//! executed: replacing the file on disk after the check changes nothing (no check-then-use race).

use std::path::{Path, PathBuf};
use std::process::Command;

use pinset::attest::{Artifact, AttestError, Policy, TrustedRoot, Verified, verify_bundle};

/// Why a server binary was not launched.
#[derive(Debug)]
pub enum LaunchError {
    /// The binary or its bundle could not be read, or the private copy not written.
    Io(std::io::Error),
    /// The bundle does not verify for these bytes (a substituted binary lands here).
    Attestation(AttestError),
}

impl std::fmt::Display for LaunchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "cannot stage the server binary: {e}"),
            Self::Attestation(e) => {
                write!(f, "server binary refused at step \"{}\": {e}", e.step())
            }
        }
    }
}

impl std::error::Error for LaunchError {}

/// A server binary whose bundle verified, staged as a private executable copy (removed on drop).
#[derive(Debug)]
pub struct VerifiedBinary {
    dir: PathBuf,
    path: PathBuf,
    /// What the verification established (identity, log index, time).
    pub verified: Verified,
}

impl VerifiedBinary {
    /// A `Command` that runs the verified copy.
    pub fn command(&self) -> Command {
        Command::new(&self.path)
    }
}

impl Drop for VerifiedBinary {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn private_dir() -> std::io::Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("mcp-verified-{}-{nanos}", std::process::id()));
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(&dir)?;
    Ok(dir)
}

/// Reads `binary` once, verifies `bundle` for those bytes against `root` and `policy`, and stages
/// the verified bytes as a private executable. Refuses (and stages nothing) on any failure.
pub fn verify_server_binary(
    binary: &Path,
    bundle: &[u8],
    root: &TrustedRoot,
    policy: &Policy,
) -> Result<VerifiedBinary, LaunchError> {
    let bytes = std::fs::read(binary).map_err(LaunchError::Io)?;
    let verified = verify_bundle(
        bundle,
        Artifact::Bytes(&bytes),
        root,
        policy,
        rustls_pki_types::UnixTime::now(),
    )
    .map_err(LaunchError::Attestation)?;
    let dir = private_dir().map_err(LaunchError::Io)?;
    let name = binary
        .file_name()
        .map_or_else(|| "server".into(), ToOwned::to_owned);
    let path = dir.join(name);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o700);
    let written = opts
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes));
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(LaunchError::Io(e));
    }
    Ok(VerifiedBinary {
        dir,
        path,
        verified,
    })
}
