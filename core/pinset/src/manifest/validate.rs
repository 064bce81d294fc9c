//! Reading and validating a manifest: TOML, then the raw shape (`raw`), then every rule, with
//! all findings collected at once.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::raw::{self, RawDefaults, RawManifest, RawSpiffe, RawTrustDomain, Strings};
use super::{
    Date, DebugOverrides, Diagnostic, DomainRule, EXPIRY_WARNING_DAYS, Loaded, MANIFEST_VERSION,
    MAX_ANCHOR_FILE_BYTES, MAX_MANIFEST_BYTES, Manifest, ManifestError, Severity, SpiffeRule,
    TrustAnchor, TrustDomainConfig,
};
use crate::file::{ReadError, read_regular_file};
use crate::host::{self, HostError};
use crate::pin::Pin;
use crate::spiffe::{IdMatcher, TrustDomain};

struct Ctx<'a> {
    src: &'a str,
    /// Byte offsets at which each line starts (for O(log n) positions).
    line_starts: Vec<usize>,
    file: String,
    base_dir: Option<&'a Path>,
    now: Option<i64>,
    diags: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self
            .line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(0);
        let col = self.src.get(start..offset).map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
    fn push(&mut self, severity: Severity, span: Range<usize>, message: impl Into<String>) {
        let (line, col) = self.line_col(span.start);
        self.diags.push(Diagnostic {
            severity,
            file: self.file.clone(),
            line,
            col,
            message: message.into(),
        });
    }
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.push(Severity::Error, span, message);
    }
    fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.push(Severity::Warning, span, message);
    }
}

impl Manifest {
    /// Reads and validates a manifest file. Trust-anchor paths are resolved against its
    /// directory and checked to hold certificates. `now` (Unix seconds) enables expiry warnings.
    pub fn load(path: &Path, now: Option<i64>) -> Result<Loaded, ManifestError> {
        use std::io::Read as _;
        let file = path.display().to_string();
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_MANIFEST_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| ManifestError::Io {
                file: file.clone(),
                reason: e.to_string(),
            })?;
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(ManifestError::Io {
                file,
                reason: format!(
                    "larger than {MAX_MANIFEST_BYTES} bytes; a manifest is a small hand-edited file"
                ),
            });
        }
        let src = String::from_utf8(bytes).map_err(|e| {
            let off = e.utf8_error().valid_up_to();
            ManifestError::Invalid(vec![Diagnostic {
                severity: Severity::Error,
                file: file.clone(),
                line: 1 + e.as_bytes()[..off].iter().filter(|&&b| b == b'\n').count(),
                col: 1,
                message: "manifest is not valid UTF-8".into(),
            }])
        })?;
        let base = path.parent().map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        });
        Self::parse_with(&src, &file, base, now)
    }

    /// Parses a manifest held in memory (e.g. shipped inside an app). Trust-anchor files are
    /// recorded but not opened.
    pub fn parse(src: &str, now: Option<i64>) -> Result<Loaded, ManifestError> {
        Self::parse_with(src, "<string>", None, now)
    }

    /// Parses with an explicit name for messages and an optional base directory for anchor files.
    pub fn parse_with(
        src: &str,
        file: &str,
        base_dir: Option<&Path>,
        now: Option<i64>,
    ) -> Result<Loaded, ManifestError> {
        let line_starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut cx = Ctx {
            src,
            line_starts,
            file: file.to_owned(),
            base_dir,
            now,
            diags: Vec::new(),
        };
        let doc = match toml::de::DeTable::parse(src) {
            Ok(doc) => doc,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                cx.error(span, e.message().trim().to_owned());
                return Err(ManifestError::Invalid(cx.diags));
            }
        };
        let raw: RawManifest = match raw::read(&doc) {
            Ok(raw) => raw,
            Err(errors) => {
                for (span, msg) in errors {
                    let hint = if msg.starts_with("unknown field") {
                        " (the manifest is strict: check the spelling against the manifest reference)"
                    } else {
                        ""
                    };
                    cx.error(span, format!("{msg}{hint}"));
                }
                let mut diags = cx.diags;
                diags.sort_by_key(|d| (d.line, d.col));
                return Err(ManifestError::Invalid(diags));
            }
        };
        let manifest = build(&mut cx, raw);
        let (errors, warnings): (Vec<_>, Vec<_>) = cx
            .diags
            .into_iter()
            .partition(|d| d.severity == Severity::Error);
        if errors.is_empty() {
            Ok(Loaded { manifest, warnings })
        } else {
            let mut errors = errors;
            errors.sort_by_key(|d| (d.line, d.col));
            Err(ManifestError::Invalid(errors))
        }
    }
}

