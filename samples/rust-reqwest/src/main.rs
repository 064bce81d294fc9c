//! A pinned reqwest client in a few lines: load the manifest, build pinset's `ClientConfig`,
//! hand it to reqwest with `use_preconfigured_tls`.
//!
//! Usage: `pinset-sample-reqwest MANIFEST URL [EXTRA_ROOT.pem]`

use std::process::ExitCode;
use std::sync::Arc;

use pinset::report::StderrReporter;
use pinset::verifier::PinningConfig;
use pinset::{Manifest, Policy};

/// Builds a blocking reqwest client that enforces the manifest's pins.
pub fn pinned_client(
    manifest: &std::path::Path,
    extra_roots: Option<&std::path::Path>,
) -> Result<reqwest::blocking::Client, String> {
    let loaded = Manifest::load(manifest, None).map_err(|e| e.to_string())?;
    let mut config = PinningConfig::new(Arc::new(Policy::new(loaded.manifest)))
        .reporter(Arc::new(StderrReporter));
    if let Some(path) = extra_roots {
        let pem = std::fs::read(path).map_err(|e| e.to_string())?;
        config = config
            .extra_roots(pinset::certificate::parse_certificates(&pem).map_err(|e| e.to_string())?);
    }
    let tls = config.build().map_err(|e| e.to_string())?;
    reqwest::blocking::Client::builder()
        .use_preconfigured_tls(tls)
        .build()
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(manifest), Some(url)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: pinset-sample-reqwest MANIFEST URL [EXTRA_ROOT.pem]");
        return ExitCode::from(2);
    };
    let client = match pinned_client(manifest.as_ref(), args.get(3).map(std::path::Path::new)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match client
        .get(url)
        .send()
        .and_then(reqwest::blocking::Response::text)
    {
        Ok(body) => {
            print!("{body}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            // The pin failure text is in the error's source chain.
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg = format!("{msg}: {s}");
                src = s.source();
            }
            eprintln!("request failed: {msg}");
            ExitCode::from(1)
        }
    }
}
