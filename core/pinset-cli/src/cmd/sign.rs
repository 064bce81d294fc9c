//! `pinset sign REQUEST --key FILE|--secret FILE --label LABEL --signature-params STRING …`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pinset::signing::{
    self, Algorithm, DigestAlg, HttpMessage, KeySigner, ProfileOptions, SignatureSpec, SigningKey,
};

use crate::input::{CliError, now_secs, read_bounded};

/// Arguments of `pinset sign`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A raw HTTP/1.1 request (LF or CRLF line endings); `-` for stdin.
    request: PathBuf,
    /// Private key PEM (PKCS#8, SEC1, PKCS#1, or PKCS#8 with the RSA-PSS OID).
    #[arg(long, conflicts_with = "secret", required_unless_present = "secret")]
    key: Option<PathBuf>,
    /// HMAC secret: a file holding the key as base64 text (at least 32 bytes once decoded).
    #[arg(long)]
    secret: Option<PathBuf>,
    /// Algorithm (default: the key's own; RSA keys default to rsa-pss-sha512).
    #[arg(long)]
    alg: Option<String>,
    /// Signature label (the Dictionary key in Signature-Input / Signature).
    #[arg(long, default_value = "sig1")]
    label: String,
    /// The exact serialized value, e.g. `("@method" "@authority");created=1618884473;keyid="k1"`.
    #[arg(long, conflicts_with_all = ["components", "keyid", "tag", "expires_in"])]
    signature_params: Option<String>,
    /// Ergonomic form: a component to cover (repeatable), e.g. `@method`, `content-type`,
    /// `"@query-param";name="id"`. Without it and without --signature-params the safe profile
    /// is used: @method, @target-uri, content-type, content-digest.
    #[arg(long = "component")]
    components: Vec<String>,
    /// Ergonomic form: `keyid` (default: the key file's name without extension).
    #[arg(long)]
    keyid: Option<String>,
    /// Ergonomic form: an application `tag`.
    #[arg(long)]
    tag: Option<String>,
    /// Ergonomic form: add `expires` = created + this many seconds.
    #[arg(long)]
    expires_in: Option<i64>,
    /// Add a Content-Digest field computed over the body (the ergonomic form adds sha-256
    /// whenever there is a body).
    #[arg(long)]
    content_digest: Option<String>,
    /// Scheme of the target URI (with the Host field and the request-target).
    #[arg(long, default_value = "https")]
    scheme: String,
}

pub(crate) fn load_message(path: &Path, scheme: &str) -> Result<(HttpMessage, bool), CliError> {
    let raw = read_bounded(path)?;
    let crlf = raw.windows(2).any(|w| w == b"\r\n");
    let msg = HttpMessage::parse(&raw, scheme)
        .map_err(|e| CliError(format!("{}: {e}", path.display())))?;
    Ok((msg, crlf))
}

/// Signs and writes the signed request to stdout.
pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let (mut msg, crlf) = load_message(&args.request, &args.scheme)?;
    let err = |e: signing::SigningError| CliError(e.to_string());
    let (key, key_path) = match (&args.key, &args.secret) {
        (Some(k), _) => (SigningKey::from_pem(&read_bounded(k)?).map_err(err)?, k),
        (None, Some(s)) => {
            let text = String::from_utf8_lossy(&read_bounded(s)?).into_owned();
            (
                signing::key::secret_from_base64(&text)
                    .and_then(|secret| SigningKey::hmac(&secret))
                    .map_err(|e| CliError(format!("{}: {e}", s.display())))?,
                s,
            )
        }
        (None, None) => return Err(CliError("--key or --secret is required".into())),
    };
    let alg = args
        .alg
        .as_deref()
        .map(str::parse::<Algorithm>)
        .transpose()
        .map_err(err)?;
    let signer = KeySigner::new(key, alg).map_err(err)?;
    let alg = signing::Signer::algorithm(&signer);
    let digest = args
        .content_digest
        .as_deref()
        .map(str::parse::<DigestAlg>)
        .transpose()
        .map_err(err)?;
    let (spec, digest) = if let Some(raw) = &args.signature_params {
        (
            SignatureSpec::from_serialized(&args.label, raw).map_err(err)?,
            digest,
        )
    } else {
        let keyid = args.keyid.clone().unwrap_or_else(|| {
            key_path
                .file_stem()
                .map_or_else(|| "key".into(), |s| s.to_string_lossy().into_owned())
        });
        let options = ProfileOptions {
            label: args.label.clone(),
            keyid,
            components: args.components.clone(),
            created: now_secs(),
            expires_in: args.expires_in,
            tag: args.tag.clone(),
            content_digest: digest,
        };
        SignatureSpec::profile(&msg, alg, &options).map_err(err)?
    };
    signing::sign(&mut msg, None, &spec, digest, &signer).map_err(err)?;
    crate::output::write_bytes(&msg.to_http1(crlf))?;
    Ok(ExitCode::SUCCESS)
}