fn build(cx: &mut Ctx<'_>, raw: RawManifest) -> Manifest {
    if *raw.version.get_ref() != MANIFEST_VERSION {
        cx.error(
            raw.version.span(),
            format!(
                "unsupported manifest version {}; this pinset reads version {MANIFEST_VERSION}",
                raw.version.get_ref()
            ),
        );
    }
    let serial = raw
        .serial
        .as_ref()
        .and_then(|s| match u64::try_from(*s.get_ref()) {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                cx.error(
                    s.span(),
                    format!("serial must be a positive integer, not {}", s.get_ref()),
                );
                None
            }
        });
    let defaults = raw.defaults.unwrap_or(RawDefaults {
        enforce: None,
        include_subdomains: None,
        expires: None,
        report_uris: None,
        trust_anchors: None,
        certificate_transparency: None,
    });
    let default_expires = defaults.expires.as_ref().and_then(|e| parse_date(cx, e));
    let default_reports = defaults
        .report_uris
        .as_ref()
        .map(|r| report_uris(cx, r))
        .unwrap_or_default();
    let default_anchors = defaults
        .trust_anchors
        .as_ref()
        .map(|a| trust_anchors(cx, a, false))
        .unwrap_or_default();
    if raw.domain.is_empty() {
        cx.error(
            0..0,
            "manifest has no [[domain]] tables: it would pin nothing",
        );
    }

    let trust_domains = trust_domains(cx, &raw.trust_domain);

    let mut domains = Vec::with_capacity(raw.domain.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut name_spans = Vec::with_capacity(raw.domain.len());
    for d in &raw.domain {
        let name_span = d.name.span();
        let name = match host::canonical_host(d.name.get_ref()) {
            Ok(n) => n.into_owned(),
            Err(e) => {
                cx.error(name_span.clone(), host_error_message(&e));
                continue;
            }
        };
        if host::is_public_suffix(&name) {
            cx.error(
                name_span.clone(),
                format!("'{name}' is a public suffix; pin a registrable domain under it instead"),
            );
        }
        if let Some(&first_line) = seen.get(&name) {
            cx.error(
                name_span.clone(),
                format!(
                    "domain '{name}' is already defined at line {first_line}; merge the two tables"
                ),
            );
            continue;
        }
        let (line, _) = cx.line_col(name_span.start);
        seen.insert(name.clone(), line);
        let include_subdomains = d
            .include_subdomains
            .or(defaults.include_subdomains)
            .unwrap_or(false);
        if include_subdomains && host::is_ip_literal(&name) {
            cx.error(
                name_span.clone(),
                format!("include_subdomains cannot apply to the IP literal '{name}'"),
            );
        }
        let errors_before = cx.diags.len();
        let pins = parse_pins(cx, &d.pins);
        // Rules about the pin count only make sense when every pin parsed.
        let pins_ok = cx.diags.len() == errors_before;
        let expires = match &d.expires {
            Some(e) => parse_date(cx, e),
            None => default_expires,
        };
        let enforce = d.enforce.or(defaults.enforce).unwrap_or(true);
        let spiffe = d
            .spiffe
            .as_ref()
            .and_then(|sp| spiffe_rule(cx, sp, &trust_domains));
        if let (Some(_), Some(ta)) = (&d.spiffe, &d.trust_anchors) {
            cx.error(
                ta.span(),
                format!(
                    "'{name}' has a spiffe rule: its anchors are the trust domain's bundle, so it may not list trust_anchors"
                ),
            );
        }
        let rule = DomainRule {
            name,
            include_subdomains,
            pins,
            expires,
            enforce,
            // A spiffe rule's anchors are its trust domain's bundle: [defaults] trust_anchors
            // do not apply to it.
            trust_anchors: if d.spiffe.is_some() {
                Vec::new()
            } else {
                d.trust_anchors
                    .as_ref()
                    .map_or_else(|| default_anchors.clone(), |a| trust_anchors(cx, a, false))
            },
            spiffe,
            report_uris: d
                .report_uris
                .as_ref()
                .map_or_else(|| default_reports.clone(), |r| report_uris(cx, r)),
            certificate_transparency: d
                .certificate_transparency
                .or(defaults.certificate_transparency),
            line,
        };
        // Backup-pin rule (an enforced pin-set needs a second, distinct key to rotate to).
        let require_backup = d.require_backup_pin.unwrap_or(true);
        if pins_ok && rule.enforce && require_backup && rule.pins.len() == 1 {
            cx.error(
                d.pins.span(),
                format!(
                    "'{}' has one pin; an enforced domain needs at least 2 distinct pins (add a backup key's pin, \
                     or set require_backup_pin = false if you accept the lock-out risk)",
                    rule.name
                ),
            );
        }
        if pins_ok && !rule.enforce && rule.pins.is_empty() {
            let why = if d.spiffe.is_some() {
                " (the SPIFFE ID is always enforced; report-only applies to pins)"
            } else {
                ""
            };
            cx.error(
                d.pins.span(),
                format!(
                    "'{}' is report-only with no pins: nothing would be reported{why}",
                    rule.name
                ),
            );
        }
        if let (Some(exp), Some(now)) = (rule.expires, cx.now) {
            let span = d
                .expires
                .as_ref()
                .or(defaults.expires.as_ref())
                .map_or(name_span.clone(), Spanned::span);
            let left = exp.midnight_utc() - now;
            if left <= 0 {
                cx.warn(
                    span,
                    format!(
                        "pins for '{}' expired on {exp}: they are no longer enforced",
                        rule.name
                    ),
                );
            } else if left <= EXPIRY_WARNING_DAYS * 86_400 {
                cx.warn(
                    span,
                    format!(
                        "pins for '{}' expire on {exp}, within {EXPIRY_WARNING_DAYS} days",
                        rule.name
                    ),
                );
            }
        }
        name_spans.push((name_span, d.pins.get_ref().is_empty() && d.spiffe.is_none()));
        domains.push(rule);
    }

    // Exemptions need a parent rule with include_subdomains; otherwise an empty pin-set is a
    // configured-but-empty rule that silently pins nothing.
    for (i, rule) in domains.iter().enumerate() {
        let (span, declared_empty) = name_spans[i].clone();
        if declared_empty && rule.enforce {
            let has_parent = domains.iter().any(|p| {
                p.include_subdomains
                    && p.name != rule.name
                    && host::is_same_or_subdomain(&rule.name, &p.name)
            });
            if !has_parent {
                cx.error(
                    span,
                    format!(
                        "'{}' has pins = [] but no parent domain with include_subdomains: an empty pin-set pins nothing. \
                         Add pins, or remove the table",
                        rule.name
                    ),
                );
            }
        }
    }

    let debug_overrides = raw.debug_overrides.map(|d| DebugOverrides {
        trust_anchors: trust_anchors(cx, &d.trust_anchors, true),
    });
    let attestations = {
        let mut errs = Vec::new();
        let list = super::attestation::build(&raw.attestation, cx.base_dir, &mut |span, msg| {
            errs.push((span, msg));
        });
        for (span, msg) in errs {
            cx.error(span, msg);
        }
        list
    };
    Manifest {
        origin: cx.file.clone(),
        serial,
        domains,
        debug_overrides,
        attestations,
        certificate_transparency: defaults.certificate_transparency,
        trust_domains,
    }
}

