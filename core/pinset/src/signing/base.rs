//! Component identifiers and the signature base (RFC 9421 sections 2 and 2.5).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sfv::{BareItem, Dictionary, FieldType as _, InnerList, Item, List, ListEntry, Parser};

use super::SigningError;
use super::message::{HttpMessage, Kind, is_safe_value, trim_ows};

/// One covered component: a name (`@method`, `content-type`) and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Lowercase field name or derived component name (with `@`).
    pub name: String,
    /// `;sf`: re-serialize the field as a structured field.
    pub sf: bool,
    /// `;key="member"`: one Dictionary member of a structured field.
    pub key: Option<String>,
    /// `;bs`: each field line as a Byte Sequence.
    pub bs: bool,
    /// `;req`: taken from the related request (for responses).
    pub req: bool,
    /// `;tr`: a trailer field (not supported: refused).
    pub tr: bool,
    /// `;name="p"` of `@query-param`.
    pub param_name: Option<String>,
    /// The identifier exactly as serialized (`"@query-param";name="Pet"`).
    pub serialized: String,
}

const DERIVED: &[&str] = &[
    "@method",
    "@target-uri",
    "@authority",
    "@scheme",
    "@request-target",
    "@path",
    "@query",
    "@query-param",
    "@status",
];

impl Component {
    /// Parses one identifier such as `"@query-param";name="Pet"` or `content-digest;sf`
    /// (bare names are accepted for convenience on the signing side).
    pub fn parse(s: &str) -> Result<Self, SigningError> {
        let src = if s.starts_with('"') {
            s.to_owned()
        } else {
            quote_bare(s)
        };
        let item: Item = Parser::new(&src)
            .parse()
            .map_err(|e| SigningError::Component(format!("'{s}': {e}")))?;
        Self::from_item(&item)
    }

    /// Builds a component from a parsed structured-field item (a String with parameters).
    pub fn from_item(item: &Item) -> Result<Self, SigningError> {
        let BareItem::String(name) = &item.bare_item else {
            return Err(SigningError::Component(
                "component identifiers are strings".into(),
            ));
        };
        let name = name.as_str().to_owned();
        if name.is_empty()
            || name != name.to_ascii_lowercase()
            || !is_safe_value(&name)
            || name.contains(' ')
        {
            return Err(SigningError::Component(format!(
                "'{name}': component names are lowercase, without spaces"
            )));
        }
        if name == "@signature-params" {
            return Err(SigningError::Component(
                "@signature-params cannot be covered".into(),
            ));
        }
        if name.starts_with('@') && !DERIVED.contains(&name.as_str()) {
            return Err(SigningError::Component(format!(
                "unknown derived component '{name}'"
            )));
        }
        let mut c = Component {
            name,
            sf: false,
            key: None,
            bs: false,
            req: false,
            tr: false,
            param_name: None,
            serialized: item.serialize(),
        };
        for (k, v) in &item.params {
            match (k.as_str(), v) {
                ("sf", BareItem::Boolean(true)) => c.sf = true,
                ("bs", BareItem::Boolean(true)) => c.bs = true,
                ("req", BareItem::Boolean(true)) => c.req = true,
                ("tr", BareItem::Boolean(true)) => c.tr = true,
                ("key", BareItem::String(s)) => c.key = Some(s.as_str().to_owned()),
                ("name", BareItem::String(s)) => c.param_name = Some(s.as_str().to_owned()),
                (other, _) => {
                    return Err(SigningError::Component(format!(
                        "'{}': unsupported parameter '{other}'",
                        c.name
                    )));
                }
            }
        }
        let derived = c.name.starts_with('@');
        if derived && (c.sf || c.key.is_some() || c.bs || c.tr) {
            return Err(SigningError::Component(format!(
                "'{}': sf/key/bs/tr apply to fields only",
                c.name
            )));
        }
        if (c.name == "@query-param") != c.param_name.is_some() {
            return Err(SigningError::Component(
                "'name' is required on @query-param and only there".into(),
            ));
        }
        if c.bs && (c.sf || c.key.is_some()) {
            return Err(SigningError::Component(format!(
                "'{}': bs cannot be combined with sf or key",
                c.name
            )));
        }
        if c.tr {
            return Err(SigningError::Component(format!(
                "'{}': trailer fields (;tr) are not supported",
                c.name
            )));
        }
        Ok(c)
    }
}

