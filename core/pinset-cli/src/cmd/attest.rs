//! `pinset attest verify FILE --bundle B --trusted-root T (--certificate-identity I |
//! --certificate-identity-regexp R) (--certificate-oidc-issuer S | --certificate-oidc-issuer-regexp R)
//! [--certificate-claim NAME=VALUE]… [--key PEM]`: offline Sigstore bundle verification with
//! cosign's flag names. Exit 0 verified, 1 a check failed (the step is named), 2 usage or input.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pinset::attest::{
    Artifact, FulcioClaim, IdentityPolicy, Matcher, Policy, TrustedRoot, VerificationKey,
    verify_bundle,
};
use rustls_pki_types::UnixTime;

use crate::input::{CliError, read_bounded};
use crate::output::outln;

/// Largest artifact read (1 GiB): message signatures are verified over the whole artifact.
const MAX_ARTIFACT_BYTES: u64 = 1 << 30;

/// Arguments of `pinset attest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Verify a Sigstore bundle for a file, offline, against a trusted root and an identity.
    #[command(
        long_about = "Verify a Sigstore bundle (v0.1, v0.2, v0.3) for FILE, offline: the \
transparency log entry (signed entry timestamp, RFC 6962 inclusion proof, signed checkpoint) by a \
log of the trusted root, the entry body against the signature, the signing certificate's chain to \
a certificate authority of the trusted root at the log's verified time (EKU codeSigning), the \
signature over FILE or the DSSE envelope (in-toto subject = FILE), and the signer's identity.\n\n\
Never touches the network: the trusted root (trusted_root.json) is the only trust material. \
Not verified in this phase: embedded SCTs (certificate transparency) and RFC 3161 timestamps, so \
bundles without a signed entry timestamp (Rekor v2) are refused.\n\n\
Exit status: 0 verified, 1 the bundle was read and a check failed (the step is named), 2 usage or \
input error (missing file, malformed JSON or base64, unknown media type, a key-based bundle \
without --key).",
        after_help = "Examples:\n  pinset attest verify server.bin --bundle server.bin.sigstore.json \
--trusted-root trusted_root.json \\\n    --certificate-identity \
https://github.com/org/tools/.github/workflows/release.yml@refs/tags/v1.4.0 \\\n    \
--certificate-oidc-issuer https://token.actions.githubusercontent.com\n  pinset attest verify \
server.bin --bundle b.json --trusted-root tr.json --key cosign.pub"
    )]
    Verify(VerifyArgs),
}

/// Arguments of `pinset attest verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The artifact (e.g. an MCP server binary).
    file: PathBuf,
    /// The Sigstore bundle (JSON).
    #[arg(long, value_name = "BUNDLE")]
    bundle: PathBuf,
    /// The trusted root (trusted_root.json): logs and certificate authorities with validity windows.
    #[arg(
        long,
        value_name = "TRUSTED_ROOT",
        required_unless_present = "manifest",
        conflicts_with = "manifest"
    )]
    trusted_root: Option<PathBuf>,
    /// Take the trusted root and the expected signer from this pin manifest's `[[attestation]]`
    /// entry for `--subject` (instead of the identity flags).
    #[arg(long, value_name = "MANIFEST", requires = "subject")]
    manifest: Option<PathBuf>,
    /// The `[[attestation]]` subject to use from `--manifest`.
    #[arg(long, value_name = "SUBJECT", requires = "manifest")]
    subject: Option<String>,
    /// The identity expected in the certificate's SAN, exactly.
    #[arg(
        long,
        value_name = "IDENTITY",
        conflicts_with_all = ["certificate_identity_regexp", "key", "manifest"],
        required_unless_present_any = ["certificate_identity_regexp", "key", "manifest"]
    )]
    certificate_identity: Option<String>,
    /// A regular expression (Rust regex syntax) the whole SAN must match; pinset anchors it.
    #[arg(long, value_name = "REGEXP", conflicts_with_all = ["key", "manifest"])]
    certificate_identity_regexp: Option<String>,
    /// The OIDC issuer expected in the certificate (1.3.6.1.4.1.57264.1.8 or the legacy .1.1), exactly.
    #[arg(
        long,
        value_name = "ISSUER",
        conflicts_with_all = ["certificate_oidc_issuer_regexp", "key", "manifest"],
        required_unless_present_any = ["certificate_oidc_issuer_regexp", "key", "manifest"]
    )]
    certificate_oidc_issuer: Option<String>,
    /// A regular expression the whole OIDC issuer must match; pinset anchors it.
    #[arg(long, value_name = "REGEXP", conflicts_with_all = ["key", "manifest"])]
    certificate_oidc_issuer_regexp: Option<String>,
    /// A further Fulcio claim that must be present with this exact value, as NAME=VALUE
    /// (source-repository-uri, source-repository-ref, source-repository-digest, build-signer-uri,
    /// build-signer-digest, build-config-uri, build-trigger, run-invocation-uri, runner-environment).
    #[arg(
        long = "certificate-claim",
        value_name = "NAME=VALUE",
        conflicts_with = "key"
    )]
    claims: Vec<String>,
    /// A public key (PEM or DER SPKI) for key-based bundles; the identity flags then do not apply.
    #[arg(long, value_name = "PEM", conflicts_with = "manifest")]
    key: Option<PathBuf>,
}

