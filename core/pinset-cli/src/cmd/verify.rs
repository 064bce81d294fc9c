//! `pinset verify REQUEST --key FILE|--secret FILE [--label L] [--max-age S] [--now UNIX]
//! [--require C,…] [--allow-unsigned-body]`

use std::path::PathBuf;
use std::process::ExitCode;

use pinset::signing::verify::{KeyEntry, verify};
use pinset::signing::{self, Algorithm, MemoryNonceStore, VerifyPolicy, VerifyingKey};

use crate::cmd::sign::load_message;
use crate::input::{CliError, now_secs, read_bounded};
use crate::output::outln;

/// Arguments of `pinset verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A raw HTTP/1.1 message with Signature-Input and Signature fields; `-` for stdin.
    request: PathBuf,
    /// Public key PEM (SPKI or PKCS#1), or a private key PEM.
    #[arg(long, conflicts_with = "secret", required_unless_present = "secret")]
    key: Option<PathBuf>,
    /// HMAC secret: a file holding the key as base64 text (at least 32 bytes once decoded; an
    /// empty or short secret is refused, it would let anyone forge a signature).
    #[arg(long)]
    secret: Option<PathBuf>,
    /// Verify only this label (default: every signature in the message must verify).
    #[arg(long)]
    label: Option<String>,
    /// Maximum age of `created`, in seconds.
    #[arg(long, default_value_t = 300)]
    max_age: u64,
    /// Verify as of this Unix time (default: now).
    #[arg(long)]
    now: Option<i64>,
    /// Components that must be covered, comma-separated (e.g. `@method,@target-uri,content-digest`).
    #[arg(long, value_delimiter = ',')]
    require: Vec<String>,
    /// Allowed algorithms for the key (default: the key's own).
    #[arg(long = "alg")]
    algs: Vec<String>,
    /// Expected `tag` parameter.
    #[arg(long)]
    tag: Option<String>,
    /// Scheme of the target URI.
    #[arg(long, default_value = "https")]
    scheme: String,
    /// Accept a signature that does not cover `content-digest` although the message has a body
    /// (the RFC 9421 Appendix B examples, many peers). The body is then NOT verified, and the
    /// output says so. Without this flag such a signature is refused.
    #[arg(long)]
    allow_unsigned_body: bool,
}

/// Verifies; exit 0 when every checked signature is valid, 1 with the reason otherwise.
pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let (msg, _) = load_message(&args.request, &args.scheme)?;
    let err = |e: signing::SigningError| CliError(e.to_string());
    let key = match (&args.key, &args.secret) {
        (Some(k), _) => VerifyingKey::from_pem(&read_bounded(k)?).map_err(err)?,
        (None, Some(s)) => VerifyingKey::hmac(
            &signing::key::secret_from_base64(&String::from_utf8_lossy(&read_bounded(s)?))
                .map_err(|e| CliError(format!("{}: {e}", s.display())))?,
        )
        .map_err(err)?,
        (None, None) => return Err(CliError("--key or --secret is required".into())),
    };
    let allowed = args
        .algs
        .iter()
        .map(|a| a.parse::<Algorithm>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let policy = VerifyPolicy {
        required_components: args.require.clone(),
        max_age: Some(args.max_age),
        expected_tag: args.tag.clone(),
        label: args.label.clone(),
        require_digest_for_body: !args.allow_unsigned_body,
        ..VerifyPolicy::default()
    };
    let nonces = MemoryNonceStore::new(1024);
    match verify(
        &msg,
        None,
        &KeyEntry { key, allowed },
        &policy,
        Some(&nonces),
        args.now.unwrap_or_else(now_secs),
    ) {
        Ok(verified) => {
            for v in verified {
                let body_note = if !msg.body.is_empty()
                    && !v.covered.iter().any(|c| c == "\"content-digest\"")
                {
                    format!(
                        "; body NOT covered: its {} bytes are unverified (--allow-unsigned-body)",
                        msg.body.len()
                    )
                } else {
                    String::new()
                };
                outln!(
                    "valid: {} (alg {}, keyid {}, covers {}){body_note}",
                    v.label,
                    v.alg,
                    v.keyid.as_deref().unwrap_or("-"),
                    v.covered.join(" ")
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            outln!("invalid: {e}")?;
            Ok(ExitCode::from(1))
        }
    }
}
