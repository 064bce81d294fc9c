//! `pinset generate android-nsc|okhttp|ios-ats MANIFEST [-o FILE] [--package NAME] [--allow-weaker]`

use std::path::PathBuf;
use std::process::ExitCode;

use pinset::Manifest;
use pinset::generate::{self, Output};

use crate::input::{CliError, now_secs};
use crate::output::out;

/// Target formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Target {
    /// Android `res/xml/network_security_config.xml`.
    AndroidNsc,
    /// A Kotlin file exposing an `okhttp3.CertificatePinner`.
    Okhttp,
    /// The iOS Info.plist `NSAppTransportSecurity`/`NSPinnedDomains` fragment.
    IosAts,
}

/// Arguments of `pinset generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to generate.
    target: Target,
    /// The pin manifest (TOML).
    manifest: PathBuf,
    /// Write to this file instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Kotlin package of the generated OkHttp file.
    #[arg(long, default_value = "dev.pinset.generated")]
    package: String,
    /// Write the output even when it is weaker than the manifest (the weaknesses are still listed).
    #[arg(long)]
    allow_weaker: bool,
}

/// Generates; lists weaknesses and notes on stderr; exit 1 when weaker without --allow-weaker
/// or when the manifest cannot be expressed.
pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let loaded =
        Manifest::load(&args.manifest, Some(now_secs())).map_err(|e| CliError(e.to_string()))?;
    for w in &loaded.warnings {
        eprintln!("{w}");
    }
    let m = &loaded.manifest;
    let result = match args.target {
        Target::AndroidNsc => generate::nsc::generate(m),
        Target::Okhttp => generate::okhttp::generate(m, &args.package),
        Target::IosAts => generate::ats::generate(m),
    };
    let out: Output = match result {
        Ok(o) => o,
        Err(e) => {
            eprintln!("pinset: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    for w in &out.weaknesses {
        eprintln!("weaker: {w}");
    }
    for n in &out.notes {
        eprintln!("note: {n}");
    }
    for (dest, src) in &out.extra_files {
        eprintln!("copy: {src} -> {dest}");
    }
    if !out.weaknesses.is_empty() && !args.allow_weaker {
        eprintln!(
            "pinset: the output is weaker than the manifest ({} ways above); pass --allow-weaker to write it anyway",
            out.weaknesses.len()
        );
        return Ok(ExitCode::from(1));
    }
    match &args.output {
        Some(p) => {
            std::fs::write(p, &out.text).map_err(|e| CliError(format!("{}: {e}", p.display())))?
        }
        None => out!("{}", out.text)?,
    }
    Ok(ExitCode::SUCCESS)
}
