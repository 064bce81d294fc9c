//! `pinset pin FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use pinset::Pin;

use crate::input::{CliError, read_certificates};
use crate::output::outln;

/// Arguments of `pinset pin`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Certificate files: PEM (one or many certificates) or DER; `-` for stdin.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Prints `sha256/<base64>  <subject>` for every certificate.
pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    for f in &args.files {
        for cert in read_certificates(f)? {
            let pin = Pin::of_certificate(&cert)
                .map_err(|e| CliError(format!("{}: {e}", f.display())))?;
            outln!("{pin}  {}", pinset::certificate::subject_of(&cert))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
