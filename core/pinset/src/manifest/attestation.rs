//! `[[attestation]]`: the build identity an artifact (an MCP server binary, a package) must be
//! signed by, verified with [`crate::attest`] against a Sigstore trusted root: so a client can pin
//! "server package X is built by workflow Y" next to its TLS pins.
//!
//! ```toml
//! [[attestation]]
//! subject = "mcp-tools-server"
//! trusted_root = "sigstore/trusted_root.json"
//! identity = "https://github.com/example/mcp-tools/.github/workflows/release.yml@refs/tags/v1.4.0"
//! issuer = "https://token.actions.githubusercontent.com"
//! claims = { source-repository-ref = "refs/tags/v1.4.0" }
//! ```
//!
//! `identity_regexp` / `issuer_regexp` take anchored Rust regexps instead; `key = "release.pub"`
//! (a PEM public key) replaces identity, issuer and claims for key-based bundles.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::raw::RawAttestation;

/// Largest trusted root or key file read while validating (4 MiB).
const MAX_TRUST_FILE_BYTES: u64 = 4 << 20;

/// One `[[attestation]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// What is attested (e.g. the MCP server command); unique in the manifest.
    pub subject: String,
    /// The Sigstore trusted root file, as written (relative to the manifest's directory).
    pub trusted_root: String,
    /// Who must have signed.
    pub signer: AttestationSigner,
}

/// The expected signer of an [`Attestation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttestationSigner {
    /// Keyless: a Fulcio certificate with this identity.
    Certificate {
        /// The SAN identity.
        identity: ValueMatch,
        /// The OIDC issuer.
        issuer: ValueMatch,
        /// Further Fulcio claims by name (`source-repository-ref`) with exact values.
        claims: Vec<(String, String)>,
    },
    /// Key-based: the PEM public key file, as written (relative to the manifest's directory).
    Key(String),
}

/// An exact value or an anchored regular expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueMatch {
    /// The value must equal this string.
    Exact(String),
    /// The whole value must match this Rust regex.
    Regexp(String),
}

impl Attestation {
    /// The trusted root's path, resolved against the manifest's directory.
    pub fn trusted_root_path(&self, manifest_dir: &Path) -> PathBuf {
        manifest_dir.join(&self.trusted_root)
    }

