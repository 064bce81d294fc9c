//! Android `res/xml/network_security_config.xml`, written with quick-xml.
//!
//! One `domain-config` per rule, nested under its nearest `include_subdomains` parent (NSC
//! resolves most-specific-wins the same way). Children inherit pin-set and trust-anchors in
//! NSC but not in the manifest, so a child always states its own: an exemption or a
//! report-only child under a pinned parent gets an empty `<pin-set/>`, and trust anchors are
//! written whenever they differ from what would be inherited.
//!
//! `certificate_transparency` becomes `<certificateTransparency enabled>`: `[defaults]` on
//! `base-config` (app-wide, like the manifest's defaults), a rule's own value on its
//! `domain-config` when it differs from what NSC would give it otherwise (the enclosing config's
//! value, or `false` for a config whose own trust anchors name a private CA).
//!
//! Every `<certificates>` carries `overridePins="false"`: Android defaults it to `true` inside
//! `debug-overrides`, where a debuggable build would otherwise let the debug CA skip every
//! pin-set. Each PEM file gets its own `@raw/` resource name (two `corp.pem` in different
//! folders are disambiguated, never merged into one resource).

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{GenerateError, Output, effective_anchors, header, parent_of, raw_resource_name};
use crate::manifest::{DomainRule, Manifest, TrustAnchor};

const TARGET: &str = "android-nsc";

type W = Writer<Vec<u8>>;

fn io(e: impl std::fmt::Display) -> GenerateError {
    GenerateError::InvalidValue {
        target: TARGET,
        reason: e.to_string(),
    }
}

