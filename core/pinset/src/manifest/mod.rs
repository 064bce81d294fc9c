//! The pin manifest: one strict, versioned TOML file from which every platform config is made.
//!
//! Parsing is strict by design: unknown keys, malformed pins and dates, duplicate names and
//! pins, public-suffix names and single-pin enforced domains are errors with `file:line:col`.
//! A manifest that parses is one the runtime can enforce.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

mod raw;
use raw::{RawDefaults, RawManifest, Strings};

use crate::host::{self, HostError};
use crate::pin::Pin;

/// The only manifest format version this library reads.
pub const MANIFEST_VERSION: i64 = 1;

/// Largest manifest file accepted (8 MiB; a 500-domain manifest is about 60 KiB).
pub const MAX_MANIFEST_BYTES: u64 = 8 << 20;

/// Warn when a pin-set expires within this many days.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// A validated manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Where it was read from (for messages and generated headers); `<string>` when parsed from memory.
    pub origin: String,
    /// Domain rules in file order; names are unique after canonicalisation.
    pub domains: Vec<DomainRule>,
    /// Extra trust anchors for debug builds only (Android `debug-overrides`), when asked for.
    pub debug_overrides: Option<DebugOverrides>,
}

/// One `[[domain]]` table, with `[defaults]` applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRule {
    /// Canonical name: lowercase A-label, no trailing dot (or a canonical IP literal).
    pub name: String,
    /// Whether the rule also covers every subdomain, at any depth.
    pub include_subdomains: bool,
    /// Distinct pins in manifest order; empty means an explicit exemption from a parent rule.
    pub pins: Vec<Pin>,
    /// The pin-set stops being enforced at 00:00 UTC on this date.
    pub expires: Option<Date>,
    /// `false`: report-only; violations are reported but connections proceed.
    pub enforce: bool,
    /// Trust anchors for this domain; empty means the platform default (`system`).
    pub trust_anchors: Vec<TrustAnchor>,
    /// Where violation reports are sent.
    pub report_uris: Vec<String>,
    /// 1-based line of the `name` key, for messages.
    pub line: usize,
}

impl DomainRule {
    /// True when this rule is an exemption (`pins = []`) from a parent rule.
    pub fn is_exemption(&self) -> bool {
        self.pins.is_empty()
    }

    /// True when `host` (canonical) falls under this rule.
    pub fn covers(&self, host: &str) -> bool {
        if self.include_subdomains {
            host::is_same_or_subdomain(host, &self.name)
        } else {
            host == self.name
        }
    }
}

/// `[debug_overrides]`: trust anchors added only in debug builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugOverrides {
    /// PEM files of CAs trusted in debug builds (e.g. a local proxy's CA).
    pub trust_anchors: Vec<TrustAnchor>,
}

/// Where a domain's trust comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrustAnchor {
    /// The platform's system CA store.
    System,
    /// A PEM file of one or more CA certificates (a private CA).
    Pem {
        /// The path as written in the manifest (relative to the manifest file).
        path: String,
        /// The path resolved against the manifest's directory, when the manifest came from a file.
        resolved: Option<PathBuf>,
    },
}

/// A calendar date written strictly as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Four-digit year.
    pub year: u16,
    /// 1..=12.
    pub month: u8,
    /// 1..=31, valid for the month.
    pub day: u8,
}

impl Date {
    /// Parses strictly: exactly four-digit year, two-digit month and day, a real calendar date.
    /// `24-01-01`, `2024-1-1` and `2024-01-01T00:00` are all rejected (Android would read the
    /// first as the year 24 and silently expire the pins).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let month_enum = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
        let year = i32::try_from(year).ok()?;
        time::Date::from_calendar_date(year, month_enum, u8::try_from(day).ok()?).ok()?;
        Some(Self {
            year: u16::try_from(year).ok()?,
            month: month_enum as u8,
            day: u8::try_from(day).ok()?,
        })
    }

    /// Seconds since the Unix epoch at 00:00:00 UTC on this date.
    pub fn midnight_utc(&self) -> i64 {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        time::Date::from_calendar_date(i32::from(self.year), month, self.day)
            .map(|d| d.midnight().assume_utc().unix_timestamp())
            .unwrap_or(i64::MIN)
    }

    /// The UTC calendar date containing the given Unix time.
    pub fn from_unix(secs: i64) -> Option<Self> {
        let dt = time::OffsetDateTime::from_unix_timestamp(secs).ok()?;
        Some(Self {
            year: u16::try_from(dt.year()).ok()?,
            month: dt.month() as u8,
            day: dt.day(),
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The manifest is rejected.
    Error,
    /// The manifest is accepted; a human should look.
    Warning,
}

/// One finding about a manifest, with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// File name as given (or `<string>`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {sev}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// A manifest that cannot be used: every error found, each with its location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("{file}: cannot read manifest: {reason}")]
    Io {
        /// The path given.
        file: String,
        /// The OS error.
        reason: String,
    },
    /// The manifest is invalid; each diagnostic carries `file:line:col`.
    #[error("{}", display_all(.0))]
    Invalid(Vec<Diagnostic>),
}

impl ManifestError {
    /// The error diagnostics (empty for I/O errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::Invalid(d) => d,
            Self::Io { .. } => &[],
        }
    }
}

