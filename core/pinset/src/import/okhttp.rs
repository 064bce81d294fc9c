//! OkHttp `CertificatePinner.Builder().add(pattern, pins…)` calls in Kotlin or Java source.
//!
//! The source is tokenised as the compiler would read it: comments (Kotlin's nest, Java's do
//! not) are skipped, string literals are decoded with the language's escapes (`\uXXXX`, Java's
//! octal escapes and its Unicode pre-translation of the whole source, Kotlin raw strings), and
//! every `add(` call must take string literals only; anything else (a constant, a
//! concatenation, a template) is refused with its position rather than guessed.
//!
//! Patterns keep OkHttp's meaning: `**.x` is `x` and every subdomain, `*.x` exactly one label
//! under `x`, otherwise the exact host; every matching pattern's pins apply (union). The
//! manifest has one rule per name and no one-label wildcard, so each rule gets the union OkHttp
//! computes for the hosts it governs; where those hosts would need different pins the import
//! refuses, and where the manifest pins hosts OkHttp leaves unpinned (`*.x` also covers `x` and
//! deeper names in the manifest) it says so in a note.

use std::collections::{HashMap, HashSet};

use super::common::{ImportError, Imported, Positions, self_check};
use crate::host;
use crate::manifest::{DomainRule, Manifest};
use crate::pin::{EMPTY_SHA256_B64, Pin};

/// The language of an OkHttp configuration source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Kotlin (`.kt`, `.kts`): nested block comments, raw strings, `$` templates.
    Kotlin,
    /// Java (`.java`): Unicode escapes translated before lexing, octal escapes, text blocks.
    Java,
}

impl Language {
    /// Java for a `.java` file name, Kotlin otherwise.
    pub fn from_file_name(name: &str) -> Self {
        if name.to_ascii_lowercase().ends_with(".java") {
            Self::Java
        } else {
            Self::Kotlin
        }
    }
}

/// Imports OkHttp pins from Kotlin or Java source; the language is chosen by `origin`'s file
/// extension (`.java` is Java, anything else Kotlin).
pub fn okhttp(src: &str, origin: &str) -> Result<Imported, ImportError> {
    okhttp_source(src, origin, Language::from_file_name(origin))
}

/// Imports OkHttp pins from source in the given language.
pub fn okhttp_source(src: &str, origin: &str, lang: Language) -> Result<Imported, ImportError> {
    let pos = Positions::new(src);
    let (text, map) = match lang {
        Language::Java => java_unicode_escapes(src).map_err(|(off, m)| pos.error(off, m))?,
        Language::Kotlin => (src.to_owned(), OffsetMap::identity()),
    };
    let err = |text_off: usize, m: String| pos.error(map.source_offset(text_off), m);
    let tokens = Lexer::new(&text, lang)
        .run()
        .map_err(|(off, m)| err(off, m))?;
    let calls = add_calls(&tokens).map_err(|(off, m)| err(off, m))?;
    if calls.is_empty() {
        return Err(ImportError {
            message: "no CertificatePinner.Builder().add(…) call found".into(),
            line: 1,
            col: 1,
        });
    }
    let mut notes = Vec::new();
    let mut patterns = Patterns::default();
    for call in &calls {
        let ((pattern, p_off), pins) = call
            .split_first()
            .ok_or_else(|| err(0, "add() without a pattern".into()))?;
        let (kind, name) = parse_pattern(pattern).map_err(|m| err(*p_off, m))?;
        let line = pos.line(map.source_offset(*p_off));
        if pattern.ends_with('.') {
            notes.push(format!(
                "line {line}: '{pattern}' ends with a dot: OkHttp matches only the dotted spelling of the host, \
                 the manifest pins both spellings (stricter)"
            ));
        }
        if pins.is_empty() {
            notes.push(format!(
                "line {line}: add(\"{pattern}\") without pins adds nothing in OkHttp; left out"
            ));
            continue;
        }
        let mut parsed = Vec::with_capacity(pins.len());
        for (p, off) in pins {
            parsed.push(parse_pin(p).map_err(|m| err(*off, m))?);
        }
        patterns.add(kind, name, parsed, line);
    }
    let domains = patterns.rules(&mut notes)?;
    if domains.is_empty() {
        return Err(ImportError {
            message: "no add(…) call with pins found: nothing is pinned".into(),
            line: 1,
            col: 1,
        });
    }
    self_check(Imported {
        manifest: Manifest {
            origin: origin.to_owned(),
            serial: None,
            domains,
            debug_overrides: None,
            attestations: Vec::new(),
            certificate_transparency: None,
            trust_domains: Vec::new(),
        },
        notes,
    })
}

