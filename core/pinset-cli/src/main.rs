//! `pinset`: a thin command-line shell over the `pinset` library.
//!
//! Exit codes: 0 success, 1 a negative answer (invalid manifest, pin violation, untrusted
//! chain), 2 a usage or input error, or stdout cannot be written.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod input;
mod output;

/// Trust exactly the servers you mean to: SPKI pins from one manifest, for every platform.
#[derive(Debug, Parser)]
#[command(name = "pinset", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the SPKI pin (`sha256/<base64>  <subject>`) of each certificate in PEM or DER files.
    Pin(cmd::pin::Args),
    /// Validate a pin manifest: exit 0 when valid (warnings on stderr), 1 with `file:line:col` errors.
    Check(cmd::check::Args),
    /// Validate a chain to roots at a date, then apply the manifest's pins to the verified path.
    Evaluate(cmd::evaluate::Args),
    /// Connect over TLS with pinning; print the validated chain, pins, the matched pin, protocol.
    Connect(cmd::connect::Args),
    /// Generate a platform pin configuration (Android NSC, OkHttp, iOS ATS) from the manifest.
    Generate(cmd::generate::Args),
    /// Import an Android NSC XML or an OkHttp pin list as a manifest (TOML on stdout).
    Import(cmd::import::Args),
    /// Sign a raw HTTP/1.1 request (RFC 9421, with RFC 9530 Content-Digest); prints the signed request.
    Sign(cmd::sign::Args),
    /// Verify the RFC 9421 signatures of a raw HTTP/1.1 message.
    Verify(cmd::verify::Args),
    /// Sigstore bundles, offline: `attest verify FILE --bundle B --trusted-root T` + identity or key.
    Attest(cmd::attest::Args),
    /// Signed pin-set updates (TUF): one refresh cycle, or `init`/`publish`/`rotate-root` a repository.
    Update(cmd::update::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Pin(a) => cmd::pin::run(&a),
        Command::Check(a) => cmd::check::run(&a),
        Command::Evaluate(a) => cmd::evaluate::run(&a),
        Command::Connect(a) => cmd::connect::run(&a),
        Command::Generate(a) => cmd::generate::run(&a),
        Command::Import(a) => cmd::import::run(&a),
        Command::Sign(a) => cmd::sign::run(&a),
        Command::Verify(a) => cmd::verify::run(&a),
        Command::Attest(a) => cmd::attest::run(&a),
        Command::Update(a) => cmd::update::run(&a),
    };
    // What stdout still buffers is written now, so a failure is reported rather than lost.
    match result.and_then(|code| output::flush().map(|()| code)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pinset: {e}");
            ExitCode::from(2)
        }
    }
}
