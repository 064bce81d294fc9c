//! The HTTP message model signatures are computed over, and a strict HTTP/1.1 parser.
//!
//! `@authority`, `@scheme` and `@target-uri` come from an **explicit** target URI, never from
//! whatever a server framework happens to see.

use url::Url;

use super::SigningError;

/// Request or response specifics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A request: method and the explicit target URI.
    Request {
        /// The method, as sent (case-sensitive).
        method: String,
        /// The absolute target URI.
        target: Url,
        /// The request-target exactly as on the request line (for `@request-target`).
        request_target: String,
    },
    /// A response: its status code.
    Response {
        /// The status code.
        status: u16,
    },
}

/// An HTTP message: kind, ordered field lines (names lowercased), body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMessage {
    /// Request or response.
    pub kind: Kind,
    /// Header field lines in order: (lowercase name, value as received).
    pub fields: Vec<(String, String)>,
    /// The body (content) bytes.
    pub body: Vec<u8>,
}

/// True when a field value is safe to put into a signature base: no CR, LF, NUL or other
/// control characters except HTAB. Anything else could inject lines into the base.
pub fn is_safe_value(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

impl HttpMessage {
    /// A request to an absolute target URI (`https://host/path?query`).
    pub fn request(method: &str, target_uri: &str) -> Result<Self, SigningError> {
        if method.is_empty() || !method.bytes().all(is_token_char) {
            return Err(SigningError::Message(format!("invalid method '{method}'")));
        }
        let target = Url::parse(target_uri)
            .map_err(|e| SigningError::Message(format!("target URI '{target_uri}': {e}")))?;
        if !target.has_host() {
            return Err(SigningError::Message(format!(
                "target URI '{target_uri}' has no authority"
            )));
        }
        let request_target = origin_form(&target);
        Ok(Self {
            kind: Kind::Request {
                method: method.to_owned(),
                target,
                request_target,
            },
            fields: Vec::new(),
            body: Vec::new(),
        })
    }

    /// A response with a status code.
    pub fn response(status: u16) -> Result<Self, SigningError> {
        if !(100..=999).contains(&status) {
            return Err(SigningError::Message(format!("invalid status {status}")));
        }
        Ok(Self {
            kind: Kind::Response { status },
            fields: Vec::new(),
            body: Vec::new(),
        })
    }

    /// Appends a header field line. Names are lowercased; values with CR/LF/control
    /// characters are refused (base injection).
    pub fn add_field(&mut self, name: &str, value: &str) -> Result<(), SigningError> {
        if name.is_empty() || !name.bytes().all(is_token_char) {
            return Err(SigningError::Message(format!(
                "invalid field name '{name}'"
            )));
        }
        if !is_safe_value(value) {
            return Err(SigningError::Message(format!(
                "field '{name}' contains CR, LF or control characters"
            )));
        }
        self.fields
            .push((name.to_ascii_lowercase(), value.to_owned()));
        Ok(())
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// All values of a field (lowercase name), in order.
    pub fn field_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Removes every line of a field.
    pub fn remove_field(&mut self, name: &str) {
        self.fields.retain(|(n, _)| n != name);
    }

    /// Parses a raw HTTP/1.1 request or response (LF or CRLF line endings). A request's target
    /// URI is built from `scheme`, the `Host` field and the request-target (or taken whole from
    /// an absolute-form request-target). Obsolete line folding is unfolded.
    pub fn parse(raw: &[u8], scheme: &str) -> Result<Self, SigningError> {
        let err = |line: usize, msg: &str| SigningError::Message(format!("line {line}: {msg}"));
        let mut lines = Vec::new();
        let mut pos = 0;
        let body_start;
        loop {
            // A message that ends right after its last field line (no empty line) has no body.
            let nl = raw[pos..]
                .iter()
                .position(|&b| b == b'\n')
                .unwrap_or(raw.len() - pos);
            if nl == 0 && pos == raw.len() {
                body_start = pos;
                break;
            }
            let mut line = &raw[pos..pos + nl];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            pos = (pos + nl + 1).min(raw.len());
            if line.is_empty() {
                body_start = pos;
                break;
            }
            if line.contains(&b'\r') {
                return Err(err(lines.len() + 1, "bare CR in header section"));
            }
            let text = std::str::from_utf8(line)
                .map_err(|_| err(lines.len() + 1, "header section is not UTF-8"))?;
            lines.push(text);
        }
        let (first, rest) = lines.split_first().ok_or_else(|| err(1, "empty message"))?;
        let mut parts = first.splitn(3, ' ');
        let (a, b, c) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        let mut msg = if a.starts_with("HTTP/") {
            let status = b
                .parse::<u16>()
                .map_err(|_| err(1, "invalid status code"))?;
            Self::response(status)?
        } else {
            if !c.starts_with("HTTP/") {
                return Err(err(1, "expected 'METHOD request-target HTTP/x.y'"));
            }
            // Placeholder target; fixed below once Host is known.
            let mut m = Self::request(a, "https://placeholder.invalid/")?;
            if let Kind::Request { request_target, .. } = &mut m.kind {
                *request_target = b.to_owned();
            }
            m
        };
        for (i, line) in rest.iter().enumerate() {
            let n = i + 2;
            if line.starts_with([' ', '\t']) {
                // obs-fold: continuation of the previous line, joined by a single space.
                let last = msg
                    .fields
                    .last_mut()
                    .ok_or_else(|| err(n, "continuation line before any field"))?;
                // Folded text gets the same CR/LF/control-character check as any field value
                // (fuzzing found NUL arriving this way).
                if !is_safe_value(line) {
                    return Err(err(n, "continuation line contains control characters"));
                }
                last.1 = format!("{} {}", last.1.trim_end(), line.trim());
                continue;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| err(n, "field line without ':'"))?;
            if name.ends_with([' ', '\t']) {
                return Err(err(n, "whitespace before ':'"));
            }
            msg.add_field(name, value)
                .map_err(|e| err(n, &e.to_string()))?;
        }
        msg.body = raw[body_start..].to_vec();
        if let Kind::Request {
            request_target,
            target,
            ..
        } = &mut msg.kind
        {
            *target = if request_target.contains("://") {
                Url::parse(request_target)
                    .map_err(|e| err(1, &format!("absolute-form target: {e}")))?
            } else {
                let mut hosts = msg.fields.iter().filter(|(n, _)| n == "host");
                let host = hosts
                    .next()
                    .map(|(_, v)| v.trim())
                    .ok_or_else(|| err(1, "request has no Host field"))?;
                if hosts.next().is_some() {
                    return Err(err(1, "more than one Host field"));
                }
                let path = if request_target == "*" {
                    ""
                } else {
                    request_target.as_str()
                };
                if !path.is_empty() && !path.starts_with('/') {
                    return Err(err(
                        1,
                        "request-target must be origin-form ('/…'), absolute-form or '*'",
                    ));
                }
                Url::parse(&format!("{scheme}://{host}{path}"))
                    .map_err(|e| err(1, &format!("target URI: {e}")))?
            };
        }
        Ok(msg)
    }

    /// Serializes the message as HTTP/1.1 with the given line ending.
    pub fn to_http1(&self, crlf: bool) -> Vec<u8> {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut out = match &self.kind {
            Kind::Request {
                method,
                request_target,
                target,
            } => {
                let mut head = format!("{method} {request_target} HTTP/1.1{eol}");
                // HTTP/1.1 requires Host; derive it from the target URI when the model has none.
                if self.field_values("host").next().is_none() {
                    let host = target.host_str().unwrap_or("");
                    let port = target.port().map(|p| format!(":{p}")).unwrap_or_default();
                    head.push_str(&format!("Host: {host}{port}{eol}"));
                }
                head
            }
            Kind::Response { status } => format!("HTTP/1.1 {status}{eol}"),
        };
        for (n, v) in &self.fields {
            out.push_str(&format!(
                "{}:{}{v}{eol}",
                display_name(n),
                if v.starts_with(' ') { "" } else { " " }
            ));
        }
        out.push_str(eol);
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// `Content-Type` style capitalisation for output (names are case-insensitive).
fn display_name(n: &str) -> String {
    n.split('-')
        .map(|p| {
            let mut c = p.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The origin-form request-target of a URI: path plus `?query`.
pub fn origin_form(u: &Url) -> String {
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_owned(),
    }
}