// ----- OkHttp's pattern and pin rules ---------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `host`: that host only.
    Exact,
    /// `*.host`: exactly one label under host.
    OneLabel,
    /// `**.host`: host and every subdomain.
    AnyDepth,
}

fn parse_pattern(pattern: &str) -> Result<(Kind, String), String> {
    let (kind, rest) = if let Some(r) = pattern.strip_prefix("**.") {
        (Kind::AnyDepth, r)
    } else if let Some(r) = pattern.strip_prefix("*.") {
        (Kind::OneLabel, r)
    } else {
        (Kind::Exact, pattern)
    };
    if rest.contains('*') {
        return Err(format!("Unexpected pattern: {pattern}"));
    }
    let name = host::canonical_host(rest)
        .map_err(|e| format!("Invalid pattern: {pattern} ({e})"))?
        .into_owned();
    if kind != Kind::Exact && host::is_ip_literal(&name) {
        return Err(format!(
            "Invalid pattern: {pattern} (a wildcard over an IP literal matches nothing useful; pinset refuses it)"
        ));
    }
    if host::is_public_suffix(&name) {
        return Err(format!(
            "'{pattern}' pins a public suffix; pinset refuses rules on public suffixes (pin a registrable domain)"
        ));
    }
    Ok((kind, name))
}

/// `sha256/` + base64 as OkHttp (Okio) decodes it: either alphabet, whitespace skipped, padding
/// optional. OkHttp accepts a digest of the wrong length (it then never matches); pinset refuses it.
fn parse_pin(p: &str) -> Result<Pin, String> {
    if p.starts_with("sha1/") {
        return Err(format!(
            "sha1/ pins are not supported by pinset (SHA-1 is broken): {p}"
        ));
    }
    let b64 = p
        .strip_prefix("sha256/")
        .ok_or_else(|| format!("pins must start with 'sha256/' or 'sha1/': {p}"))?;
    let bytes = okio_base64(b64).ok_or_else(|| format!("Invalid pin hash: {p}"))?;
    let digest: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
        format!(
            "pin {p} decodes to {} bytes, not 32: OkHttp accepts it but it never matches; fix or remove it",
            bytes.len()
        )
    })?;
    let pin = Pin::from_digest(digest);
    if pin.to_base64() == EMPTY_SHA256_B64 {
        return Err(format!(
            "pin {p} is the SHA-256 of empty input (a broken pin script)"
        ));
    }
    Ok(pin)
}

fn okio_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let trimmed = s.trim_end_matches(['=', ' ', '\n', '\r', '\t']);
    let mut clean = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        match c {
            ' ' | '\n' | '\r' | '\t' => {}
            '-' => clean.push('+'),
            '_' => clean.push('/'),
            'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' => clean.push(c),
            _ => return None,
        }
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
    );
    engine.decode(clean).ok()
}

#[derive(Default)]
struct Patterns {
    /// (kind, name) → (rank of first appearance, pins in order of appearance).
    by_key: HashMap<(Kind, String), (usize, Vec<Pin>)>,
    /// Names in order of first appearance, with the line of that appearance.
    names: Vec<(String, usize)>,
    lines: HashMap<String, usize>,
    labels: HashSet<String>,
}

impl Patterns {
    fn add(&mut self, kind: Kind, name: String, pins: Vec<Pin>, line: usize) {
        if !self.lines.contains_key(&name) {
            self.lines.insert(name.clone(), line);
            self.names.push((name.clone(), line));
            self.labels.extend(name.split('.').map(str::to_owned));
        }
        let rank = self.by_key.len();
        let (_, entry) = self
            .by_key
            .entry((kind, name))
            .or_insert((rank, Vec::new()));
        let mut distinct: HashSet<Pin> = entry.iter().copied().collect();
        for p in pins {
            if distinct.insert(p) {
                entry.push(p);
            }
        }
    }

