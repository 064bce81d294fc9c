//! A Kotlin source file exposing an `okhttp3.CertificatePinner` built from the manifest.
//!
//! `include_subdomains` becomes `**.name` (the apex and every depth), never `*.` (one label).
//! OkHttp unions the pins of every matching pattern, so a rule under an `include_subdomains`
//! parent is expressible only when its pins include the parent's; exemptions cannot be
//! expressed at all. Expiry is preserved: the generated code leaves a rule out once its date
//! (00:00 UTC) has passed.

use super::{GenerateError, Output, header, parent_of};
use crate::manifest::{DomainRule, Manifest, TrustAnchor};

const TARGET: &str = "okhttp";

fn kotlin_string(s: &str) -> String {
    // Hosts and pins are ASCII without quotes or `$`; escape defensively anyway.
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

fn check_expressible(m: &Manifest) -> Result<(), GenerateError> {
    let mut problems = Vec::new();
    for rule in &m.domains {
        let Some(parent) = parent_of(m, rule) else {
            continue;
        };
        if !parent.enforce || parent.pins.is_empty() {
            continue;
        }
        if rule.is_exemption() {
            problems.push(format!(
                "'{}' exempts a subdomain of '{}', but OkHttp applies every matching pattern's pins",
                rule.name, parent.name
            ));
        } else if !parent.pins.iter().all(|p| rule.pins.contains(p)) {
            problems.push(format!(
                "'{}' does not include all pins of its parent '{}'; OkHttp would accept the parent's pins for it too \
                 (add the parent's pins to '{}' to make the rules equivalent)",
                rule.name, parent.name, rule.name
            ));
        } else if !rule.enforce {
            problems.push(format!("'{}' is report-only under the enforced '{}'; OkHttp would enforce the parent's pins on it", rule.name, parent.name));
        } else if let (Some(child), parent_exp) = (rule.expires, parent.expires) {
            if parent_exp.is_none_or(|p| child < p) {
                problems.push(format!(
                    "'{}' expires ({child}) before its parent '{}'; OkHttp would keep enforcing the parent's pins on it",
                    rule.name, parent.name
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(GenerateError::Inexpressible {
            target: TARGET,
            reason: problems.join("; "),
        })
    }
}

/// Generates `object PinsetPins { fun certificatePinner(nowMillis) }` in `package`.
pub fn generate(m: &Manifest, package: &str) -> Result<Output, GenerateError> {
    super::refuse_spiffe(m, TARGET)?;
    if package.is_empty()
        || !package.split('.').all(|p| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    {
        return Err(GenerateError::InvalidValue {
            target: TARGET,
            reason: format!("'{package}' is not a Kotlin package name"),
        });
    }
    check_expressible(m)?;
    let mut out = Output {
        text: String::new(),
        weaknesses: Vec::new(),
        notes: Vec::new(),
        extra_files: Vec::new(),
    };
    let mut body = String::new();
    for rule in &m.domains {
        if rule.is_exemption() {
            continue;
        }
        if !rule.enforce {
            out.weaknesses.push(format!(
                "'{}' is report-only: OkHttp has no report-only mode, so it is not pinned",
                rule.name
            ));
            continue;
        }
        if rule
            .trust_anchors
            .iter()
            .any(|a| matches!(a, TrustAnchor::Pem { .. }))
        {
            out.notes.push(format!(
                "'{}' trusts private CAs: configure them on the OkHttpClient (sslSocketFactory/trust manager); a pinner only pins",
                rule.name
            ));
        }
        body.push_str(&rule_code(rule));
    }
    if m.certificate_transparency.is_some()
        || m.domains
            .iter()
            .any(|r| r.certificate_transparency.is_some())
    {
        out.notes.push(
            "certificate_transparency is not part of a CertificatePinner: on Android 16+ the platform trust manager \
             applies the NSC setting (pinset generate android-nsc); on a JVM nothing checks it. The pins apply either way"
                .into(),
        );
    }
    out.text = format!(
        "// {}\npackage {package}\n\nimport okhttp3.CertificatePinner\n\n\
         /** SPKI pins from the pinset manifest. */\n\
         object PinsetPins {{\n    \
         /**\n     * The pinner for [nowMillis] (default: now). A rule whose pin-set has expired (00:00 UTC on its\n     \
         * date) is left out, as pinset and Android do.\n     */\n    \
         @JvmStatic\n    @JvmOverloads\n    \
         fun certificatePinner(nowMillis: Long = System.currentTimeMillis()): CertificatePinner {{\n        \
         val builder = CertificatePinner.Builder()\n{body}        return builder.build()\n    }}\n}}\n",
        header(m)
    );
    Ok(out)
}

fn rule_code(rule: &DomainRule) -> String {
    let pattern = if rule.include_subdomains {
        format!("**.{}", rule.name)
    } else {
        rule.name.clone()
    };
    let pins = rule
        .pins
        .iter()
        .map(|p| kotlin_string(&p.to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    let add = format!("builder.add({}, {pins})", kotlin_string(&pattern));
    let comment = format!(
        "        // {}{}\n",
        rule.name,
        if rule.include_subdomains {
            " and every subdomain"
        } else {
            ""
        }
    );
    match rule.expires {
        Some(d) => format!(
            "{comment}        if (nowMillis < {}L) {{ // expires {d}\n            {add}\n        }}\n",
            d.midnight_utc().saturating_mul(1000)
        ),
        None => format!("{comment}        {add}\n"),
    }
}
