//! The manifest's TOML shape, read from toml's spanned document tree (`toml::de::DeTable`).
//!
//! Why not `#[derive(Deserialize)]` (which this module replaced): the serde path stops at the
//! first error, and serde's generic deserializer code was a large share of the mobile library
//! (the measurement: `docs/adr/0003-manifest-without-serde-derive.md`). Reading
//! the spanned tree directly reports **every** shape error at once, each at its key or value, with
//! the messages serde users know (`unknown field`, `missing field`, `invalid type`).

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A list of strings with the span of the whole array and of each element.
pub(super) type Strings = Spanned<Vec<Spanned<String>>>;

/// An inline table of strings, each key and value with its span.
pub(super) type StringTable = Spanned<Vec<(Spanned<String>, Spanned<String>)>>;

pub(super) struct RawManifest {
    pub version: Spanned<i64>,
    pub serial: Option<Spanned<i64>>,
    pub defaults: Option<RawDefaults>,
    pub domain: Vec<RawDomain>,
    pub debug_overrides: Option<RawDebug>,
    /// `[[attestation]]` tables (Sigstore build identities of artifacts).
    pub attestation: Vec<RawAttestation>,
    /// `[[trust_domain]]` tables (SPIFFE trust domains and their bundle files).
    pub trust_domain: Vec<RawTrustDomain>,
}

/// One `[[trust_domain]]`.
pub(super) struct RawTrustDomain {
    pub name: Spanned<String>,
    pub bundle: Spanned<String>,
}

/// A domain's `spiffe = { id | member_of | prefix, dns }`.
pub(super) struct RawSpiffe {
    pub span: Range<usize>,
    pub id: Option<Spanned<String>>,
    pub member_of: Option<Spanned<String>>,
    pub prefix: Option<Spanned<String>>,
    pub dns: Option<bool>,
}

/// One `[[attestation]]`.
pub(super) struct RawAttestation {
    pub span: Range<usize>,
    pub subject: Spanned<String>,
    pub trusted_root: Spanned<String>,
    pub identity: Option<Spanned<String>>,
    pub identity_regexp: Option<Spanned<String>>,
    pub issuer: Option<Spanned<String>>,
    pub issuer_regexp: Option<Spanned<String>>,
    pub claims: Option<StringTable>,
    pub key: Option<Spanned<String>>,
}

pub(super) struct RawDefaults {
    pub enforce: Option<bool>,
    pub include_subdomains: Option<bool>,
    pub expires: Option<Spanned<String>>,
    pub report_uris: Option<Strings>,
    pub trust_anchors: Option<Strings>,
    pub certificate_transparency: Option<bool>,
}

pub(super) struct RawDomain {
    pub name: Spanned<String>,
    pub include_subdomains: Option<bool>,
    /// Required, except with `spiffe` (where an absent list is empty: no pins).
    pub pins: Strings,
    /// `spiffe = { ... }`.
    pub spiffe: Option<RawSpiffe>,
    pub expires: Option<Spanned<String>>,
    pub enforce: Option<bool>,
    pub report_uris: Option<Strings>,
    pub trust_anchors: Option<Strings>,
    pub certificate_transparency: Option<bool>,
    /// Per-domain opt-out of the backup-pin rule (documented; discouraged).
    pub require_backup_pin: Option<bool>,
}

pub(super) struct RawDebug {
    pub trust_anchors: Strings,
}

/// Shape errors: (span, message).
pub(super) type Errors = Vec<(Range<usize>, String)>;