/// `[[trust_domain]]`: valid, distinct names; each bundle file (when the manifest came from a
/// file) read bounded, regular files only, and parsed as a SPIFFE bundle (JWKS or PEM).
fn trust_domains(cx: &mut Ctx<'_>, raw: &[RawTrustDomain]) -> Vec<TrustDomainConfig> {
    let mut out: Vec<TrustDomainConfig> = Vec::with_capacity(raw.len());
    for t in raw {
        let (line, _) = cx.line_col(t.name.span().start);
        let name = match TrustDomain::parse(t.name.get_ref()) {
            Ok(n) => n,
            Err(e) => {
                cx.error(t.name.span(), e.to_string());
                continue;
            }
        };
        if let Some(first) = out.iter().find(|o| o.name == name) {
            cx.error(
                t.name.span(),
                format!(
                    "trust domain '{name}' is already defined at line {}; a trust domain has one bundle",
                    first.line
                ),
            );
            continue;
        }
        let path = t.bundle.get_ref();
        if path.is_empty() {
            cx.error(t.bundle.span(), "empty bundle path");
            continue;
        }
        let resolved = cx.base_dir.map(|b| b.join(path));
        if let Some(r) = &resolved {
            if let Err(msg) = check_bundle_file(&name, r) {
                cx.error(t.bundle.span(), format!("bundle file '{path}': {msg}"));
            }
        }
        out.push(TrustDomainConfig {
            name,
            bundle: path.clone(),
            resolved,
            line,
        });
    }
    out
}

