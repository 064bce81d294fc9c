//! Import existing configurations into a manifest: Android NSC XML (validated with Android's
//! own `XmlConfigSource` rules and error texts) and OkHttp `CertificatePinner.Builder().add(…)`
//! lists (OkHttp's pattern and pin rules). Errors carry `line:col`.

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::host;
use crate::manifest::{Date, DebugOverrides, DomainRule, Manifest, TrustAnchor};
use crate::pin::Pin;

/// Why a configuration cannot be imported. The message is the one Android or OkHttp would
/// give (where they give one), followed by the position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at: line {line} col {col}")]
pub struct ImportError {
    /// What is wrong.
    pub message: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// An imported manifest plus notes on what was translated.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The equivalent manifest.
    pub manifest: Manifest,
    /// Translation notes (ignored settings, union semantics made explicit…).
    pub notes: Vec<String>,
}

#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
    line: usize,
    col: usize,
}

impl Element {
    fn attr(&self, n: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    }
    fn err(&self, message: impl Into<String>) -> ImportError {
        ImportError {
            message: message.into(),
            line: self.line,
            col: self.col,
        }
    }
}

fn pos(src: &str, offset: usize) -> (usize, usize) {
    crate::manifest::line_col(src, offset)
}

fn parse_tree(src: &str) -> Result<Element, ImportError> {
    let mut reader = Reader::from_str(src);
    let mut stack: Vec<Element> = vec![Element {
        name: "#document".into(),
        ..Element::default()
    }];
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let event = reader.read_event().map_err(|e| {
            let (line, col) = pos(src, usize::try_from(reader.error_position()).unwrap_or(0));
            ImportError {
                message: format!("XML: {e}"),
                line,
                col,
            }
        })?;
        let (line, col) = pos(src, offset);
        match event {
            Event::Start(s) => stack.push(element(&s, line, col, src)?),
            Event::Empty(s) => {
                let e = element(&s, line, col, src)?;
                if let Some(top) = stack.last_mut() {
                    top.children.push(e);
                }
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| ImportError {
                    message: "unbalanced end tag".into(),
                    line,
                    col,
                })?;
                let parent = stack.last_mut().ok_or_else(|| ImportError {
                    message: "unbalanced end tag".into(),
                    line,
                    col,
                })?;
                parent.children.push(done);
            }
            Event::Text(t) => {
                let s = t.xml10_content().map_err(|e| ImportError {
                    message: format!("XML text: {e}"),
                    line,
                    col,
                })?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| ImportError {
                    message: format!("XML: {e}"),
                    line,
                    col,
                })?;
                let ch = match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => {
                        return Err(ImportError {
                            message: format!("unknown entity &{other};"),
                            line,
                            col,
                        });
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(ch);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut doc = stack.pop().filter(|_| stack.is_empty()).ok_or_else(|| {
        let (line, col) = pos(src, src.len());
        ImportError {
            message: "unclosed element".into(),
            line,
            col,
        }
    })?;
    let root = doc.children.pop().filter(|_| doc.children.is_empty());
    root.ok_or_else(|| ImportError {
        message: "expected exactly one root element".into(),
        line: 1,
        col: 1,
    })
}

fn element(
    s: &quick_xml::events::BytesStart<'_>,
    line: usize,
    col: usize,
    _src: &str,
) -> Result<Element, ImportError> {
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| ImportError {
            message: format!("XML attribute: {e}"),
            line,
            col,
        })?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        let value = a
            .unescape_value()
            .map_err(|e| ImportError {
                message: format!("XML attribute: {e}"),
                line,
                col,
            })?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name: String::from_utf8_lossy(s.local_name().as_ref()).into_owned(),
        attrs,
        line,
        col,
        ..Element::default()
    })
}

#[derive(Clone, Default)]
struct Inherited {
    pins: Option<(Vec<Pin>, Option<Date>)>,
    anchors: Option<Vec<TrustAnchor>>,
}