fn display_all(d: &[Diagnostic]) -> String {
    d.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A parsed manifest together with its warnings.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The manifest.
    pub manifest: Manifest,
    /// Warnings (expiry in the past or soon, …).
    pub warnings: Vec<Diagnostic>,
}

// ----- raw TOML shape -------------------------------------------------------------------------

// The shape is read by `raw` (no serde: every shape error at once, and smaller).

// ----- parsing ----------------------------------------------------------------------------------

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

/// 1-based line and character column of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
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
    let defaults = raw.defaults.unwrap_or(RawDefaults {
        enforce: None,
        include_subdomains: None,
        expires: None,
        report_uris: None,
        trust_anchors: None,
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
        let rule = DomainRule {
            name,
            include_subdomains,
            pins,
            expires,
            enforce,
            trust_anchors: d
                .trust_anchors
                .as_ref()
                .map_or_else(|| default_anchors.clone(), |a| trust_anchors(cx, a, false)),
            report_uris: d
                .report_uris
                .as_ref()
                .map_or_else(|| default_reports.clone(), |r| report_uris(cx, r)),
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
            cx.error(
                d.pins.span(),
                format!(
                    "'{}' is report-only with no pins: nothing would be reported",
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
        name_spans.push((name_span, d.pins.get_ref().is_empty()));
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
    Manifest {
        origin: cx.file.clone(),
        domains,
        debug_overrides,
    }
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
        let loopback_http = ["http://localhost", "http://127.0.0.1", "http://[::1]"]
            .iter()
            .any(|p| {
                s.strip_prefix(p)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
            });
        let https_host = s
            .strip_prefix("https://")
            .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
        if https_host.is_some_and(|h| !h.is_empty() && !h.contains(char::is_whitespace))
            || loopback_http
        {
            out.push(s.clone());
        } else {
            cx.error(
                u.span(),
                format!("report URI '{s}' must be an https:// URL (http:// only for loopback)"),
            );
        }
    }
    out
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
                    match std::fs::read(r) {
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
                        Err(e) => cx.error(
                            a.span(),
                            format!("cannot read trust anchor file '{path}': {e}"),
                        ),
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

impl Manifest {
    /// Serializes the manifest as TOML (deterministic; rules in order, defaults spelled out per
    /// domain). Used by `pinset import`; the result parses back into an equivalent manifest.
    pub fn to_toml(&self, header_comment: &str) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut s = String::new();
        for line in header_comment.lines() {
            s.push_str(&format!("# {line}\n"));
        }
        s.push_str("version = 1\n");
        for d in &self.domains {
            s.push_str(&format!("\n[[domain]]\nname = {}\n", q(&d.name)));
            if d.include_subdomains {
                s.push_str("include_subdomains = true\n");
            }
            if d.pins.is_empty() {
                s.push_str("pins = []\n");
            } else {
                s.push_str("pins = [\n");
                for p in &d.pins {
                    s.push_str(&format!("  {},\n", q(&p.to_string())));
                }
                s.push_str("]\n");
            }
            if let Some(e) = d.expires {
                s.push_str(&format!("expires = \"{e}\"\n"));
            }
            if !d.enforce {
                s.push_str("enforce = false\n");
            }
            if d.enforce && d.pins.len() == 1 {
                s.push_str("# Only one pin: add a backup key's pin, then remove this opt-out.\nrequire_backup_pin = false\n");
            }
            if !d.trust_anchors.is_empty() {
                let list = d
                    .trust_anchors
                    .iter()
                    .map(|a| match a {
                        TrustAnchor::System => q("system"),
                        TrustAnchor::Pem { path, .. } => q(path),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                s.push_str(&format!("trust_anchors = [{list}]\n"));
            }
            if !d.report_uris.is_empty() {
                s.push_str(&format!(
                    "report_uris = [{}]\n",
                    d.report_uris
                        .iter()
                        .map(|u| q(u))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        if let Some(dbg) = &self.debug_overrides {
            let list = dbg
                .trust_anchors
                .iter()
                .filter_map(|a| {
                    if let TrustAnchor::Pem { path, .. } = a {
                        Some(q(path))
                    } else {
                        None
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            s.push_str(&format!("\n[debug_overrides]\ntrust_anchors = [{list}]\n"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_dates() {
        assert_eq!(
            Date::parse("2027-06-01"),
            Some(Date {
                year: 2027,
                month: 6,
                day: 1
            })
        );
        for bad in [
            "24-01-01",
            "2024-1-1",
            "2024-01-01T00:00",
            " 2024-01-01",
            "2024-02-30",
            "2024-13-01",
            "2024-00-10",
            "２０２４-01-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Date::parse("1970-01-02").map(|d| d.midnight_utc()),
            Some(86_400)
        );
        assert_eq!(Date::from_unix(86_399), Date::parse("1970-01-01"));
    }

    #[test]
    fn line_col_counts_chars() {
        let src = "a\nbé c";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 2), (2, 1));
        assert_eq!(line_col(src, src.find('c').unwrap_or(0)), (2, 4));
    }
}