#[cfg(feature = "spiffe")]
fn check_bundle_file(name: &TrustDomain, path: &Path) -> Result<(), String> {
    let bytes = read_regular_file(path, MAX_ANCHOR_FILE_BYTES).map_err(|e| e.to_string())?;
    crate::spiffe::Bundle::parse(name.clone(), &bytes)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "spiffe"))]
fn check_bundle_file(_name: &TrustDomain, path: &Path) -> Result<(), String> {
    read_regular_file(path, MAX_ANCHOR_FILE_BYTES)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A domain's `spiffe = { ... }`: exactly one of `id`, `member_of`, `prefix`, valid, in a
/// declared trust domain. Refused outright by a build without the `spiffe` feature (the mobile
/// library), which could not enforce it.
fn spiffe_rule(
    cx: &mut Ctx<'_>,
    sp: &RawSpiffe,
    trust_domains: &[TrustDomainConfig],
) -> Option<SpiffeRule> {
    if cfg!(not(feature = "spiffe")) {
        cx.error(
            sp.span.clone(),
            "this build of pinset cannot verify SPIFFE X.509-SVIDs (built without the `spiffe` feature, \
             as the mobile library is): a manifest with a spiffe rule is refused rather than enforced partly",
        );
        return None;
    }
    let given: Vec<(&str, &Spanned<String>)> = [
        ("id", &sp.id),
        ("member_of", &sp.member_of),
        ("prefix", &sp.prefix),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    let (kind, value) = match given.as_slice() {
        [one] => *one,
        [] => {
            cx.error(
                sp.span.clone(),
                "spiffe needs one of `id`, `member_of` or `prefix`",
            );
            return None;
        }
        [_, second, ..] => {
            cx.error(
                second.1.span(),
                "spiffe takes exactly one of `id`, `member_of` or `prefix`",
            );
            return None;
        }
    };
    let matcher = match kind {
        "id" => IdMatcher::id(value.get_ref()),
        "member_of" => IdMatcher::member_of(value.get_ref()),
        _ => IdMatcher::prefix(value.get_ref()),
    };
    let matcher = match matcher {
        Ok(m) => m,
        Err(e) => {
            cx.error(value.span(), format!("spiffe {kind}: {e}"));
            return None;
        }
    };
    if !trust_domains
        .iter()
        .any(|t| t.name.as_str() == matcher.trust_domain())
    {
        cx.error(
            value.span(),
            format!(
                "trust domain '{}' has no [[trust_domain]] table: add one with its bundle file",
                matcher.trust_domain()
            ),
        );
        return None;
    }
    Some(SpiffeRule {
        matcher,
        dns: sp.dns.unwrap_or(false),
    })
}

fn host_error_message(e: &HostError) -> String {
    format!("invalid domain name: {e}")
}

fn parse_pins(cx: &mut Ctx<'_>, pins: &Strings) -> Vec<Pin> {
    let mut out: Vec<Pin> = Vec::with_capacity(pins.get_ref().len());
    let mut seen = HashSet::new();
    for p in pins.get_ref() {
        match Pin::parse(p.get_ref()) {
            Ok(pin) => {
                if seen.insert(pin) {
                    out.push(pin);
                } else {
                    cx.error(
                        p.span(),
                        format!("duplicate pin {pin}; a backup pin must be a different key"),
                    );
                }
            }
            Err(e) => cx.error(p.span(), e.to_string()),
        }
    }
    out
}

fn parse_date(cx: &mut Ctx<'_>, s: &Spanned<String>) -> Option<Date> {
    let d = Date::parse(s.get_ref());
    if d.is_none() {
        cx.error(
            s.span(),
            format!("invalid date '{}': write a real calendar date as zero-padded YYYY-MM-DD (e.g. 2027-06-01)", s.get_ref()),
        );
    }
    d
}

fn report_uris(cx: &mut Ctx<'_>, uris: &Strings) -> Vec<String> {
    let mut out = Vec::new();
    for u in uris.get_ref() {
        let s = u.get_ref();
        match report_uri_problem(s) {
            None => out.push(s.clone()),
            Some(why) => cx.error(
                u.span(),
                format!(
                    "report URI '{s}' must be an https:// URL (http:// only for loopback): {why}"
                ),
            ),
        }
    }
    out
}

/// Why a report URI is not acceptable. The URI is read strictly, as a subset that every URL
/// parser reads the same way (the tests hold it against the `url` crate's WHATWG parser): an
/// `https` or `http` scheme, `://`, an authority without credentials, then anything. The host
/// is the authority's, not a prefix (`http://localhost:80@evil.example/` is a URL for
/// `evil.example`, refused here for its credentials); it must be a name or IP literal that
/// [`crate::host::canonical_host`] accepts, so percent-escapes, short or hex IPv4 spellings
/// and backslashes, which URL parsers rewrite, are refused rather than guessed at.
fn report_uri_problem(s: &str) -> Option<String> {
    let Some((scheme, rest)) = s.split_once("://") else {
        return Some("not a URL (no scheme://)".into());
    };
    if let Some(c) = s
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || *c == '\\')
    {
        return Some(format!(
            "the character {c:?} is not allowed in a report URI"
        ));
    }
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Some(format!("scheme '{scheme}'"));
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if authority.contains('@') {
        return Some("credentials (user@) in the URL are refused: they hide the real host".into());
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, after)) => match after.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return Some(format!("'{authority}' is not a host[:port]")),
            },
            None => return Some(format!("'{authority}' is not a host[:port]")),
        },
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.parse::<u16>().is_err() {
            return Some(format!("port '{p}'"));
        }
    }
    if host.is_empty() {
        return Some("no host".into());
    }
    let host = match crate::host::canonical_host(host) {
        Ok(h) => h,
        Err(e) => return Some(format!("host: {e}")),
    };
    if scheme == "https" {
        return None;
    }
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!loopback).then(|| format!("http:// to the non-loopback host '{host}'"))
}