/// Validates an NSC XML file with Android's parser rules and converts it to a manifest.
pub fn android_nsc(src: &str, origin: &str) -> Result<Imported, ImportError> {
    let root = parse_tree(src)?;
    if root.name != "network-security-config" {
        return Err(root.err(format!(
            "unexpected root element <{}>; expected <network-security-config>",
            root.name
        )));
    }
    let mut out = Imported {
        manifest: Manifest {
            origin: origin.to_owned(),
            domains: Vec::new(),
            debug_overrides: None,
        },
        notes: Vec::new(),
    };
    let mut seen_domains: Vec<String> = Vec::new();
    let (mut base_seen, mut debug_seen) = (false, false);
    let mut base = Inherited::default();
    // base-config first (it is the parent of every top-level domain-config, wherever it appears).
    for child in &root.children {
        if child.name == "base-config" {
            if base_seen {
                return Err(child.err("Only one base-config allowed"));
            }
            base_seen = true;
            base = parse_config_body(child, "base-config", &Inherited::default(), &mut out)?;
        }
    }
    for child in &root.children {
        match child.name.as_str() {
            "base-config" => {}
            "domain-config" => parse_domain_config(child, &base, &mut seen_domains, &mut out)?,
            "debug-overrides" => {
                if debug_seen {
                    return Err(child.err("Only one debug-overrides allowed"));
                }
                debug_seen = true;
                let inh =
                    parse_config_body(child, "debug-overrides", &Inherited::default(), &mut out)?;
                let anchors = inh
                    .anchors
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| *a != TrustAnchor::System)
                    .collect();
                out.manifest.debug_overrides = Some(DebugOverrides {
                    trust_anchors: anchors,
                });
            }
            other => out.notes.push(format!(
                "line {}: <{other}> is ignored by Android",
                child.line
            )),
        }
    }
    Ok(out)
}

/// Reads trust-anchors / pin-set / nested rules common to base-config, domain-config and
/// debug-overrides, enforcing where each may appear.
fn parse_config_body(
    el: &Element,
    kind: &str,
    parent: &Inherited,
    out: &mut Imported,
) -> Result<Inherited, ImportError> {
    let mut inh = parent.clone();
    let (mut anchors_seen, mut pins_seen) = (false, false);
    for c in &el.children {
        match c.name.as_str() {
            "trust-anchors" => {
                if anchors_seen {
                    return Err(c.err("Multiple trust-anchor elements not allowed"));
                }
                anchors_seen = true;
                inh.anchors = Some(parse_anchors(c, kind == "debug-overrides", out)?);
            }
            "pin-set" => {
                if kind != "domain-config" {
                    return Err(c.err(format!("pin-set element not allowed in {kind}")));
                }
                if pins_seen {
                    return Err(c.err("Multiple pin-set elements not allowed"));
                }
                pins_seen = true;
                inh.pins = Some(parse_pin_set(c)?);
            }
            "domain" if kind != "domain-config" => {
                return Err(c.err(format!("domain element not allowed in {kind}")));
            }
            "domain-config" if kind != "domain-config" => {
                return Err(c.err(format!("Nested domain-config not allowed in {kind}")));
            }
            "certificateTransparency" if kind == "debug-overrides" => {
                return Err(c.err("certificateTransparency not allowed in debug-overrides"));
            }
            _ => {}
        }
    }
    Ok(inh)
}

fn parse_anchors(
    el: &Element,
    debug: bool,
    out: &mut Imported,
) -> Result<Vec<TrustAnchor>, ImportError> {
    let mut list = Vec::new();
    for c in el.children.iter().filter(|c| c.name == "certificates") {
        let src = c
            .attr("src")
            .ok_or_else(|| c.err("certificates element missing src attribute"))?;
        if c.attr("overridePins") == Some("true")
            || (debug && c.attr("overridePins") != Some("false"))
        {
            out.notes.push(format!(
                "line {}: overridePins is not imported: pinset never lets an anchor skip pins",
                c.line
            ));
        }
        let anchor = match src {
            "system" => TrustAnchor::System,
            "user" => {
                return Err(c.err("src=\"user\" trusts user-installed CAs (what interception proxies use); pinset refuses to import it"));
            }
            s if s.starts_with("@raw/") => TrustAnchor::Pem {
                path: format!("res/raw/{}.pem", &s[5..]),
                resolved: None,
            },
            _ => {
                return Err(
                    c.err("Unknown certificates src. Should be one of system|user|@resourceVal")
                );
            }
        };
        if !list.contains(&anchor) {
            list.push(anchor);
        }
    }
    Ok(list)
}

