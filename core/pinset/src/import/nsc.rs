//! Android Network Security Config XML, read with the rules of AOSP's `XmlConfigSource`
//! (element placement, error texts, un-namespaced attributes only, trimmed pin text) and
//! translated by its inheritance: a `domain-config` inherits pin-set and trust anchors from
//! its enclosing `domain-config`, then `base-config`.
//!
//! What each host gets in Android is what it gets in the manifest, or the import refuses:
//! a pin-less `domain-config` under a pinned parent becomes an exemption (`pins = []`), trust
//! anchors are kept per rule, and what the manifest cannot express (private anchors in
//! `base-config`, which apply to hosts without a rule; a private-CA host without pins and
//! without a pinned parent) is refused with its position.
//!
//! The input is read in one pass with a position index built once; element nesting is bounded
//! by [`MAX_NSC_DEPTH`] (deeper input is refused, never a stack overflow).

use std::collections::HashSet;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::common::{ImportError, Imported, Positions, self_check};
use crate::host;
use crate::manifest::{Date, DebugOverrides, DomainRule, Manifest, TrustAnchor};
use crate::pin::{Pin, PinError};

/// Deepest element nesting accepted. Real files nest a few levels; Android's own parser recurses
/// per nested `domain-config`.
pub const MAX_NSC_DEPTH: usize = 64;

#[derive(Debug, Default)]
struct Element {
    name: String,
    /// Un-namespaced attributes only (Android reads `getAttributeValue(null, …)`).
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
    /// Byte offset of the start tag.
    offset: usize,
}

impl Element {
    fn attr(&self, n: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    }
}

struct Cx<'a> {
    pos: Positions<'a>,
    notes: Vec<String>,
}

impl Cx<'_> {
    fn err(&self, el: &Element, message: impl Into<String>) -> ImportError {
        self.pos.error(el.offset, message)
    }
    fn note(&mut self, el: &Element, message: impl std::fmt::Display) {
        let line = self.pos.line(el.offset);
        self.notes.push(format!("line {line}: {message}"));
    }
}