    /// The pins OkHttp applies to `host`: the union over every matching pattern.
    fn union(&self, host: &str) -> Vec<Pin> {
        let mut matched: Vec<(usize, &Vec<Pin>)> = Vec::new();
        let mut push = |kind: Kind, name: &str| {
            if let Some((rank, pins)) = self.by_key.get(&(kind, name.to_owned())) {
                matched.push((*rank, pins));
            }
        };
        push(Kind::Exact, host);
        push(Kind::AnyDepth, host);
        let mut suffix = host;
        let mut depth = 0;
        while let Some((_, parent)) = suffix.split_once('.') {
            depth += 1;
            push(Kind::AnyDepth, parent);
            if depth == 1 {
                push(Kind::OneLabel, parent);
            }
            suffix = parent;
        }
        matched.sort_by_key(|(rank, _)| *rank);
        let mut out: Vec<Pin> = Vec::new();
        let mut distinct = HashSet::new();
        for (_, pins) in matched {
            for p in pins {
                if distinct.insert(*p) {
                    out.push(*p);
                }
            }
        }
        out
    }

    /// A label no name uses, so `probe.name` stands for "any other subdomain of name".
    fn probe_label(&self) -> String {
        (0u32..)
            .map(|i| format!("pinset-probe{i}"))
            .find(|l| !self.labels.contains(l))
            .unwrap_or_default()
    }

