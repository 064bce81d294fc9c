//! The iOS `Info.plist` `NSAppTransportSecurity` / `NSPinnedDomains` fragment.
//!
//! Pins are written as `NSPinnedCAIdentities` (ATS matches them against any CA certificate
//! of the chain; pin CA keys for iOS). ATS has no expiry, no report-only mode and no custom
//! trust anchors, and its `NSIncludesSubdomains` covers exactly one extra label.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{GenerateError, Output, header, parent_of};
use crate::manifest::{Manifest, TrustAnchor};

const TARGET: &str = "ios-ats";

type W = Writer<Vec<u8>>;

fn io(e: impl std::fmt::Display) -> GenerateError {
    GenerateError::InvalidValue {
        target: TARGET,
        reason: e.to_string(),
    }
}

fn open(w: &mut W, name: &str) -> Result<(), GenerateError> {
    w.write_event(Event::Start(BytesStart::new(name)))
        .map_err(io)
}

fn close(w: &mut W, name: &str) -> Result<(), GenerateError> {
    w.write_event(Event::End(BytesEnd::new(name))).map_err(io)
}

fn text(w: &mut W, name: &str, value: &str) -> Result<(), GenerateError> {
    open(w, name)?;
    w.write_event(Event::Text(BytesText::new(value)))
        .map_err(io)?;
    close(w, name)
}

/// True when `host` is exactly one label under `parent`.
fn one_label_under(host: &str, parent: &str) -> bool {
    host.strip_suffix(parent)
        .and_then(|l| l.strip_suffix('.'))
        .is_some_and(|l| !l.is_empty() && !l.contains('.'))
}

/// Generates the plist fragment.
pub fn generate(m: &Manifest) -> Result<Output, GenerateError> {
    super::refuse_spiffe(m, TARGET)?;
    let mut out = Output {
        text: String::new(),
        weaknesses: Vec::new(),
        notes: Vec::new(),
        extra_files: Vec::new(),
    };
    // An exemption exactly one label under an include_subdomains parent is covered by the
    // parent's one-label NSIncludesSubdomains and cannot be carved out.
    for rule in m.domains.iter().filter(|r| r.is_exemption()) {
        if let Some(p) = parent_of(m, rule) {
            if p.enforce
                && rule
                    .name
                    .strip_suffix(&format!(".{}", p.name))
                    .is_some_and(|l| !l.contains('.'))
            {
                return Err(GenerateError::Inexpressible {
                    target: TARGET,
                    reason: format!(
                        "'{}' exempts a direct subdomain of '{}', which NSIncludesSubdomains pins",
                        rule.name, p.name
                    ),
                });
            }
        }
    }
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(io)?;
    w.write_event(Event::DocType(BytesText::from_escaped(
        r#"plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd""#,
    )))
    .map_err(io)?;
    w.write_event(Event::Comment(BytesText::new(&format!(" {} ", header(m)))))
        .map_err(io)?;
    w.write_event(Event::Start(
        BytesStart::new("plist").with_attributes([("version", "1.0")]),
    ))
    .map_err(io)?;
    open(&mut w, "dict")?;
    text(&mut w, "key", "NSAppTransportSecurity")?;
    open(&mut w, "dict")?;
    text(&mut w, "key", "NSPinnedDomains")?;
    open(&mut w, "dict")?;
    for rule in &m.domains {
        if rule.is_exemption() {
            continue;
        }
        if crate::host::is_ip_literal(&rule.name) {
            out.weaknesses.push(format!("'{}' is an IP literal: NSPinnedDomains takes domain names, so it is not pinned on iOS", rule.name));
            continue;
        }
        if !rule.enforce {
            // Leaving it out of NSPinnedDomains does not unpin it when an enforced parent's
            // one-label NSIncludesSubdomains covers it: iOS then enforces the parent's pins.
            match parent_of(m, rule).filter(|p| p.enforce && !p.is_exemption() && one_label_under(&rule.name, &p.name)) {
                Some(p) => out.notes.push(format!(
                    "'{}' is report-only, but iOS enforces the pins of its parent '{}' on it (NSIncludesSubdomains): \
                     stricter than the manifest",
                    rule.name, p.name
                )),
                None => out.weaknesses.push(format!(
                    "'{}' is report-only: ATS cannot report, so it is not pinned on iOS",
                    rule.name
                )),
            }
            continue;
        }
        if rule.include_subdomains {
            out.weaknesses.push(format!(
                "'{}': NSIncludesSubdomains covers one extra label only; deeper subdomains (a.b.{}) are not pinned on iOS",
                rule.name, rule.name
            ));
        }
        if rule.expires.is_some() {
            out.notes.push(format!("'{}': ATS has no pin expiry; the pins stay enforced after the manifest's date (lock-out risk)", rule.name));
        }
        if rule
            .trust_anchors
            .iter()
            .any(|a| matches!(a, TrustAnchor::Pem { .. }))
        {
            out.weaknesses.push(format!(
                "'{}' trusts a private CA: ATS cannot add trust anchors (use the pinset Swift URLSessionDelegate)",
                rule.name
            ));
        }
        text(&mut w, "key", &rule.name)?;
        open(&mut w, "dict")?;
        text(&mut w, "key", "NSIncludesSubdomains")?;
        w.write_event(Event::Empty(BytesStart::new(if rule.include_subdomains {
            "true"
        } else {
            "false"
        })))
        .map_err(io)?;
        text(&mut w, "key", "NSPinnedCAIdentities")?;
        open(&mut w, "array")?;
        for p in &rule.pins {
            open(&mut w, "dict")?;
            text(&mut w, "key", "SPKI-SHA256-BASE64")?;
            text(&mut w, "string", &p.to_base64())?;
            close(&mut w, "dict")?;
        }
        close(&mut w, "array")?;
        close(&mut w, "dict")?;
    }
    close(&mut w, "dict")?;
    close(&mut w, "dict")?;
    close(&mut w, "dict")?;
    close(&mut w, "plist")?;
    out.notes.push("pins are NSPinnedCAIdentities: ATS matches them against CA certificates of the chain, not the leaf".into());
    if m.certificate_transparency.is_some()
        || m.domains
            .iter()
            .any(|r| r.certificate_transparency.is_some())
    {
        out.notes.push(
            "certificate_transparency has no ATS key: iOS itself requires Certificate Transparency for publicly \
             trusted certificates (also where the manifest says false: stricter)"
                .into(),
        );
    }
    out.text = String::from_utf8(w.into_inner()).map_err(io)? + "\n";
    Ok(out)
}
