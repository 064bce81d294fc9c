//! `pinset import android-nsc|okhttp FILE`

use std::path::PathBuf;
use std::process::ExitCode;

use crate::input::{CliError, read_bounded};
use crate::output::out;

/// Source formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Source {
    /// An Android Network Security Config XML file.
    AndroidNsc,
    /// Kotlin or Java source with `CertificatePinner.Builder().add(…)` calls.
    Okhttp,
}

/// Arguments of `pinset import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to import.
    source: Source,
    /// The file.
    file: PathBuf,
}

/// Prints an equivalent manifest (TOML) on stdout; notes on stderr; exit 1 with the error
/// Android/OkHttp would raise (with its position) on invalid input.
pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let bytes = read_bounded(&args.file)?;
    let src = String::from_utf8(bytes)
        .map_err(|_| CliError(format!("{}: not UTF-8", args.file.display())))?;
    let origin = args.file.display().to_string();
    let result = match args.source {
        Source::AndroidNsc => pinset::import::android_nsc(&src, &origin),
        Source::Okhttp => pinset::import::okhttp(&src, &origin),
    };
    match result {
        Ok(imported) => {
            for n in &imported.notes {
                eprintln!("note: {n}");
            }
            out!("{}", imported.manifest.to_toml(&format!("Imported by pinset from {origin}.\nReview it, then validate with `pinset check`.")))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{origin}: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