    fn rules(&self, notes: &mut Vec<String>) -> Result<Vec<DomainRule>, ImportError> {
        let probe = self.probe_label();
        let sorted = |v: &[Pin]| {
            let mut s = v.to_vec();
            s.sort();
            s
        };
        let mut out = Vec::with_capacity(self.names.len());
        for (name, line) in &self.names {
            let wildcard = [Kind::OneLabel, Kind::AnyDepth]
                .iter()
                .any(|k| self.by_key.contains_key(&(*k, name.clone())));
            let apex = self.union(name);
            let pins = if wildcard {
                let one = self.union(&format!("{probe}.{name}"));
                let deep = self.union(&format!("{probe}.{probe}.{name}"));
                let classes = [
                    (&apex, format!("'{name}' itself")),
                    (&one, format!("one label under '{name}'")),
                    (&deep, format!("two or more labels under '{name}'")),
                ];
                let pinned: Vec<_> = classes.iter().filter(|(p, _)| !p.is_empty()).collect();
                let first = pinned.first().map(|(p, _)| sorted(p)).unwrap_or_default();
                if pinned.iter().any(|(p, _)| sorted(p) != first) {
                    let detail = pinned
                        .iter()
                        .map(|(p, what)| format!("{what}: {} pin(s)", p.len()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(ImportError {
                        message: format!(
                            "OkHttp applies different pins to hosts that one manifest rule for '{name}' would cover ({detail}); \
                             the manifest has one rule per name. Give these patterns the same pins, or import them separately"
                        ),
                        line: *line,
                        col: 1,
                    });
                }
                for (p, what) in &classes {
                    if p.is_empty() {
                        notes.push(format!(
                            "line {line}: OkHttp leaves {what} unpinned; the manifest's include_subdomains rule pins it too (stricter)"
                        ));
                    }
                }
                pinned
                    .first()
                    .map(|(p, _)| (*p).clone())
                    .unwrap_or_default()
            } else {
                apex
            };
            out.push(DomainRule {
                name: name.clone(),
                include_subdomains: wildcard,
                pins,
                expires: None,
                enforce: true,
                trust_anchors: Vec::new(),
                report_uris: Vec::new(),
                certificate_transparency: None,
                spiffe: None,
                line: *line,
            });
        }
        Ok(out)
    }
}

// ----- the tokeniser --------------------------------------------------------------------------

/// Maps offsets in the Unicode-translated Java text back to the source.
struct OffsetMap(Vec<(usize, usize)>);

impl OffsetMap {
    fn identity() -> Self {
        Self(vec![(0, 0)])
    }
    fn source_offset(&self, text_off: usize) -> usize {
        let i = self.0.partition_point(|&(t, _)| t <= text_off);
        let (t, s) = self.0.get(i.wrapping_sub(1)).copied().unwrap_or((0, 0));
        s + (text_off - t)
    }
}

type LexError = (usize, String);

/// JLS 3.3: `\uXXXX` (any number of `u`) is translated everywhere in the source before lexing,
/// when its `\` is preceded by an even number of backslashes.
fn java_unicode_escapes(src: &str) -> Result<(String, OffsetMap), LexError> {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut map = vec![(0, 0)];
    let mut i = 0;
    let mut copied = 0;
    let mut pending_high: Option<(u16, usize)> = None;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        let run_start = i;
        while i < b.len() && b[i] == b'\\' {
            i += 1;
        }
        let run = i - run_start;
        if run % 2 == 0 || b.get(i) != Some(&b'u') {
            continue;
        }
        let esc = i - 1;
        let mut j = i;
        while b.get(j) == Some(&b'u') {
            j += 1;
        }
        let hex = src
            .get(j..j + 4)
            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
            .ok_or_else(|| (esc, "illegal unicode escape".to_owned()))?;
        let unit =
            u16::from_str_radix(hex, 16).map_err(|_| (esc, "illegal unicode escape".to_owned()))?;
        let end = j + 4;
        out.push_str(&src[copied..esc]);
        let ch = match (pending_high.take(), unit) {
            (Some((high, at)), 0xDC00..=0xDFFF) if at == esc => {
                let c = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                char::from_u32(c)
            }
            (Some((_, at)), _) => {
                return Err((at, "unpaired UTF-16 surrogate in a unicode escape".into()));
            }
            (None, 0xD800..=0xDBFF) => {
                pending_high = Some((unit, end));
                None
            }
            (None, 0xDC00..=0xDFFF) => {
                return Err((esc, "unpaired UTF-16 surrogate in a unicode escape".into()));
            }
            (None, u) => char::from_u32(u32::from(u)),
        };
        if let Some(c) = ch {
            out.push(c);
        }
        copied = end;
        i = end;
        map.push((out.len(), end));
    }
    if let Some((_, at)) = pending_high {
        return Err((at, "unpaired UTF-16 surrogate in a unicode escape".into()));
    }
    out.push_str(&src[copied..]);
    Ok((out, OffsetMap(map)))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// A string literal: its value, or why it is not a plain literal.
    Str(Result<String, String>),
    Punct(u8),
    Other,
}

struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    lang: Language,
    out: Vec<(Tok, usize)>,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str, lang: Language) -> Self {
        Self {
            s,
            b: s.as_bytes(),
            i: 0,
            lang,
            out: Vec::new(),
        }
    }

    fn run(mut self) -> Result<Vec<(Tok, usize)>, LexError> {
        self.code(false)?;
        Ok(self.out)
    }

    fn peek(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn char_at(&self, i: usize) -> Option<char> {
        self.s.get(i..).and_then(|r| r.chars().next())
    }

    /// Lexes code; inside a Kotlin `${…}` template, returns at its closing brace.
    fn code(&mut self, in_template: bool) -> Result<(), LexError> {
        let mut depth = 0usize;
        while let Some(c) = self.peek(0) {
            let start = self.i;
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | 0x0c => self.i += 1,
                b'/' if self.peek(1) == Some(b'/') => {
                    while self.peek(0).is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                b'/' if self.peek(1) == Some(b'*') => self.block_comment()?,
                b'"' if self.peek(1) == Some(b'"') && self.peek(2) == Some(b'"') => {
                    let v = match self.lang {
                        Language::Kotlin => self.kotlin_raw()?,
                        Language::Java => self.java_text_block()?,
                    };
                    self.out.push((Tok::Str(v), start));
                }
                b'"' => {
                    let v = match self.lang {
                        Language::Kotlin => self.kotlin_string()?,
                        Language::Java => self.java_string()?,
                    };
                    self.out.push((Tok::Str(v), start));
                }
                b'\'' => {
                    self.char_literal()?;
                    self.out.push((Tok::Other, start));
                }
                b'`' if self.lang == Language::Kotlin => {
                    self.i += 1;
                    let from = self.i;
                    while self.peek(0).is_some_and(|c| c != b'`' && c != b'\n') {
                        self.i += 1;
                    }
                    if self.peek(0) != Some(b'`') {
                        return Err((start, "unterminated backtick identifier".into()));
                    }
                    let name = self.s[from..self.i].to_owned();
                    self.i += 1;
                    self.out.push((Tok::Ident(name), start));
                }
                b'{' => {
                    depth += 1;
                    self.i += 1;
                    self.out.push((Tok::Punct(c), start));
                }
                b'}' => {
                    self.i += 1;
                    if depth == 0 && in_template {
                        return Ok(());
                    }
                    depth = depth.saturating_sub(1);
                    self.out.push((Tok::Punct(c), start));
                }
                c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80 => {
                    let ch = self.char_at(self.i).unwrap_or('\u{fffd}');
                    if c >= 0x80 && !ch.is_alphabetic() {
                        self.i += ch.len_utf8();
                        self.out.push((Tok::Other, start));
                        continue;
                    }
                    while let Some(ch) = self.char_at(self.i) {
                        if ch.is_alphanumeric() || ch == '_' || ch == '$' {
                            self.i += ch.len_utf8();
                        } else {
                            break;
                        }
                    }
                    self.out
                        .push((Tok::Ident(self.s[start..self.i].to_owned()), start));
                }
                c if c.is_ascii_digit() => {
                    while self
                        .peek(0)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                    {
                        self.i += 1;
                    }
                    self.out.push((Tok::Other, start));
                }
                c => {
                    self.i += 1;
                    self.out.push((Tok::Punct(c), start));
                }
            }
        }
        if in_template {
            return Err((self.i, "unterminated string template".into()));
        }
        Ok(())
    }

    fn block_comment(&mut self) -> Result<(), LexError> {
        let start = self.i;
        self.i += 2;
        let mut depth = 1usize;
        while depth > 0 {
            match (self.peek(0), self.peek(1)) {
                (None, _) => return Err((start, "unterminated comment".into())),
                (Some(b'*'), Some(b'/')) => {
                    depth -= 1;
                    self.i += 2;
                }
                // Kotlin block comments nest; Java's do not.
                (Some(b'/'), Some(b'*')) if self.lang == Language::Kotlin => {
                    depth += 1;
                    self.i += 2;
                }
                _ => self.i += 1,
            }
        }
        Ok(())
    }

    fn char_literal(&mut self) -> Result<(), LexError> {
        let start = self.i;
        self.i += 1;
        loop {
            match self.peek(0) {
                None | Some(b'\n') => return Err((start, "unterminated character literal".into())),
                Some(b'\\') => self.i += 2,
                Some(b'\'') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(_) => self.i += self.char_at(self.i).map_or(1, char::len_utf8),
            }
        }
    }

    /// `$name` or `${…}` at the current `$`: lexes the template's code and returns true.
    fn kotlin_template(&mut self) -> Result<bool, LexError> {
        match self.peek(1) {
            Some(b'{') => {
                self.i += 2;
                self.code(true)?;
                Ok(true)
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b'`' => {
                self.i += 1;
                while self
                    .peek(0)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    self.i += 1;
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn kotlin_string(&mut self) -> Result<Result<String, String>, LexError> {
        let start = self.i;
        self.i += 1;
        let mut v = String::new();
        let mut template = false;
        loop {
            match self.peek(0) {
                None | Some(b'\n') | Some(b'\r') => {
                    return Err((start, "unterminated string literal".into()));
                }
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'$') => {
                    if self.kotlin_template()? {
                        template = true;
                    } else {
                        v.push('$');
                        self.i += 1;
                    }
                }
                Some(b'\\') => {
                    let at = self.i;
                    let c = self.peek(1).ok_or((at, "unterminated escape".to_owned()))?;
                    self.i += 2;
                    v.push(match c {
                        b't' => '\t',
                        b'b' => '\u{8}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b'\'' => '\'',
                        b'"' => '"',
                        b'\\' => '\\',
                        b'$' => '$',
                        b'u' => {
                            let hex = self
                                .s
                                .get(self.i..self.i + 4)
                                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                                .ok_or((
                                    at,
                                    "illegal escape: \\u needs four hex digits".to_owned(),
                                ))?;
                            self.i += 4;
                            let unit = u32::from_str_radix(hex, 16).unwrap_or(0xFFFD);
                            // A surrogate pair is two escapes; a lone one is not a character.
                            if (0xD800..0xDC00).contains(&unit)
                                && self.s.get(self.i..self.i + 2) == Some("\\u")
                            {
                                let low = self
                                    .s
                                    .get(self.i + 2..self.i + 6)
                                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                                    .filter(|l| (0xDC00..0xE000).contains(l))
                                    .ok_or((at, "unpaired UTF-16 surrogate".to_owned()))?;
                                self.i += 6;
                                char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                                    .ok_or((at, "unpaired UTF-16 surrogate".to_owned()))?
                            } else {
                                char::from_u32(unit)
                                    .ok_or((at, "unpaired UTF-16 surrogate".to_owned()))?
                            }
                        }
                        _ => return Err((at, "illegal escape in a Kotlin string".into())),
                    });
                }
                Some(_) => {
                    let ch = self.char_at(self.i).unwrap_or('\u{fffd}');
                    v.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
        Ok(if template {
            Err("a string template ($…) is not a literal".into())
        } else {
            Ok(v)
        })
    }

    fn kotlin_raw(&mut self) -> Result<Result<String, String>, LexError> {
        let start = self.i;
        self.i += 3;
        let mut v = String::new();
        let mut template = false;
        loop {
            match self.peek(0) {
                None => return Err((start, "unterminated raw string".into())),
                Some(b'"') if self.peek(1) == Some(b'"') && self.peek(2) == Some(b'"') => {
                    // `""""` ends the string with a quote inside: the last three close it.
                    let mut n = 0;
                    while self.peek(n) == Some(b'"') {
                        n += 1;
                    }
                    v.extend(std::iter::repeat_n('"', n - 3));
                    self.i += n;
                    break;
                }
                Some(b'$') => {
                    if self.kotlin_template()? {
                        template = true;
                    } else {
                        v.push('$');
                        self.i += 1;
                    }
                }
                Some(_) => {
                    let ch = self.char_at(self.i).unwrap_or('\u{fffd}');
                    v.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
        Ok(if template {
            Err("a string template ($…) is not a literal".into())
        } else {
            Ok(v)
        })
    }

    fn java_string(&mut self) -> Result<Result<String, String>, LexError> {
        let start = self.i;
        self.i += 1;
        let mut v = String::new();
        loop {
            match self.peek(0) {
                None | Some(b'\n') | Some(b'\r') => {
                    return Err((start, "unterminated string literal".into()));
                }
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Ok(v));
                }
                Some(b'\\') => {
                    let at = self.i;
                    let c = self.peek(1).ok_or((at, "unterminated escape".to_owned()))?;
                    self.i += 2;
                    let ch = match c {
                        b'b' => '\u{8}',
                        b't' => '\t',
                        b'n' => '\n',
                        b'f' => '\u{c}',
                        b'r' => '\r',
                        b's' => ' ',
                        b'"' => '"',
                        b'\'' => '\'',
                        b'\\' => '\\',
                        b'0'..=b'7' => {
                            // OctalEscape: \[0-7], \[0-7][0-7], \[0-3][0-7][0-7].
                            let mut value = u32::from(c - b'0');
                            let max = if c <= b'3' { 2 } else { 1 };
                            for _ in 0..max {
                                match self.peek(0) {
                                    Some(d @ b'0'..=b'7') => {
                                        value = value * 8 + u32::from(d - b'0');
                                        self.i += 1;
                                    }
                                    _ => break,
                                }
                            }
                            char::from_u32(value).unwrap_or('\u{fffd}')
                        }
                        _ => return Err((at, "illegal escape character in a Java string".into())),
                    };
                    v.push(ch);
                }
                Some(_) => {
                    let ch = self.char_at(self.i).unwrap_or('\u{fffd}');
                    v.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
    }

    fn java_text_block(&mut self) -> Result<Result<String, String>, LexError> {
        let start = self.i;
        self.i += 3;
        loop {
            match self.peek(0) {
                None => return Err((start, "unterminated text block".into())),
                Some(b'\\') => self.i += 2,
                Some(b'"') if self.peek(1) == Some(b'"') && self.peek(2) == Some(b'"') => {
                    self.i += 3;
                    return Ok(Err(
                        "a Java text block is not imported (write the pattern and pins as plain string literals)".into(),
                    ));
                }
                Some(_) => self.i += 1,
            }
        }
    }
}

/// Every `add(` call (not a `fun add(` declaration): its string arguments with their offsets.
/// Any argument that is not a plain string literal is an error at that argument.
fn add_calls(tokens: &[(Tok, usize)]) -> Result<Vec<Vec<(String, usize)>>, LexError> {
    let mut calls = Vec::new();
    let mut i = 0;
    while i + 1 < tokens.len() {
        let is_add = matches!(&tokens[i].0, Tok::Ident(n) if n == "add")
            && tokens[i + 1].0 == Tok::Punct(b'(')
            && !(i > 0 && matches!(&tokens[i - 1].0, Tok::Ident(n) if n == "fun"));
        if !is_add {
            i += 1;
            continue;
        }
        let open = tokens[i + 1].1;
        let mut args = Vec::new();
        let mut j = i + 2;
        loop {
            let Some((tok, off)) = tokens.get(j) else {
                return Err((open, "unterminated add( call".into()));
            };
            match tok {
                Tok::Punct(b')') => break,
                Tok::Str(Ok(v)) => {
                    args.push((v.clone(), *off));
                    j += 1;
                    match tokens.get(j) {
                        Some((Tok::Punct(b','), _)) => j += 1,
                        Some((Tok::Punct(b')'), _)) => {}
                        Some((_, off)) => {
                            return Err((
                                *off,
                                "only string literal arguments can be imported from CertificatePinner.Builder().add(…) \
                                 (this is an expression, e.g. a concatenation)"
                                    .into(),
                            ));
                        }
                        None => return Err((open, "unterminated add( call".into())),
                    }
                }
                Tok::Str(Err(why)) => {
                    return Err((
                        *off,
                        format!(
                            "only string literal arguments can be imported from CertificatePinner.Builder().add(…): {why}"
                        ),
                    ));
                }
                _ => {
                    return Err((
                        *off,
                        "only string literal arguments can be imported from CertificatePinner.Builder().add(…) \
                         (a constant, variable or call is not read; inline the value)"
                            .into(),
                    ));
                }
            }
        }
        if args.is_empty() {
            return Err((open, "add() without a pattern".into()));
        }
        calls.push(args);
        i = j + 1;
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str, lang: Language) -> Vec<Tok> {
        Lexer::new(src, lang)
            .run()
            .unwrap_or_default()
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    }

    #[test]
    fn kotlin_literals() {
        let s = |v: &str| Tok::Str(Ok(v.to_owned()));
        assert_eq!(lex(r#""a\u002eb""#, Language::Kotlin), vec![s("a.b")]);
        assert_eq!(
            lex(r#""""a\u002e"b""""#, Language::Kotlin),
            vec![s("a\\u002e\"b")]
        );
        assert_eq!(lex(r#""""x"""""#, Language::Kotlin), vec![s("x\"")]);
        assert_eq!(
            lex("/* a /* nested */ \"no\" */ \"yes\"", Language::Kotlin),
            vec![s("yes")]
        );
        assert!(matches!(
            &lex(r#""a$b""#, Language::Kotlin)[0],
            Tok::Str(Err(_))
        ));
        assert_eq!(lex(r#""a$""#, Language::Kotlin), vec![s("a$")]);
        assert_eq!(
            lex("'\"' \"x\"", Language::Kotlin),
            vec![Tok::Other, s("x")]
        );
    }

    #[test]
    fn java_literals() {
        let s = |v: &str| Tok::Str(Ok(v.to_owned()));
        assert_eq!(lex(r#""a\56b""#, Language::Java), vec![s("a.b")]);
        assert_eq!(lex(r#""\101\1011""#, Language::Java), vec![s("AA1")]);
        assert_eq!(lex(r#""\477""#, Language::Java), vec![s("'7")]);
        // Java block comments do not nest: the string after the first */ is code.
        assert_eq!(lex("/* /* */ \"yes\"", Language::Java), vec![s("yes")]);
        let (t, _) = java_unicode_escapes(r#""a\u002eb" \\u002e"#).unwrap_or_default_pair();
        assert_eq!(t, r#""a.b" \\u002e"#);
    }

    trait Pair {
        fn unwrap_or_default_pair(self) -> (String, OffsetMap);
    }
    impl Pair for Result<(String, OffsetMap), LexError> {
        fn unwrap_or_default_pair(self) -> (String, OffsetMap) {
            self.unwrap_or_else(|_| (String::new(), OffsetMap::identity()))
        }
    }

    #[test]
    fn okio_base64_is_lenient() {
        assert_eq!(okio_base64("AQID"), Some(vec![1, 2, 3]));
        assert_eq!(okio_base64("AQ ID=="), Some(vec![1, 2, 3]));
        assert_eq!(okio_base64("-_8"), okio_base64("+/8"));
        assert_eq!(okio_base64("A=QID"), None);
    }
}