fn parse_pin_set(el: &Element) -> Result<(Vec<Pin>, Option<Date>), ImportError> {
    let expires = match el.attr("expiration") {
        Some(s) => {
            Some(Date::parse(s).ok_or_else(|| el.err("Invalid expiration date in pin-set"))?)
        }
        None => None,
    };
    let mut pins = Vec::new();
    for p in el.children.iter().filter(|c| c.name == "pin") {
        if !p.children.is_empty() {
            return Err(p.err("pin contains additional elements"));
        }
        let digest = p
            .attr("digest")
            .ok_or_else(|| p.err("Missing pin digest"))?;
        if !digest.eq_ignore_ascii_case("SHA-256") {
            return Err(p.err(format!("Unsupported pin digest algorithm: {digest}")));
        }
        let text = p.text.trim();
        let pin = match Pin::parse_base64(text) {
            Ok(pin) => pin,
            Err(crate::pin::PinError::BadLength { len, .. }) => {
                return Err(p.err(format!(
                    "digest length {len} does not match expected length for SHA-256 of 32"
                )));
            }
            Err(crate::pin::PinError::EmptyInputDigest) => {
                return Err(p.err("pin is the SHA-256 of empty input (a broken pin script)"));
            }
            Err(_) => return Err(p.err("Invalid pin digest")),
        };
        if text != p.text {
            return Err(p.err("Invalid pin digest (whitespace around the value is rejected by older Android releases)"));
        }
        if !pins.contains(&pin) {
            pins.push(pin);
        }
    }
    Ok((pins, expires))
}

fn parse_domain_config(
    el: &Element,
    parent: &Inherited,
    seen: &mut Vec<String>,
    out: &mut Imported,
) -> Result<(), ImportError> {
    let inh = parse_config_body(el, "domain-config", parent, out)?;
    let domains: Vec<&Element> = el.children.iter().filter(|c| c.name == "domain").collect();
    if domains.is_empty() {
        return Err(el.err("No domain elements in domain-config"));
    }
    for d in domains {
        if !d.children.is_empty() {
            return Err(d.err("domain contains additional elements"));
        }
        let raw = d.text.trim();
        if raw.is_empty() {
            return Err(d.err("Domain name missing"));
        }
        let name = host::canonical_host(raw)
            .map_err(|e| d.err(format!("invalid domain '{raw}': {e}")))?
            .into_owned();
        if seen.contains(&name) {
            return Err(d.err(format!("{raw} has already been specified")));
        }
        seen.push(name.clone());
        let include_subdomains = match d.attr("includeSubdomains") {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(d.err(format!(
                    "includeSubdomains must be true or false, got '{other}'"
                )));
            }
        };
        let Some((pins, expires)) = inh.pins.clone() else {
            out.notes.push(format!(
                "line {}: '{name}' has no pin-set: not pinned, left out of the manifest",
                d.line
            ));
            continue;
        };
        let trust_anchors = match &inh.anchors {
            Some(a) if *a != [TrustAnchor::System] => a.clone(),
            _ => Vec::new(),
        };
        out.manifest.domains.push(DomainRule {
            name,
            include_subdomains,
            pins,
            expires,
            enforce: true,
            trust_anchors,
            report_uris: Vec::new(),
            line: d.line,
        });
    }
    for nested in el.children.iter().filter(|c| c.name == "domain-config") {
        parse_domain_config(nested, &inh, seen, out)?;
    }
    Ok(())
}

