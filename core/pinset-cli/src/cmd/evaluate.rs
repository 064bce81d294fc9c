//! `pinset evaluate MANIFEST --host HOST --chain CHAIN.pem [--ca ROOT.pem]... [--at YYYY-MM-DD]`

use std::path::PathBuf;
use std::process::ExitCode;

use pinset::chain::{self, TrustStore};
use pinset::roots::Roots;
use pinset::trust::{AnchorFiles, ManifestAnchors};
use pinset::{Date, Manifest, Policy};
use rustls_pki_types::UnixTime;

use crate::input::{CliError, now_secs, read_certificates};
use crate::output::{out, outln};

/// Arguments of `pinset evaluate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pin manifest (TOML).
    manifest: PathBuf,
    /// The host the chain was served for.
    #[arg(long)]
    host: String,
    /// The chain as the server presents it, leaf first (PEM or DER).
    #[arg(long)]
    chain: PathBuf,
    /// Root certificates standing in for the system store (`system` in the manifest, and hosts
    /// whose rule has no `trust_anchors`); the system store when none is given. A rule's own
    /// anchor files come from the manifest and are trusted for that rule's hosts only.
    #[arg(long = "ca")]
    cas: Vec<PathBuf>,
    /// Evaluate at 00:00 UTC on this date instead of now (strict YYYY-MM-DD).
    #[arg(long)]
    at: Option<String>,
}

/// Validates the path against the host's rule's anchors, applies the pins, prints the verdict. Exit 0 when the connection would
/// be allowed (trusted, report-only, not pinned, expired), 1 on a violation or an invalid chain.
pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let now = match &args.at {
        Some(s) => Date::parse(s)
            .ok_or_else(|| {
                CliError(format!(
                    "--at '{s}': expected a zero-padded YYYY-MM-DD date"
                ))
            })?
            .midnight_utc(),
        None => now_secs(),
    };
    let loaded = Manifest::load(&args.manifest, Some(now)).map_err(|e| CliError(e.to_string()))?;
    for w in &loaded.warnings {
        eprintln!("{w}");
    }
    let anchors = ManifestAnchors::load(&loaded.manifest, &AnchorFiles)
        .map_err(|e| CliError(e.to_string()))?;
    let policy = Policy::new(loaded.manifest);
    let presented = read_certificates(&args.chain)?;
    let roots =
        TrustStore::new(load_roots(&args.cas)?, &anchors).map_err(|e| CliError(e.to_string()))?;
    let unix = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(now).unwrap_or(0),
    ));
    match chain::verify_pinned(&policy, &args.host, &presented, &roots, unix) {
        Ok(checked) => {
            let verdict = policy.explain(&args.host, checked.decision, &checked.path);
            out!("{verdict}")?;
            if verdict.allows_connection() {
                Ok(ExitCode::SUCCESS)
            } else {
                Ok(ExitCode::from(1))
            }
        }
        Err(e) => {
            outln!("untrusted: {e}")?;
            Ok(ExitCode::from(1))
        }
    }
}

fn load_roots(cas: &[PathBuf]) -> Result<Roots, CliError> {
    if cas.is_empty() {
        let found = rustls_native_certs::load_native_certs();
        let mut roots = Roots::default();
        let skipped = roots.extend_lenient(found.certs);
        if roots.is_empty() {
            return Err(CliError(format!(
                "no system roots found ({} errors); pass --ca ROOT.pem",
                found.errors.len()
            )));
        }
        if skipped > 0 {
            eprintln!("note: skipped {skipped} system roots webpki cannot use");
        }
        return Ok(roots);
    }
    let mut certs = Vec::new();
    for ca in cas {
        certs.extend(read_certificates(ca)?);
    }
    Roots::new(certs).map_err(|e| CliError(e.to_string()))
}