    /// The verification policy this entry states; `manifest_dir` resolves a `key` file.
    #[cfg(feature = "attest")]
    pub fn policy(
        &self,
        manifest_dir: &Path,
    ) -> Result<crate::attest::Policy, crate::attest::AttestError> {
        use crate::attest::{
            AttestError, FulcioClaim, IdentityPolicy, Matcher, Policy, VerificationKey,
        };
        let m = |v: &ValueMatch| match v {
            ValueMatch::Exact(s) => Ok(Matcher::Exact(s.clone())),
            ValueMatch::Regexp(r) => Matcher::regex(r).map_err(AttestError::Material),
        };
        match &self.signer {
            AttestationSigner::Certificate {
                identity,
                issuer,
                claims,
            } => {
                let mut p = IdentityPolicy::new(m(identity)?, m(issuer)?);
                for (name, value) in claims {
                    let claim = FulcioClaim::from_name(name).ok_or_else(|| {
                        AttestError::Material(format!("unknown Fulcio claim {name:?}"))
                    })?;
                    p.claims.push((claim, Matcher::Exact(value.clone())));
                }
                Ok(Policy::Identity(p))
            }
            AttestationSigner::Key(path) => {
                let bytes = read_bounded(&manifest_dir.join(path)).map_err(AttestError::Key)?;
                VerificationKey::from_pem_or_der(&bytes).map(Policy::Key)
            }
        }
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    use crate::file::{ReadError, read_regular_file};
    read_regular_file(path, MAX_TRUST_FILE_BYTES).map_err(|e| match e {
        ReadError::NotRegularFile(_) => format!("'{}' is not a regular file", path.display()),
        ReadError::TooLarge(max) => format!("'{}' is larger than {max} bytes", path.display()),
        ReadError::Io(e) => format!("cannot read '{}': {e}", path.display()),
    })
}

/// Validates the raw entries; every problem goes to `error(span, message)`.
pub(super) fn build(
    raw: &[RawAttestation],
    base_dir: Option<&Path>,
    error: &mut dyn FnMut(Range<usize>, String),
) -> Vec<Attestation> {
    let mut out: Vec<Attestation> = Vec::with_capacity(raw.len());
    for r in raw {
        let subject = r.subject.get_ref().trim();
        if subject.is_empty() || subject.chars().any(char::is_control) {
            error(
                r.subject.span(),
                "attestation subject must be a non-empty name without control characters".into(),
            );
        } else if out.iter().any(|a| a.subject == subject) {
            error(
                r.subject.span(),
                format!("duplicate attestation subject '{subject}'"),
            );
        }
        let root = r.trusted_root.get_ref();
        if root.trim().is_empty() {
            error(
                r.trusted_root.span(),
                "empty trusted_root; give the path of a Sigstore trusted_root.json".into(),
            );
        } else if let Some(dir) = base_dir {
            check_trusted_root(&dir.join(root), r.key.is_none(), &r.trusted_root, error);
        }
        let signer = match &r.key {
            Some(key) => {
                for (name, v) in [
                    ("identity", &r.identity),
                    ("identity_regexp", &r.identity_regexp),
                    ("issuer", &r.issuer),
                    ("issuer_regexp", &r.issuer_regexp),
                ] {
                    if let Some(v) = v {
                        error(
                            v.span(),
                            format!(
                                "`{name}` does not apply with `key` (a key-based bundle has no certificate identity)"
                            ),
                        );
                    }
                }
                if let Some(c) = &r.claims {
                    error(c.span(), "`claims` does not apply with `key`".into());
                }
                if key.get_ref().trim().is_empty() {
                    error(key.span(), "empty key path".into());
                } else if let Some(dir) = base_dir {
                    check_key(&dir.join(key.get_ref()), key, error);
                }
                AttestationSigner::Key(key.get_ref().clone())
            }
            None => {
                let identity = one_of(r, "identity", &r.identity, &r.identity_regexp, error);
                let issuer = one_of(r, "issuer", &r.issuer, &r.issuer_regexp, error);
                let mut claims = Vec::new();
                if let Some(c) = &r.claims {
                    for (name, value) in c.get_ref() {
                        check_claim(name, value, error);
                        if claims
                            .iter()
                            .any(|(n, _): &(String, String)| n == name.get_ref())
                        {
                            error(name.span(), format!("duplicate claim '{}'", name.get_ref()));
                        }
                        claims.push((name.get_ref().clone(), value.get_ref().clone()));
                    }
                }
                AttestationSigner::Certificate {
                    identity: identity.unwrap_or(ValueMatch::Exact(String::new())),
                    issuer: issuer.unwrap_or(ValueMatch::Exact(String::new())),
                    claims,
                }
            }
        };
        out.push(Attestation {
            subject: subject.to_owned(),
            trusted_root: root.clone(),
            signer,
        });
    }
    out
}

fn one_of(
    r: &RawAttestation,
    name: &str,
    exact: &Option<Spanned<String>>,
    regexp: &Option<Spanned<String>>,
    error: &mut dyn FnMut(Range<usize>, String),
) -> Option<ValueMatch> {
    match (exact, regexp) {
        (Some(e), None) => {
            if e.get_ref().is_empty() {
                error(e.span(), format!("empty `{name}`"));
            }
            Some(ValueMatch::Exact(e.get_ref().clone()))
        }
        (None, Some(re)) => {
            check_regexp(re, error);
            Some(ValueMatch::Regexp(re.get_ref().clone()))
        }
        (Some(_), Some(re)) => {
            error(
                re.span(),
                format!("`{name}` and `{name}_regexp` are exclusive; give one"),
            );
            None
        }
        (None, None) => {
            error(
                r.span.clone(),
                format!(
                    "missing `{name}` (or `{name}_regexp`); or give `key` for a key-based bundle"
                ),
            );
            None
        }
    }
}

#[cfg(feature = "attest")]
fn check_regexp(re: &Spanned<String>, error: &mut dyn FnMut(Range<usize>, String)) {
    if let Err(e) = crate::attest::Matcher::regex(re.get_ref()) {
        error(re.span(), e);
    }
}

#[cfg(not(feature = "attest"))]
fn check_regexp(_: &Spanned<String>, _: &mut dyn FnMut(Range<usize>, String)) {}

#[cfg(feature = "attest")]
fn check_claim(
    name: &Spanned<String>,
    value: &Spanned<String>,
    error: &mut dyn FnMut(Range<usize>, String),
) {
    use crate::attest::FulcioClaim;
    if FulcioClaim::from_name(name.get_ref()).is_none() {
        let known: Vec<_> = FulcioClaim::ALL.iter().map(|c| c.name()).collect();
        error(
            name.span(),
            format!(
                "unknown Fulcio claim '{}' (known: {})",
                name.get_ref(),
                known.join(", ")
            ),
        );
    }
    if value.get_ref().is_empty() {
        error(
            value.span(),
            format!("empty value for claim '{}'", name.get_ref()),
        );
    }
}

#[cfg(not(feature = "attest"))]
fn check_claim(
    _: &Spanned<String>,
    value: &Spanned<String>,
    error: &mut dyn FnMut(Range<usize>, String),
) {
    if value.get_ref().is_empty() {
        error(value.span(), "empty claim value".into());
    }
}

#[cfg(feature = "attest")]
fn check_trusted_root(
    path: &Path,
    keyless: bool,
    at: &Spanned<String>,
    error: &mut dyn FnMut(Range<usize>, String),
) {
    match read_bounded(path)
        .and_then(|b| crate::attest::TrustedRoot::from_json(&b).map_err(|e| e.to_string()))
    {
        Err(e) => error(at.span(), format!("trusted_root: {e}")),
        Ok(root) => {
            if root.logs.is_empty() {
                error(
                    at.span(),
                    format!(
                        "trusted_root '{}' lists no transparency log (tlogs): no bundle can verify",
                        at.get_ref()
                    ),
                );
            }
            if keyless && root.authorities.is_empty() {
                error(
                    at.span(),
                    format!(
                        "trusted_root '{}' lists no certificate authority: no keyless bundle can verify",
                        at.get_ref()
                    ),
                );
            }
        }
    }
}

#[cfg(not(feature = "attest"))]
fn check_trusted_root(
    path: &Path,
    _: bool,
    at: &Spanned<String>,
    error: &mut dyn FnMut(Range<usize>, String),
) {
    if let Err(e) = read_bounded(path) {
        error(at.span(), format!("trusted_root: {e}"));
    }
}

#[cfg(feature = "attest")]
fn check_key(path: &Path, at: &Spanned<String>, error: &mut dyn FnMut(Range<usize>, String)) {
    if let Err(e) = read_bounded(path).and_then(|b| {
        crate::attest::VerificationKey::from_pem_or_der(&b).map_err(|e| e.to_string())
    }) {
        error(at.span(), format!("key: {e}"));
    }
}

#[cfg(not(feature = "attest"))]
fn check_key(path: &Path, at: &Spanned<String>, error: &mut dyn FnMut(Range<usize>, String)) {
    if let Err(e) = read_bounded(path) {
        error(at.span(), format!("key: {e}"));
    }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The entries as TOML (`[[attestation]]` tables), for `Manifest::to_toml`.
pub(super) fn to_toml(list: &[Attestation]) -> String {
    let mut s = String::new();
    for a in list {
        s.push_str("\n[[attestation]]\n");
        s.push_str(&format!("subject = {}\n", quote(&a.subject)));
        s.push_str(&format!("trusted_root = {}\n", quote(&a.trusted_root)));
        match &a.signer {
            AttestationSigner::Key(k) => s.push_str(&format!("key = {}\n", quote(k))),
            AttestationSigner::Certificate {
                identity,
                issuer,
                claims,
            } => {
                for (name, v) in [("identity", identity), ("issuer", issuer)] {
                    match v {
                        ValueMatch::Exact(x) => s.push_str(&format!("{name} = {}\n", quote(x))),
                        ValueMatch::Regexp(x) => {
                            s.push_str(&format!("{name}_regexp = {}\n", quote(x)))
                        }
                    }
                }
                if !claims.is_empty() {
                    let list: Vec<_> = claims
                        .iter()
                        .map(|(n, v)| format!("{} = {}", quote(n), quote(v)))
                        .collect();
                    s.push_str(&format!("claims = {{ {} }}\n", list.join(", ")));
                }
            }
        }
    }
    s
}