/// Parses `CertificatePinner.Builder().add("pattern", "sha256/…", …)` calls in Kotlin or Java
/// source into a manifest. OkHttp's union of overlapping patterns is made explicit: a rule
/// under a `**.` rule gets the parent's pins too.
pub fn okhttp(src: &str, origin: &str) -> Result<Imported, ImportError> {
    let mut out = Imported {
        manifest: Manifest {
            origin: origin.to_owned(),
            domains: Vec::new(),
            debug_overrides: None,
        },
        notes: Vec::new(),
    };
    let mut found = 0;
    let mut rest = 0;
    while let Some(i) = src[rest..].find(".add(") {
        let start = rest + i + ".add(".len();
        let (args, end) = string_args(src, start)?;
        rest = end;
        let Some(((pattern, p_off), pins)) = args.split_first() else {
            continue;
        };
        found += 1;
        let at = |off: usize, message: String| {
            let (line, col) = pos(src, off);
            ImportError { message, line, col }
        };
        let (include_subdomains, host_part) = if let Some(h) = pattern.strip_prefix("**.") {
            (true, h)
        } else if let Some(h) = pattern.strip_prefix("*.") {
            out.notes.push(format!(
                "'{pattern}' (one label) is imported as include_subdomains on '{h}', which also covers '{h}' and deeper labels"
            ));
            (true, h)
        } else {
            (false, pattern.as_str())
        };
        if host_part.contains('*') {
            return Err(at(*p_off, format!("Unexpected pattern: {pattern}")));
        }
        let name = host::canonical_host(host_part)
            .map_err(|_| at(*p_off, format!("Invalid pattern: {pattern}")))?
            .into_owned();
        let mut parsed = Vec::new();
        for (p, off) in pins {
            if p.starts_with("sha1/") {
                return Err(at(
                    *off,
                    format!("sha1/ pins are not supported by pinset (SHA-1 is broken): {p}"),
                ));
            }
            let b64 = p.strip_prefix("sha256/").ok_or_else(|| {
                at(
                    *off,
                    format!("pins must start with 'sha256/' or 'sha1/': {p}"),
                )
            })?;
            let pin = Pin::parse_base64(b64)
                .map_err(|e| at(*off, format!("Invalid pin hash: {p} ({e})")))?;
            parsed.push(pin);
        }
        match out
            .manifest
            .domains
            .iter_mut()
            .find(|d| d.name == name && d.include_subdomains == include_subdomains)
        {
            Some(d) => d.pins.extend(
                parsed
                    .into_iter()
                    .filter(|p| !d.pins.contains(p))
                    .collect::<Vec<_>>(),
            ),
            None => {
                if out.manifest.domains.iter().any(|d| d.name == name) {
                    // Both `x` and `**.x`: the `**.` rule covers x too; union the pins into it.
                    let (line, _) = pos(src, *p_off);
                    out.notes.push(format!(
                        "line {line}: '{pattern}' overlaps another rule for '{name}'; pins merged"
                    ));
                    if let Some(d) = out.manifest.domains.iter_mut().find(|d| d.name == name) {
                        d.include_subdomains |= include_subdomains;
                        d.pins.extend(
                            parsed
                                .into_iter()
                                .filter(|p| !d.pins.contains(p))
                                .collect::<Vec<_>>(),
                        );
                    }
                    continue;
                }
                let (line, _) = pos(src, *p_off);
                out.manifest.domains.push(DomainRule {
                    name,
                    include_subdomains,
                    pins: parsed,
                    expires: None,
                    enforce: true,
                    trust_anchors: Vec::new(),
                    report_uris: Vec::new(),
                    line,
                });
            }
        }
    }
    if found == 0 {
        return Err(ImportError {
            message: "no CertificatePinner.Builder().add(…) call found".into(),
            line: 1,
            col: 1,
        });
    }
    // OkHttp unions every matching pattern: make that explicit for nested rules.
    let snapshot = out.manifest.domains.clone();
    for d in &mut out.manifest.domains {
        for p in snapshot.iter().filter(|p| {
            p.include_subdomains && p.name != d.name && host::is_same_or_subdomain(&d.name, &p.name)
        }) {
            for pin in &p.pins {
                if !d.pins.contains(pin) {
                    d.pins.push(*pin);
                    out.notes.push(format!(
                        "'{}' also gets pin {pin} of '{}' (OkHttp unions overlapping patterns)",
                        d.name, p.name
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// Reads a comma-separated list of string literals up to the closing `)`; returns each
/// string with its byte offset, and the offset after `)`. Non-literal arguments are an error.
fn string_args(src: &str, mut i: usize) -> Result<(Vec<(String, usize)>, usize), ImportError> {
    let b = src.as_bytes();
    let err = |off: usize, m: &str| {
        let (line, col) = pos(src, off);
        ImportError {
            message: m.to_owned(),
            line,
            col,
        }
    };
    let mut args = Vec::new();
    loop {
        while i < b.len() && (b[i] as char).is_whitespace() {
            i += 1;
        }
        match b.get(i) {
            Some(b')') => return Ok((args, i + 1)),
            Some(b',') => i += 1,
            Some(b'"') => {
                let start = i;
                i += 1;
                let mut s = String::new();
                loop {
                    match b.get(i) {
                        None | Some(b'\n') => {
                            return Err(err(start, "unterminated string literal"));
                        }
                        Some(b'"') => break,
                        Some(b'\\') => {
                            // The escaped character may be multi-byte: step over it whole
                            // (fuzzing found a slice inside a UTF-8 sequence here).
                            let c = src
                                .get(i + 1..)
                                .and_then(|r| r.chars().next())
                                .ok_or_else(|| err(i, "unterminated escape"))?;
                            s.push(match c {
                                'n' => '\n',
                                't' => '\t',
                                other => other,
                            });
                            i += 1 + c.len_utf8();
                        }
                        Some(_) => {
                            let ch = src
                                .get(i..)
                                .and_then(|r| r.chars().next())
                                .unwrap_or('\u{fffd}');
                            s.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                i += 1;
                args.push((s, start));
            }
            Some(_) => {
                return Err(err(
                    i,
                    "only string literal arguments can be imported from CertificatePinner.Builder().add(…)",
                ));
            }
            None => return Err(err(i, "unterminated add( call")),
        }
    }
}