fn quote_bare(s: &str) -> String {
    match s.split_once(';') {
        Some((n, params)) => format!("\"{n}\";{params}"),
        None => format!("\"{s}\""),
    }
}

/// Parses the inner list of a `Signature-Input` member (or a `--signature-params` string):
/// the covered components, rejecting duplicates.
pub fn parse_covered(inner: &InnerList) -> Result<Vec<Component>, SigningError> {
    let mut out: Vec<Component> = Vec::with_capacity(inner.items.len());
    for item in &inner.items {
        let c = Component::from_item(item)?;
        if out.iter().any(|o| o.serialized == c.serialized) {
            return Err(SigningError::Component(format!(
                "duplicate component {}",
                c.serialized
            )));
        }
        out.push(c);
    }
    Ok(out)
}

/// Builds the signature base. `params_raw` is the serialized signature parameters exactly as
/// they appear (or will appear) in `Signature-Input`: the base ends with it verbatim.
pub fn signature_base(
    msg: &HttpMessage,
    related_request: Option<&HttpMessage>,
    covered: &[Component],
    params_raw: &str,
) -> Result<Vec<u8>, SigningError> {
    let mut base = String::with_capacity(256);
    for c in covered {
        let source = if c.req {
            related_request.ok_or_else(|| {
                SigningError::MissingComponent(format!("{} (no related request)", c.serialized))
            })?
        } else {
            msg
        };
        let value = component_value(source, c)?;
        if !is_safe_value(&value) {
            return Err(SigningError::Component(format!(
                "{}: value contains CR, LF or control characters",
                c.serialized
            )));
        }
        base.push_str(&c.serialized);
        base.push_str(": ");
        base.push_str(&value);
        base.push('\n');
    }
    if !is_safe_value(params_raw) {
        return Err(SigningError::Component(
            "signature parameters contain CR, LF or control characters".into(),
        ));
    }
    base.push_str("\"@signature-params\": ");
    base.push_str(params_raw);
    Ok(base.into_bytes())
}

fn component_value(msg: &HttpMessage, c: &Component) -> Result<String, SigningError> {
    let missing = || SigningError::MissingComponent(c.serialized.clone());
    if !c.name.starts_with('@') {
        let lines: Vec<&str> = msg.field_values(&c.name).collect();
        if lines.is_empty() {
            return Err(missing());
        }
        if c.bs {
            return Ok(lines
                .iter()
                .map(|l| format!(":{}:", STANDARD.encode(trim_ows(l).as_bytes())))
                .collect::<Vec<_>>()
                .join(", "));
        }
        let joined = lines
            .iter()
            .map(|l| trim_ows(l))
            .collect::<Vec<_>>()
            .join(", ");
        if let Some(key) = &c.key {
            let dict: Dictionary = Parser::new(&joined).parse().map_err(|e| {
                SigningError::Component(format!("{}: not a Dictionary: {e}", c.serialized))
            })?;
            let member = dict
                .iter()
                .find(|(k, _)| k.as_str() == key)
                .map(|(_, v)| v)
                .ok_or_else(missing)?;
            let list: List = vec![member.clone()];
            return list.serialize().ok_or_else(missing);
        }
        if c.sf {
            return reserialize_structured(&joined).ok_or_else(|| {
                SigningError::Component(format!("{}: not a structured field", c.serialized))
            });
        }
        return Ok(joined);
    }
    let request = |v: Option<String>| v.ok_or_else(missing);
    match (&msg.kind, c.name.as_str()) {
        (Kind::Request { method, .. }, "@method") => Ok(method.clone()),
        (Kind::Request { .. }, "@target-uri") => request(msg.target_uri()),
        (
            Kind::Request {
                scheme, authority, ..
            },
            "@authority",
        ) => Ok(normalized_authority(scheme, authority)),
        (Kind::Request { scheme, .. }, "@scheme") => Ok(scheme.to_ascii_lowercase()),
        (Kind::Request { request_target, .. }, "@request-target") => Ok(request_target.clone()),
        (Kind::Request { .. }, "@path") => request(msg.path().map(str::to_owned)),
        (Kind::Request { .. }, "@query") => Ok(format!("?{}", msg.query().unwrap_or(""))),
        (Kind::Request { .. }, "@query-param") => query_param(
            msg.query().unwrap_or(""),
            c.param_name.as_deref().unwrap_or(""),
            c,
        ),
        (Kind::Response { status }, "@status") => Ok(status.to_string()),
        _ => Err(missing()),
    }
}

