//! `pinset check MANIFEST`

use std::path::PathBuf;
use std::process::ExitCode;

use pinset::Manifest;

use crate::input::{CliError, now_secs};
use crate::output::outln;

/// Arguments of `pinset check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pin manifest (TOML).
    manifest: PathBuf,
}

/// Validates the manifest; errors and warnings go to stderr as `file:line:col: …`.
pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    match Manifest::load(&args.manifest, Some(now_secs())) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("{w}");
            }
            let m = &loaded.manifest;
            let pins: usize = m.domains.iter().map(|d| d.pins.len()).sum();
            outln!(
                "{}: ok ({} domains, {pins} pins)",
                args.manifest.display(),
                m.domains.len()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::from(1))
        }
    }
}