fn parse_tree(src: &str, pos: &Positions<'_>) -> Result<Element, ImportError> {
    let mut reader = Reader::from_str(src);
    let mut stack: Vec<Element> = vec![Element {
        name: "#document".into(),
        ..Element::default()
    }];
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let event = reader.read_event().map_err(|e| {
            pos.error(
                usize::try_from(reader.error_position()).unwrap_or(0),
                format!("XML: {e}"),
            )
        })?;
        let here = |m: String| pos.error(offset, m);
        match event {
            Event::Start(s) => {
                if stack.len() > MAX_NSC_DEPTH {
                    return Err(here(format!(
                        "elements nested deeper than {MAX_NSC_DEPTH} levels: not a network security config"
                    )));
                }
                stack.push(element(&s, offset).map_err(here)?);
            }
            Event::Empty(s) => {
                let e = element(&s, offset).map_err(here)?;
                if let Some(top) = stack.last_mut() {
                    top.children.push(e);
                }
            }
            Event::End(_) => {
                let done = stack
                    .pop()
                    .filter(|_| !stack.is_empty())
                    .ok_or_else(|| here("unbalanced end tag".into()))?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(done);
                }
            }
            Event::Text(t) => {
                let s = t
                    .xml10_content()
                    .map_err(|e| here(format!("XML text: {e}")))?;
                let inside_root = stack.len() > 1;
                if let Some(top) = stack.last_mut().filter(|_| inside_root) {
                    top.text.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| here(format!("XML: {e}")))?;
                let ch = match name.as_ref() {
                    "amp" => "&".to_owned(),
                    "lt" => "<".to_owned(),
                    "gt" => ">".to_owned(),
                    "quot" => "\"".to_owned(),
                    "apos" => "'".to_owned(),
                    other => match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => return Err(here(format!("unknown entity &{other};"))),
                    },
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&ch);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::DocType(_) => {
                return Err(here(
                    "a DOCTYPE is not accepted in a network security config".into(),
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut doc = stack
        .pop()
        .filter(|_| stack.is_empty())
        .ok_or_else(|| pos.error(src.len(), "unclosed element"))?;
    let root = doc.children.pop().filter(|_| doc.children.is_empty());
    root.ok_or_else(|| pos.error(0, "expected exactly one root element"))
}

fn element(s: &BytesStart<'_>, offset: usize) -> Result<Element, String> {
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| format!("XML attribute: {e}"))?;
        let value = a
            .unescape_value()
            .map_err(|e| format!("XML attribute: {e}"))?
            .into_owned();
        // `android:x`, `tools:x` and `xmlns…` are not the attributes Android reads.
        if a.key.prefix().is_some() || a.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        attrs.push((String::from_utf8_lossy(a.key.as_ref()).into_owned(), value));
    }
    Ok(Element {
        name: String::from_utf8_lossy(s.local_name().as_ref()).into_owned(),
        attrs,
        offset,
        ..Element::default()
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PinSet {
    pins: Vec<Pin>,
    expires: Option<Date>,
}

/// What a config sets itself; `None` inherits.
#[derive(Debug, Clone, Default)]
struct Config {
    pins: Option<PinSet>,
    anchors: Option<Vec<TrustAnchor>>,
    /// `<certificateTransparency enabled>` (Android 16+; the last element wins, as in AOSP).
    ct: Option<bool>,
}

impl Config {
    fn inherit(&self, parent: &Config) -> Config {
        Config {
            pins: self.pins.clone().or_else(|| parent.pins.clone()),
            anchors: self.anchors.clone().or_else(|| parent.anchors.clone()),
            // Android 16: without its own element, a config whose own trust-anchors name a
            // private CA (`@raw/`; `user` is refused) gets `false`, else the parent's value.
            ct: self.ct.or_else(|| {
                let private = self
                    .anchors
                    .as_ref()
                    .is_some_and(|a| a.iter().any(|x| *x != TrustAnchor::System));
                if private { Some(false) } else { parent.ct }
            }),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Base,
    Domain,
    Debug,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Base => "base-config",
            Self::Domain => "domain-config",
            Self::Debug => "debug-overrides",
        }
    }
}

/// One `<domain>` with the configuration Android gives it.
struct Entry {
    name: String,
    include_subdomains: bool,
    config: Config,
    offset: usize,
}

/// Validates an NSC XML file with Android's parser rules and converts it to a manifest.
pub fn android_nsc(src: &str, origin: &str) -> Result<Imported, ImportError> {
    let pos = Positions::new(src);
    let root = parse_tree(src, &pos)?;
    let mut cx = Cx {
        pos,
        notes: Vec::new(),
    };
    if root.name != "network-security-config" {
        return Err(cx.err(
            &root,
            format!(
                "Unexpected start tag: found {}, expected network-security-config",
                root.name
            ),
        ));
    }
    let mut base = Config::default();
    let (mut base_seen, mut debug_seen) = (false, false);
    let mut debug_anchors: Option<Vec<TrustAnchor>> = None;
    for child in &root.children {
        match child.name.as_str() {
            "base-config" => {
                if base_seen {
                    return Err(cx.err(child, "Only one base-config allowed"));
                }
                base_seen = true;
                base = config_body(&mut cx, child, Kind::Base)?;
                if let Some(a) = &base.anchors {
                    if *a != [TrustAnchor::System] {
                        return Err(cx.err(
                            child,
                            "base-config trust anchors other than src=\"system\" apply to every host, also hosts \
                             without a domain-config; a manifest's trust anchors apply to its rules only, so this \
                             cannot be imported (move the CAs into the domain-configs that need them)",
                        ));
                    }
                }
            }
            "debug-overrides" => {
                if debug_seen {
                    return Err(cx.err(child, "Only one debug-overrides allowed"));
                }
                debug_seen = true;
                let c = config_body(&mut cx, child, Kind::Debug)?;
                debug_anchors = Some(c.anchors.unwrap_or_default());
            }
            "domain-config" => {}
            other => cx.note(child, format!("<{other}> is ignored by Android")),
        }
    }
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    // Explicit stack: (element, inherited config); nesting is already bounded by the parser.
    let mut todo: Vec<(&Element, Config)> = root
        .children
        .iter()
        .rev()
        .filter(|c| c.name == "domain-config")
        .map(|c| (c, base.clone()))
        .collect();
    while let Some((el, parent)) = todo.pop() {
        let own = config_body(&mut cx, el, Kind::Domain)?;
        let config = own.inherit(&parent);
        let domains: Vec<&Element> = el.children.iter().filter(|c| c.name == "domain").collect();
        if domains.is_empty() {
            return Err(cx.err(el, "No domain elements in domain-config"));
        }
        for d in domains {
            entries.push(domain_entry(&mut cx, d, &config, &mut seen)?);
        }
        for nested in el
            .children
            .iter()
            .rev()
            .filter(|c| c.name == "domain-config")
        {
            todo.push((nested, config.clone()));
        }
    }
    let domains = rules(&cx, entries, base.ct)?;
    if domains.is_empty() {
        return Err(cx.pos.error(
            0,
            "no domain-config with pins or trust anchors: nothing to import",
        ));
    }
    let debug_overrides = debug_anchors.map(|a| DebugOverrides {
        trust_anchors: a
            .into_iter()
            .filter(|a| *a != TrustAnchor::System)
            .collect(),
    });
    self_check(Imported {
        manifest: Manifest {
            origin: origin.to_owned(),
            serial: None,
            domains,
            debug_overrides,
            attestations: Vec::new(),
            certificate_transparency: base.ct,
            trust_domains: Vec::new(),
        },
        notes: cx.notes,
    })
}

/// The manifest rules: pinned entries as rules; pin-less entries as exemptions where a pinned
/// `include_subdomains` rule would otherwise cover them (Android leaves them unpinned).
fn rules(
    cx: &Cx<'_>,
    entries: Vec<Entry>,
    base_ct: Option<bool>,
) -> Result<Vec<DomainRule>, ImportError> {
    let pinned_parents: HashSet<&str> = entries
        .iter()
        .filter(|e| {
            e.include_subdomains && e.config.pins.as_ref().is_some_and(|p| !p.pins.is_empty())
        })
        .map(|e| e.name.as_str())
        .collect();
    let has_pinned_parent = |name: &str| {
        let mut rest = name;
        while let Some((_, parent)) = rest.split_once('.') {
            if pinned_parents.contains(parent) {
                return true;
            }
            rest = parent;
        }
        false
    };
    let mut out = Vec::with_capacity(entries.len());
    for e in &entries {
        let anchors = match &e.config.anchors {
            None => Vec::new(),
            Some(a) if a.is_empty() => {
                return Err(cx.pos.error(
                    e.offset,
                    format!(
                        "'{}' has trust-anchors without certificates: Android trusts no CA for it (every \
                         connection fails); the manifest cannot express that",
                        e.name
                    ),
                ));
            }
            Some(a) if *a == [TrustAnchor::System] => Vec::new(),
            Some(a) => a.clone(),
        };
        let (pins, expires) = match &e.config.pins {
            Some(p) if !p.pins.is_empty() => (p.pins.clone(), p.expires),
            _ => {
                if !has_pinned_parent(&e.name) {
                    if !anchors.is_empty() {
                        return Err(cx.pos.error(
                            e.offset,
                            format!(
                                "'{}' restricts trust to its own anchors but has no pins and no pinned parent: \
                                 a manifest rule needs pins (or a pinned parent to be exempt from), so this \
                                 trust restriction cannot be imported; add a pin-set",
                                e.name
                            ),
                        ));
                    }
                    if e.config.ct != base_ct {
                        return Err(cx.pos.error(
                            e.offset,
                            format!(
                                "'{}' sets certificateTransparency differently from base-config but has no pins \
                                 and no pinned parent: a manifest rule needs pins (or a pinned parent to be \
                                 exempt from), so this setting cannot be imported; add a pin-set",
                                e.name
                            ),
                        ));
                    }
                    continue;
                }
                (Vec::new(), None)
            }
        };
        out.push(DomainRule {
            name: e.name.clone(),
            include_subdomains: e.include_subdomains,
            pins,
            expires,
            enforce: true,
            trust_anchors: anchors,
            report_uris: Vec::new(),
            certificate_transparency: e.config.ct,
            spiffe: None,
            line: cx.pos.line(e.offset),
        });
    }
    Ok(out)
}

fn domain_entry(
    cx: &mut Cx<'_>,
    d: &Element,
    config: &Config,
    seen: &mut HashSet<String>,
) -> Result<Entry, ImportError> {
    if !d.children.is_empty() {
        return Err(cx.err(d, "domain contains additional elements"));
    }
    let raw = d.text.trim();
    if raw.is_empty() {
        return Err(cx.err(d, "Domain name missing"));
    }
    // Android lowercases the text and compares it literally with the connecting host.
    let lower = raw.to_ascii_lowercase();
    if !lower.is_ascii() {
        return Err(cx.err(
            d,
            format!(
                "domain '{raw}' is not ASCII: Android compares names literally, so a U-label never matches the \
                 A-label hosts apps connect to; write the A-label (punycode)"
            ),
        ));
    }
    let name = host::canonical_host(&lower)
        .map_err(|e| cx.err(d, format!("invalid domain '{raw}': {e}")))?
        .into_owned();
    if name != lower {
        return Err(cx.err(
            d,
            format!(
                "domain '{raw}' is not in canonical form ('{name}'): Android compares it literally with the \
                 connecting host, so it would not match what the manifest pins"
            ),
        ));
    }
    if !seen.insert(name.clone()) {
        return Err(cx.err(d, format!("{lower} has already been specified")));
    }
    if host::is_public_suffix(&name) {
        return Err(cx.err(
            d,
            format!("'{name}' is a public suffix; pinset refuses rules on public suffixes"),
        ));
    }
    let include_subdomains = match d.attr("includeSubdomains") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(cx.err(
                d,
                format!("includeSubdomains must be true or false, got '{other}'"),
            ));
        }
    };
    Ok(Entry {
        name,
        include_subdomains,
        config: config.clone(),
        offset: d.offset,
    })
}

/// Reads trust-anchors / pin-set of base-config, domain-config and debug-overrides, enforcing
/// where each may appear.
fn config_body(cx: &mut Cx<'_>, el: &Element, kind: Kind) -> Result<Config, ImportError> {
    let mut c = Config::default();
    for (attr, _) in &el.attrs {
        if attr == "cleartextTrafficPermitted" || attr == "hstsEnforced" {
            cx.note(el, format!("{attr} is not a pinning setting; not imported"));
        }
    }
    for child in &el.children {
        match child.name.as_str() {
            "trust-anchors" => {
                if c.anchors.is_some() {
                    return Err(cx.err(child, "Multiple trust-anchor elements not allowed"));
                }
                c.anchors = Some(anchors(cx, child, kind)?);
            }
            "pin-set" => {
                if kind != Kind::Domain {
                    return Err(cx.err(
                        child,
                        format!("pin-set element not allowed in {}", kind.name()),
                    ));
                }
                if c.pins.is_some() {
                    return Err(cx.err(child, "Multiple pin-set elements not allowed"));
                }
                c.pins = Some(pin_set(cx, child)?);
            }
            "domain" if kind != Kind::Domain => {
                return Err(cx.err(
                    child,
                    format!("domain element not allowed in {}", kind.name()),
                ));
            }
            "domain-config" if kind != Kind::Domain => {
                return Err(cx.err(
                    child,
                    format!("Nested domain-config not allowed in {}", kind.name()),
                ));
            }
            "certificateTransparency" if kind == Kind::Debug => {
                return Err(cx.err(
                    child,
                    "certificateTransparency not allowed in debug-overrides",
                ));
            }
            // AOSP: `getAttributeBooleanValue(null, "enabled", false)`; several elements: the last wins.
            "certificateTransparency" => {
                c.ct = Some(match child.attr("enabled") {
                    None | Some("false") => false,
                    Some("true") => true,
                    Some(other) => {
                        return Err(cx.err(
                            child,
                            format!("certificateTransparency enabled must be true or false, got '{other}'"),
                        ));
                    }
                });
            }
            "domain" | "domain-config" => {}
            other => cx.note(child, format!("<{other}> is ignored by Android")),
        }
    }
    Ok(c)
}

fn anchors(cx: &mut Cx<'_>, el: &Element, kind: Kind) -> Result<Vec<TrustAnchor>, ImportError> {
    let mut list = Vec::new();
    for c in el.children.iter().filter(|c| c.name == "certificates") {
        let src = c
            .attr("src")
            .ok_or_else(|| cx.err(c, "certificates element missing src attribute"))?;
        let override_pins = match c.attr("overridePins") {
            Some("true") => true,
            Some("false") => false,
            None => kind == Kind::Debug,
            Some(other) => {
                return Err(cx.err(
                    c,
                    format!("overridePins must be true or false, got '{other}'"),
                ));
            }
        };
        if override_pins {
            cx.note(
                c,
                "overridePins is not imported: in Android a chain to this anchor skips the pins, pinset never \
                 lets an anchor skip pins (stricter)",
            );
        }
        let anchor = match src {
            "system" => TrustAnchor::System,
            "user" => {
                return Err(cx.err(
                    c,
                    "src=\"user\" trusts user-installed CAs (what interception proxies use); pinset refuses to import it",
                ));
            }
            s if s.starts_with("@raw/") && s.len() > 5 => TrustAnchor::Pem {
                path: format!("res/raw/{}.pem", &s[5..]),
                resolved: None,
            },
            _ => {
                return Err(cx.err(
                    c,
                    "Unknown certificates src. Should be one of system|user|@resourceVal",
                ));
            }
        };
        if !list.contains(&anchor) {
            list.push(anchor);
        }
    }
    Ok(list)
}

fn pin_set(cx: &mut Cx<'_>, el: &Element) -> Result<PinSet, ImportError> {
    let expires = match el.attr("expiration") {
        // Stricter than Android's SimpleDateFormat (which reads `24-01-01` as the year 24).
        Some(s) => {
            Some(Date::parse(s).ok_or_else(|| cx.err(el, "Invalid expiration date in pin-set"))?)
        }
        None => None,
    };
    let mut pins = Vec::new();
    let mut distinct = HashSet::new();
    for p in el.children.iter().filter(|c| c.name == "pin") {
        if !p.children.is_empty() {
            return Err(cx.err(p, "pin contains additional elements"));
        }
        let digest = p.attr("digest").unwrap_or("null");
        if !digest.eq_ignore_ascii_case("SHA-256") {
            return Err(cx.err(p, format!("Unsupported pin digest algorithm: {digest}")));
        }
        // Current Android trims the digest text.
        let text = p.text.trim();
        let pin = match Pin::parse_base64(text) {
            Ok(pin) => pin,
            Err(PinError::BadLength { len, .. }) => {
                return Err(cx.err(
                    p,
                    format!("digest length {len} does not match expected length for SHA-256 of 32"),
                ));
            }
            Err(PinError::EmptyInputDigest) => {
                return Err(cx.err(p, "pin is the SHA-256 of empty input (a broken pin script)"));
            }
            Err(_) => return Err(cx.err(p, "Invalid pin digest")),
        };
        if distinct.insert(pin) {
            pins.push(pin);
        }
    }
    if expires.is_some() {
        cx.note(
            el,
            "Android ends the pin-set at 00:00 device-local time on the expiration date, the manifest at 00:00 UTC",
        );
    }
    Ok(PinSet { pins, expires })
}