/// `@authority` (RFC 9421 §2.2.3, RFC 9110 §4.2.3): the host lowercased and the scheme's default
/// port (or an empty port) omitted; nothing else is changed.
fn normalized_authority(scheme: &str, authority: &str) -> String {
    let lower = authority.to_ascii_lowercase();
    let (host, port) = match lower.rfind(':') {
        Some(i) if !lower[i..].contains(']') => (&lower[..i], Some(&lower[i + 1..])),
        _ => (lower.as_str(), None),
    };
    let default = match scheme {
        "https" => Some("443"),
        "http" => Some("80"),
        _ => None,
    };
    match port {
        Some(p) if p.is_empty() || Some(p) == default => host.to_owned(),
        _ => lower.clone(),
    }
}

/// `@query-param` (RFC 9421 §2.2.8): the query is parsed as `application/x-www-form-urlencoded`
/// (the only decoding §2.2.8 prescribes); a parameter matches when its re-encoded name equals
/// `name`, and its value is re-encoded the same way.
fn query_param(query: &str, name: &str, c: &Component) -> Result<String, SigningError> {
    let mut found = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| percent_encode_component(k) == name)
        .map(|(_, v)| v.into_owned());
    let value = found
        .next()
        .ok_or_else(|| SigningError::MissingComponent(c.serialized.clone()))?;
    if found.next().is_some() {
        // A parameter that repeats cannot be signed unambiguously this way (the peers refuse
        // it too); cover `@query` instead.
        return Err(SigningError::Component(format!(
            "{}: query parameter occurs more than once (cover @query instead)",
            c.serialized
        )));
    }
    Ok(percent_encode_component(&value))
}

/// Percent-encodes as `application/x-www-form-urlencoded` would, but spaces as `%20`.
fn percent_encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"*-._".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Re-serializes a structured field strictly. The type is not declared by the field name
/// here, so Dictionary is tried first, then List, then Item (a List that parses as a
/// Dictionary of bare keys serializes identically).
fn reserialize_structured(v: &str) -> Option<String> {
    if let Ok(d) = Parser::new(v).parse::<Dictionary>() {
        return d.serialize().or(Some(String::new()));
    }
    if let Ok(l) = Parser::new(v).parse::<List>() {
        return l.serialize().or(Some(String::new()));
    }
    Parser::new(v).parse::<Item>().ok().map(|i| i.serialize())
}

/// Splits a Dictionary field value into `(key, raw member text)` at top-level commas,
/// respecting strings, byte sequences and inner lists, so a member's exact received bytes can
/// be used for `@signature-params` (never a re-serialization).
pub fn raw_members(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let bytes = value.as_bytes();
    let (mut start, mut depth, mut in_str, mut in_bs, mut esc) =
        (0usize, 0i32, false, false, false);
    let mut push = |s: &str| {
        let s = s.trim_matches([' ', '\t']);
        if let Some((k, _)) = s.split_once('=') {
            out.push((k.to_owned(), s[k.len() + 1..].to_owned()));
        } else if !s.is_empty() {
            out.push((s.split(';').next().unwrap_or(s).to_owned(), String::new()));
        }
    };
    for (i, &b) in bytes.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        if in_bs {
            in_bs = b != b':';
            continue;
        }
        match b {
            b'"' => in_str = true,
            b':' => in_bs = true,
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => {
                push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    push(&value[start..]);
    out
}

/// Parses one Dictionary member's raw text (`("a" "b");created=1`) as an inner list.
pub fn parse_member_inner_list(raw: &str) -> Result<InnerList, SigningError> {
    let d: Dictionary = Parser::new(&format!("m={raw}"))
        .parse()
        .map_err(|e| SigningError::Params(format!("{e}")))?;
    match d.into_iter().next() {
        Some((_, ListEntry::InnerList(l))) => Ok(l),
        _ => Err(SigningError::Params(
            "expected an inner list of components with parameters".into(),
        )),
    }
}