/// Runs `pinset attest`.
pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    match &args.command {
        Sub::Verify(v) => verify(v),
    }
}

fn read_artifact(path: &Path) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_ARTIFACT_BYTES + 1).read_to_end(&mut buf))
        .map_err(|e| CliError(format!("{}: {e}", path.display())))?;
    if buf.len() as u64 > MAX_ARTIFACT_BYTES {
        return Err(CliError(format!("{}: larger than 1 GiB", path.display())));
    }
    Ok(buf)
}

fn matcher(exact: &Option<String>, regexp: &Option<String>) -> Result<Matcher, CliError> {
    match (exact, regexp) {
        (Some(s), _) => Ok(Matcher::Exact(s.clone())),
        (None, Some(r)) => Matcher::regex(r).map_err(CliError),
        (None, None) => Err(CliError("missing identity flag".into())),
    }
}

fn policy(a: &VerifyArgs) -> Result<Policy, CliError> {
    if let Some(k) = &a.key {
        let key = VerificationKey::from_pem_or_der(&read_bounded(k)?)
            .map_err(|e| CliError(format!("{}: {e}", k.display())))?;
        return Ok(Policy::Key(key));
    }
    let mut p = IdentityPolicy::new(
        matcher(&a.certificate_identity, &a.certificate_identity_regexp)?,
        matcher(
            &a.certificate_oidc_issuer,
            &a.certificate_oidc_issuer_regexp,
        )?,
    );
    for c in &a.claims {
        let (name, value) = c
            .split_once('=')
            .ok_or_else(|| CliError(format!("--certificate-claim {c:?}: expected NAME=VALUE")))?;
        let claim = FulcioClaim::from_name(name).ok_or_else(|| {
            let names: Vec<_> = FulcioClaim::ALL.iter().map(|c| c.name()).collect();
            CliError(format!(
                "--certificate-claim: unknown claim {name:?} (known: {})",
                names.join(", ")
            ))
        })?;
        p.claims.push((claim, Matcher::Exact(value.to_owned())));
    }
    Ok(Policy::Identity(p))
}

/// The trusted root path and policy of the manifest's `[[attestation]]` entry for `subject`.
fn from_manifest(manifest: &Path, subject: &str) -> Result<(PathBuf, Policy), CliError> {
    let loaded = pinset::Manifest::load(manifest, None).map_err(|e| CliError(e.to_string()))?;
    let dir = manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let entry = loaded
        .manifest
        .attestations
        .iter()
        .find(|a| a.subject == subject)
        .ok_or_else(|| {
            CliError(format!(
                "{}: no [[attestation]] with subject '{subject}'",
                manifest.display()
            ))
        })?;
    let policy = entry
        .policy(dir)
        .map_err(|e| CliError(format!("{}: {e}", manifest.display())))?;
    Ok((entry.trusted_root_path(dir), policy))
}

fn verify(a: &VerifyArgs) -> Result<ExitCode, CliError> {
    let (root_path, policy) = match (&a.manifest, &a.subject, &a.trusted_root) {
        (Some(m), Some(s), _) => from_manifest(m, s)?,
        (None, _, Some(t)) => (t.clone(), policy(a)?),
        _ => {
            return Err(CliError(
                "give --trusted-root, or --manifest with --subject".into(),
            ));
        }
    };
    let artifact = read_artifact(&a.file)?;
    let bundle = read_bounded(&a.bundle)?;
    let root_json = read_bounded(&root_path)?;
    let root = TrustedRoot::from_json(&root_json)
        .map_err(|e| CliError(format!("{}: {e}", root_path.display())))?;
    match verify_bundle(
        &bundle,
        Artifact::Bytes(&artifact),
        &root,
        &policy,
        UnixTime::now(),
    ) {
        Ok(v) => {
            outln!("Verified OK")?;
            outln!("  file       {}", a.file.display())?;
            outln!("  sha256     {}", hex(&v.artifact_sha256))?;
            match &v.identity {
                Some(id) => {
                    outln!("  identity   {}", id.san)?;
                    outln!("  issuer     {}", id.issuer)?;
                    for (c, value) in &id.claims {
                        outln!("  {:<10} {value}", c.name())?;
                    }
                }
                None => outln!("  signer     the given key")?,
            }
            outln!("  log        {} index {}", v.log, v.log_index)?;
            outln!("  time       {} (signed entry timestamp)", v.time_rfc3339())?;
            outln!("  bundle     {} {}", v.version, v.kind)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.is_input_error() => Err(CliError(format!("{}: {e}", a.bundle.display()))),
        Err(e) => {
            eprintln!(
                "Error: {} was not verified for {}: failed at step \"{}\": {e}",
                a.bundle.display(),
                a.file.display(),
                e.step()
            );
            Ok(ExitCode::from(1))
        }
    }
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}
