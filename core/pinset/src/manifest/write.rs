//! Writing a manifest back as TOML (used by `pinset import`).

use super::{Manifest, TrustAnchor};
use crate::spiffe::IdMatcher;

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
        if let Some(n) = self.serial {
            s.push_str(&format!("serial = {n}\n"));
        }
        if let Some(ct) = self.certificate_transparency {
            s.push_str(&format!("\n[defaults]\ncertificate_transparency = {ct}\n"));
        }
        for t in &self.trust_domains {
            s.push_str(&format!(
                "\n[[trust_domain]]\nname = {}\nbundle = {}\n",
                q(t.name.as_str()),
                q(&t.bundle)
            ));
        }
        for d in &self.domains {
            s.push_str(&format!("\n[[domain]]\nname = {}\n", q(&d.name)));
            if let Some(sp) = &d.spiffe {
                let (key, value) = match &sp.matcher {
                    IdMatcher::Id(id) => ("id", id.as_str()),
                    IdMatcher::MemberOf(td) => ("member_of", td.as_str()),
                    IdMatcher::Prefix(id) => ("prefix", id.as_str()),
                };
                let dns = if sp.dns { ", dns = true" } else { "" };
                s.push_str(&format!("spiffe = {{ {key} = {}{dns} }}\n", q(value)));
            }
            if d.include_subdomains {
                s.push_str("include_subdomains = true\n");
            }
            if d.pins.is_empty() && d.spiffe.is_some() {
                // No pins: the SPIFFE ID alone identifies the server.
            } else if d.pins.is_empty() {
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
            match d.certificate_transparency {
                Some(ct) if self.certificate_transparency != Some(ct) => {
                    s.push_str(&format!("certificate_transparency = {ct}\n"));
                }
                _ => {}
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
        s.push_str(&super::attestation::to_toml(&self.attestations));
        s
    }
}