fn start(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> Result<(), GenerateError> {
    w.write_event(Event::Start(
        BytesStart::new(name).with_attributes(attrs.iter().copied()),
    ))
    .map_err(io)
}

fn end(w: &mut W, name: &str) -> Result<(), GenerateError> {
    w.write_event(Event::End(BytesEnd::new(name))).map_err(io)
}

fn empty(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> Result<(), GenerateError> {
    w.write_event(Event::Empty(
        BytesStart::new(name).with_attributes(attrs.iter().copied()),
    ))
    .map_err(io)
}

fn text_element(
    w: &mut W,
    name: &str,
    attrs: &[(&str, &str)],
    text: &str,
) -> Result<(), GenerateError> {
    start(w, name, attrs)?;
    w.write_event(Event::Text(BytesText::new(text)))
        .map_err(io)?;
    end(w, name)
}

/// `res/raw` names, unique per generated file: path → name.
struct RawNames(Vec<(String, String)>);

impl RawNames {
    fn new(m: &Manifest) -> Self {
        let mut names: Vec<(String, String)> = Vec::new();
        let paths = m.domains.iter().flat_map(|d| d.trust_anchors.iter()).chain(
            m.debug_overrides
                .iter()
                .flat_map(|d| d.trust_anchors.iter()),
        );
        for a in paths {
            let TrustAnchor::Pem { path, .. } = a else {
                continue;
            };
            if names.iter().any(|(p, _)| p == path) {
                continue;
            }
            let taken = |n: &str| names.iter().any(|(_, t)| t == n);
            // The file name; on a collision the whole path; then a counter.
            let mut name = raw_resource_name(path);
            if taken(&name) {
                name = raw_resource_name(&path.replace(['/', '\\', '.'], "_"));
            }
            let base = name.clone();
            let mut k = 2;
            while taken(&name) {
                name = format!("{base}_{k}");
                k += 1;
            }
            names.push((path.clone(), name));
        }
        Self(names)
    }

    fn get(&self, path: &str) -> String {
        self.0
            .iter()
            .find(|(p, _)| p == path)
            .map_or_else(|| raw_resource_name(path), |(_, n)| n.clone())
    }
}

fn anchors(
    w: &mut W,
    list: &[TrustAnchor],
    names: &RawNames,
    out: &mut Output,
) -> Result<(), GenerateError> {
    start(w, "trust-anchors", &[])?;
    for a in list {
        match a {
            TrustAnchor::System => empty(
                w,
                "certificates",
                &[("src", "system"), ("overridePins", "false")],
            )?,
            TrustAnchor::Pem { path, .. } => {
                let res = names.get(path);
                empty(
                    w,
                    "certificates",
                    &[("src", &format!("@raw/{res}")), ("overridePins", "false")],
                )?;
                let entry = (format!("res/raw/{res}.pem"), path.clone());
                if !out.extra_files.contains(&entry) {
                    out.extra_files.push(entry);
                }
            }
        }
    }
    end(w, "trust-anchors")
}

/// Generates the NSC XML.
pub fn generate(m: &Manifest) -> Result<Output, GenerateError> {
    super::refuse_spiffe(m, TARGET)?;
    let mut out = Output {
        text: String::new(),
        weaknesses: Vec::new(),
        notes: Vec::new(),
        extra_files: Vec::new(),
    };
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 4);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
        .map_err(io)?;
    w.write_event(Event::Comment(BytesText::new(&format!(" {} ", header(m)))))
        .map_err(io)?;
    start(&mut w, "network-security-config", &[])?;
    let names = RawNames::new(m);
    if let Some(ct) = m.certificate_transparency {
        // App-wide: hosts without a rule too, and every domain-config that sets none.
        start(&mut w, "base-config", &[])?;
        certificate_transparency(&mut w, ct)?;
        end(&mut w, "base-config")?;
    }
    if m.certificate_transparency.is_some()
        || m.domains
            .iter()
            .any(|r| r.certificate_transparency.is_some())
    {
        out.notes.push(
            "certificateTransparency is read by Android 16 (API 36) and later; older releases ignore the element"
                .into(),
        );
    }
    for rule in m.domains.iter().filter(|r| parent_of(m, r).is_none()) {
        write_rule(
            &mut w,
            m,
            rule,
            None,
            m.certificate_transparency,
            &names,
            &mut out,
        )?;
    }
    if let Some(d) = &m.debug_overrides {
        start(&mut w, "debug-overrides", &[])?;
        anchors(&mut w, &d.trust_anchors, &names, &mut out)?;
        end(&mut w, "debug-overrides")?;
        out.notes.push("debug-overrides: the debug CAs are trusted only in debuggable builds (android:debuggable)".into());
    }
    end(&mut w, "network-security-config")?;
    if m.domains.iter().any(|r| r.expires.is_some()) {
        // A date moved by hours, on the device owner's own clock: not something an attacker gains.
        out.notes.push(
            "pin-set expiration is evaluated by Android in the device's local time zone, not at 00:00 UTC: \
             pins may stop being enforced up to 14 hours earlier (or 12 hours later) than the manifest says"
                .into(),
        );
    }
    if m.domains
        .iter()
        .any(|r| r.name.starts_with("xn--") || r.name.contains(".xn--"))
    {
        out.notes.push(
            "IDN names are written as A-labels (punycode): NSC compares hosts literally".into(),
        );
    }
    out.text = String::from_utf8(w.into_inner()).map_err(io)? + "\n";
    Ok(out)
}

/// `inherited_ct`: the Certificate Transparency value NSC gives the enclosing config (`None`: the
/// platform default).
fn write_rule(
    w: &mut W,
    m: &Manifest,
    rule: &DomainRule,
    parent: Option<&DomainRule>,
    inherited_ct: Option<bool>,
    names: &RawNames,
    out: &mut Output,
) -> Result<(), GenerateError> {
    if crate::host::is_ip_literal(&rule.name) {
        out.notes.push(format!(
            "'{}' is an IP literal: NSC matches it only if the app connects by that literal",
            rule.name
        ));
    }
    start(w, "domain-config", &[])?;
    let include = if rule.include_subdomains {
        "true"
    } else {
        "false"
    };
    text_element(w, "domain", &[("includeSubdomains", include)], &rule.name)?;
    let own = effective_anchors(rule);
    let inherited = parent.map_or_else(|| vec![TrustAnchor::System], effective_anchors);
    let own_anchors_written = own != inherited;
    if own_anchors_written {
        anchors(w, &own, names, out)?;
    }
    if rule.is_exemption() {
        empty(w, "pin-set", &[])?;
    } else if !rule.enforce {
        out.weaknesses.push(format!(
            "'{}' is report-only: NSC cannot report without enforcing, so its pins are left out (not pinned on Android)",
            rule.name
        ));
        if parent.is_some() {
            // Do not inherit the parent's enforced pins.
            empty(w, "pin-set", &[])?;
        }
    } else {
        let exp = rule.expires.map(|d| d.to_string());
        let attrs: Vec<(&str, &str)> = exp
            .as_deref()
            .map(|e| vec![("expiration", e)])
            .unwrap_or_default();
        start(w, "pin-set", &attrs)?;
        for p in &rule.pins {
            text_element(w, "pin", &[("digest", "SHA-256")], &p.to_base64())?;
        }
        end(w, "pin-set")?;
    }
    // Without its own element a config gets (Android 16 NetworkSecurityConfig.Builder) `false`
    // when its own trust-anchors name a private CA (`@raw/`), else the enclosing config's value.
    // The manifest does not inherit, so a rule states its value wherever NSC would differ.
    let private = own_anchors_written && own.iter().any(|a| matches!(a, TrustAnchor::Pem { .. }));
    let implicit = if private { Some(false) } else { inherited_ct };
    let effective = match (rule.certificate_transparency, implicit) {
        (Some(ct), implicit) => {
            if implicit != Some(ct) {
                certificate_transparency(w, ct)?;
            }
            Some(ct)
        }
        (None, Some(true)) => {
            out.notes.push(format!(
                "'{}' sets no certificate_transparency but Android applies its parent's (enabled): stricter",
                rule.name
            ));
            Some(true)
        }
        (None, Some(false)) if !private => {
            out.weaknesses.push(format!(
                "'{}' sets no certificate_transparency (the platform default, on for apps targeting API 37+) but \
                 Android applies its parent's enabled=\"false\"",
                rule.name
            ));
            Some(false)
        }
        // Private anchors: off, which is Android's own default for a private CA.
        (None, implicit) => implicit,
    };
    for child in m
        .domains
        .iter()
        .filter(|c| parent_of(m, c).is_some_and(|p| p.name == rule.name))
    {
        write_rule(w, m, child, Some(rule), effective, names, out)?;
    }
    end(w, "domain-config")
}

/// `<certificateTransparency enabled="…"/>` (Android 16+).
fn certificate_transparency(w: &mut W, enabled: bool) -> Result<(), GenerateError> {
    empty(
        w,
        "certificateTransparency",
        &[("enabled", if enabled { "true" } else { "false" })],
    )
}