fn trust_anchors(cx: &mut Ctx<'_>, anchors: &Strings, debug: bool) -> Vec<TrustAnchor> {
    let mut out = Vec::new();
    for a in anchors.get_ref() {
        let s = a.get_ref().as_str();
        let anchor = match s {
            "system" if !debug => TrustAnchor::System,
            "system" => {
                cx.error(
                    a.span(),
                    "debug_overrides trust_anchors take PEM files; 'system' is always trusted",
                );
                continue;
            }
            "user" => {
                cx.error(
                    a.span(),
                    "'user' CAs are what interception proxies install; pinset does not trust them. \
                     Put a proxy CA for debugging under [debug_overrides]",
                );
                continue;
            }
            "" => {
                cx.error(
                    a.span(),
                    "empty trust anchor; use \"system\" or a PEM file path",
                );
                continue;
            }
            path => {
                let resolved = cx.base_dir.map(|b| b.join(path));
                if let Some(r) = &resolved {
                    // Bounded, regular files only: a FIFO or device never hangs the check.
                    match read_regular_file(r, MAX_ANCHOR_FILE_BYTES) {
                        Ok(bytes) => match crate::certificate::parse_certificates(&bytes) {
                            Ok(certs) if !certs.is_empty() => {}
                            Ok(_) => cx.error(
                                a.span(),
                                format!("trust anchor file '{path}' holds no certificate"),
                            ),
                            Err(e) => {
                                cx.error(a.span(), format!("trust anchor file '{path}': {e}"))
                            }
                        },
                        Err(ReadError::Io(e)) => cx.error(
                            a.span(),
                            format!("cannot read trust anchor file '{path}': {e}"),
                        ),
                        Err(e) => cx.error(a.span(), format!("trust anchor file '{path}': {e}")),
                    }
                }
                TrustAnchor::Pem {
                    path: path.to_owned(),
                    resolved,
                }
            }
        };
        if out.contains(&anchor) {
            cx.error(a.span(), format!("duplicate trust anchor '{s}'"));
        } else {
            out.push(anchor);
        }
    }
    out
}