/// Reads the document's shape; `Err` carries every shape error found.
pub(super) fn read(doc: &Spanned<DeTable<'_>>) -> Result<RawManifest, Errors> {
    let mut errs = Errors::new();
    let top = Table::new(
        doc.get_ref(),
        doc.span(),
        &[
            "version",
            "serial",
            "defaults",
            "domain",
            "debug_overrides",
            "attestation",
            "trust_domain",
        ],
        &mut errs,
    );
    let version = top.required(&mut errs, "version", integer);
    let serial = top.optional(&mut errs, "serial", integer);
    let defaults = top.optional(&mut errs, "defaults", |v, span, errs| {
        let t = Table::from_value(
            v,
            span,
            &[
                "enforce",
                "include_subdomains",
                "expires",
                "report_uris",
                "trust_anchors",
                "certificate_transparency",
            ],
            errs,
        )?;
        Some(RawDefaults {
            enforce: t.optional(errs, "enforce", boolean),
            include_subdomains: t.optional(errs, "include_subdomains", boolean),
            expires: t.optional(errs, "expires", string),
            report_uris: t.optional(errs, "report_uris", strings),
            trust_anchors: t.optional(errs, "trust_anchors", strings),
            certificate_transparency: t.optional(errs, "certificate_transparency", boolean),
        })
    });
    let domain = top
        .optional(&mut errs, "domain", |v, span, errs| {
            let DeValue::Array(items) = v else {
                errs.push((
                    span,
                    format!(
                        "invalid type: {}, expected an array of tables ([[domain]])",
                        describe(v)
                    ),
                ));
                return None;
            };
            Some(
                items
                    .iter()
                    .filter_map(|item| domain(item.get_ref(), item.span(), errs))
                    .collect::<Vec<_>>(),
            )
        })
        .unwrap_or_default();
    let debug_overrides = top.optional(&mut errs, "debug_overrides", |v, span, errs| {
        let t = Table::from_value(v, span, &["trust_anchors"], errs)?;
        Some(RawDebug {
            trust_anchors: t.required(errs, "trust_anchors", strings)?,
        })
    });
    let attestation = top
        .optional(&mut errs, "attestation", |v, span, errs| {
            let DeValue::Array(items) = v else {
                errs.push((
                    span,
                    format!(
                        "invalid type: {}, expected an array of tables ([[attestation]])",
                        describe(v)
                    ),
                ));
                return None;
            };
            Some(
                items
                    .iter()
                    .filter_map(|item| attestation(item.get_ref(), item.span(), errs))
                    .collect::<Vec<_>>(),
            )
        })
        .unwrap_or_default();
    let trust_domain = top
        .optional(&mut errs, "trust_domain", |v, span, errs| {
            let DeValue::Array(items) = v else {
                errs.push((
                    span,
                    format!(
                        "invalid type: {}, expected an array of tables ([[trust_domain]])",
                        describe(v)
                    ),
                ));
                return None;
            };
            Some(
                items
                    .iter()
                    .filter_map(|item| {
                        let t = Table::from_value(
                            item.get_ref(),
                            item.span(),
                            &["name", "bundle"],
                            errs,
                        )?;
                        let name = t.required(errs, "name", string);
                        let bundle = t.required(errs, "bundle", string);
                        Some(RawTrustDomain {
                            name: name?,
                            bundle: bundle?,
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .unwrap_or_default();
    match version {
        Some(version) if errs.is_empty() => Ok(RawManifest {
            version,
            serial,
            defaults,
            domain,
            debug_overrides,
            attestation,
            trust_domain,
        }),
        _ => Err(errs),
    }
}

fn domain(v: &DeValue<'_>, span: Range<usize>, errs: &mut Errors) -> Option<RawDomain> {
    let t = Table::from_value(
        v,
        span,
        &[
            "name",
            "include_subdomains",
            "pins",
            "expires",
            "enforce",
            "report_uris",
            "trust_anchors",
            "certificate_transparency",
            "require_backup_pin",
            "spiffe",
        ],
        errs,
    )?;
    let name = t.required(errs, "name", string);
    let spiffe = t.optional(errs, "spiffe", raw_spiffe);
    let pins = if spiffe.is_some() && t.get("pins").is_none() {
        Some(Spanned::new(t.span.clone(), Vec::new()))
    } else {
        t.required(errs, "pins", strings)
    };
    let include_subdomains = t.optional(errs, "include_subdomains", boolean);
    let expires = t.optional(errs, "expires", string);
    let enforce = t.optional(errs, "enforce", boolean);
    let report_uris = t.optional(errs, "report_uris", strings);
    let trust_anchors = t.optional(errs, "trust_anchors", strings);
    let certificate_transparency = t.optional(errs, "certificate_transparency", boolean);
    let require_backup_pin = t.optional(errs, "require_backup_pin", boolean);
    Some(RawDomain {
        certificate_transparency,
        name: name?,
        pins: pins?,
        include_subdomains,
        expires,
        enforce,
        report_uris,
        trust_anchors,
        require_backup_pin,
        spiffe,
    })
}

fn raw_spiffe(v: &DeValue<'_>, span: Range<usize>, errs: &mut Errors) -> Option<RawSpiffe> {
    let t = Table::from_value(v, span.clone(), &["id", "member_of", "prefix", "dns"], errs)?;
    Some(RawSpiffe {
        span,
        id: t.optional(errs, "id", string),
        member_of: t.optional(errs, "member_of", string),
        prefix: t.optional(errs, "prefix", string),
        dns: t.optional(errs, "dns", boolean),
    })
}

fn attestation(v: &DeValue<'_>, span: Range<usize>, errs: &mut Errors) -> Option<RawAttestation> {
    let t = Table::from_value(
        v,
        span.clone(),
        &[
            "subject",
            "trusted_root",
            "identity",
            "identity_regexp",
            "issuer",
            "issuer_regexp",
            "claims",
            "key",
        ],
        errs,
    )?;
    let subject = t.required(errs, "subject", string);
    let trusted_root = t.required(errs, "trusted_root", string);
    Some(RawAttestation {
        span,
        identity: t.optional(errs, "identity", string),
        identity_regexp: t.optional(errs, "identity_regexp", string),
        issuer: t.optional(errs, "issuer", string),
        issuer_regexp: t.optional(errs, "issuer_regexp", string),
        claims: t.optional(errs, "claims", string_table),
        key: t.optional(errs, "key", string),
        subject: subject?,
        trusted_root: trusted_root?,
    })
}

/// An inline table of strings (`{ name = "value", … }`), keys and values with their spans.
fn string_table(v: &DeValue<'_>, span: Range<usize>, errs: &mut Errors) -> Option<StringTable> {
    let DeValue::Table(t) = v else {
        invalid(v, span, "a table of strings", errs);
        return None;
    };
    let before = errs.len();
    let list: Vec<_> = t
        .iter()
        .filter_map(|(k, val)| {
            let value = string(val.get_ref(), val.span(), errs)?;
            Some((Spanned::new(k.span(), k.get_ref().to_string()), value))
        })
        .collect();
    (errs.len() == before).then(|| Spanned::new(span, list))
}

/// A table whose unknown keys have been reported.
struct Table<'t, 'i> {
    table: &'t DeTable<'i>,
    span: Range<usize>,
}

impl<'t, 'i> Table<'t, 'i> {
    fn new(
        table: &'t DeTable<'i>,
        span: Range<usize>,
        allowed: &[&str],
        errs: &mut Errors,
    ) -> Self {
        for (key, _) in table.iter() {
            let k: &str = key.get_ref();
            if !allowed.contains(&k) {
                let expected = allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                errs.push((
                    key.span(),
                    format!("unknown field `{k}`, expected one of {expected}"),
                ));
            }
        }
        Self { table, span }
    }

    fn from_value(
        v: &'t DeValue<'i>,
        span: Range<usize>,
        allowed: &[&str],
        errs: &mut Errors,
    ) -> Option<Self> {
        match v {
            DeValue::Table(t) => Some(Self::new(t, span, allowed, errs)),
            other => {
                errs.push((
                    span,
                    format!("invalid type: {}, expected a table", describe(other)),
                ));
                None
            }
        }
    }

    fn get(&self, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    fn optional<T>(
        &self,
        errs: &mut Errors,
        key: &str,
        read: impl FnOnce(&'t DeValue<'i>, Range<usize>, &mut Errors) -> Option<T>,
    ) -> Option<T> {
        let v = self.get(key)?;
        read(v.get_ref(), v.span(), errs)
    }

    fn required<T>(
        &self,
        errs: &mut Errors,
        key: &str,
        read: impl FnOnce(&'t DeValue<'i>, Range<usize>, &mut Errors) -> Option<T>,
    ) -> Option<T> {
        if self.get(key).is_none() {
            errs.push((self.span.clone(), format!("missing field `{key}`")));
            return None;
        }
        self.optional(errs, key, read)
    }
}

fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("string {s:?}"),
        DeValue::Integer(i) => format!("integer `{}`", i.as_str()),
        DeValue::Float(f) => format!("floating point `{}`", f.as_str()),
        DeValue::Boolean(b) => format!("boolean `{b}`"),
        DeValue::Datetime(d) => format!("datetime `{d}` (write dates as strings: \"2027-01-01\")"),
        DeValue::Array(_) => "array".to_owned(),
        DeValue::Table(_) => "table".to_owned(),
    }
}

fn invalid(v: &DeValue<'_>, span: Range<usize>, expected: &str, errs: &mut Errors) {
    errs.push((
        span,
        format!("invalid type: {}, expected {expected}", describe(v)),
    ));
}

fn boolean(v: &DeValue<'_>, span: Range<usize>, errs: &mut Errors) -> Option<bool> {
    match v {
        DeValue::Boolean(b) => Some(*b),
        other => {
            invalid(other, span, "a boolean", errs);
            None
        }
    }
}

fn integer(v: &DeValue<'_>, span: Range<usize>, errs: &mut Errors) -> Option<Spanned<i64>> {
    match v {
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Some(Spanned::new(span, n)),
            Err(_) => {
                errs.push((span, format!("integer `{}` out of range", i.as_str())));
                None
            }
        },
        other => {
            invalid(other, span, "an integer", errs);
            None
        }
    }
}

fn string(v: &DeValue<'_>, span: Range<usize>, errs: &mut Errors) -> Option<Spanned<String>> {
    match v {
        DeValue::String(s) => Some(Spanned::new(span, s.to_string())),
        other => {
            invalid(other, span, "a string", errs);
            None
        }
    }
}

fn strings(v: &DeValue<'_>, span: Range<usize>, errs: &mut Errors) -> Option<Strings> {
    let DeValue::Array(items) = v else {
        invalid(v, span, "an array of strings", errs);
        return None;
    };
    let before = errs.len();
    let list: Vec<_> = items
        .iter()
        .filter_map(|item| string(item.get_ref(), item.span(), errs))
        .collect();
    (errs.len() == before).then(|| Spanned::new(span, list))
}