#[cfg(test)]
mod report_uri_tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::report_uri_problem;

    /// Every URI accepted here means the same to the WHATWG parser (the `url` crate, which the
    /// check used before): same scheme, same host, loopback judged the same.
    #[test]
    fn accepted_uris_read_the_same_in_a_whatwg_parser() {
        let cases = [
            "https://r.example/",
            "https://r.example",
            "https://R.Example.:8443/a/b?c=d#e",
            "HTTPS://r.example/x",
            "https://b\u{fc}cher.example/r",
            "https://xn--bcher-kva.example/r",
            "https://[2001:db8::1]:443/r",
            "https://192.0.2.1/r",
            "http://127.0.0.1:8080/r",
            "http://localhost/r",
            "http://LOCALHOST:1/",
            "http://[::1]/r",
            "http://127.0.0.1.evil.example/",
            "http://localhost:80@evil.example/",
            "https://reports.example@evil.example/",
            "https://:@r.example/",
            "http://127.1/",
            "http://0x7f.0.0.1/",
            "http://2130706433/",
            "http://%6c%6fcalhost/",
            "https://r.example\\@evil.example/",
            "https://r.example:99999/",
            "https://r.example:/",
            "https://r.example:+1/",
            "http:/localhost/",
            "ftp://r.example/",
            "https://",
            "https:///r",
            "https://[::1/",
            "https://[::1]x/",
            "https://r ex.example/",
            "https://r.example/\u{0}",
            "javascript://r.example/%0aalert(1)",
            "https://*.example/",
            "https://a..example/",
        ];
        let mut accepted = 0;
        for s in cases {
            let ours = report_uri_problem(s);
            let theirs = url::Url::parse(s);
            if ours.is_some() {
                continue;
            }
            accepted += 1;
            let u = theirs.unwrap_or_else(|e| panic!("{s}: accepted here, not a WHATWG URL: {e}"));
            assert!(u.username().is_empty() && u.password().is_none(), "{s}");
            let host = u
                .host_str()
                .unwrap()
                .trim_start_matches('[')
                .trim_end_matches(']');
            let ours_host = crate::host::canonical_host(host).unwrap();
            assert_eq!(ours_host, host.trim_end_matches('.'), "{s}");
            if u.scheme() == "http" {
                let loopback = match u.host().unwrap() {
                    url::Host::Domain(d) => d.trim_end_matches('.') == "localhost",
                    url::Host::Ipv4(ip) => ip.is_loopback(),
                    url::Host::Ipv6(ip) => ip.is_loopback(),
                };
                assert!(loopback, "{s}");
            } else {
                assert_eq!(u.scheme(), "https", "{s}");
            }
        }
        assert_eq!(accepted, 12, "the accepted cases above");
    }

    #[test]
    fn refusals_say_why() {
        for (s, why) in [
            ("http://localhost:80@evil.example/", "credentials"),
            (
                "http://127.0.0.1.evil.example/",
                "non-loopback host '127.0.0.1.evil.example'",
            ),
            ("http://127.1/", "ends in a number"),
            ("http://%6c%6fcalhost/", "contains '%'"),
            ("https://r.example\\@evil.example/", "'\\\\'"),
            ("https://r.example:99999/", "port '99999'"),
            ("ftp://r.example/", "scheme 'ftp'"),
            ("https:///r", "no host"),
            ("r.example/report", "no scheme"),
        ] {
            let got = report_uri_problem(s).unwrap_or_else(|| panic!("{s} accepted"));
            assert!(got.contains(why), "{s}: {got}");
        }
    }
}
