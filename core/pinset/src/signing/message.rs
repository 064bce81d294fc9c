//! The HTTP message model signatures are computed over, and a strict HTTP/1.1 parser.
//!
//! Derived components (RFC 9421 §2.2) come from the request line and the `Host` field **as
//! received**: no dot-segment removal, no percent-decoding, no re-spelling. `/a/../b`,
//! `/a/%2e%2e/b` and `/b` are three different targets, as they are to the server that routes
//! them. A request built from an absolute target URI keeps that URI's spelling the same way.
//! Framing follows RFC 9112 §6 (see the `framing` module); optional whitespace is SP and HTAB only.

use super::SigningError;
use super::framing::{self, Framing};

/// Request or response specifics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A request: method, scheme, authority and request-target, each as received.
    Request {
        /// The method, as sent (case-sensitive).
        method: String,
        /// The scheme of the target URI, lowercase (`https`).
        scheme: String,
        /// The authority as received: the `Host` field, or the absolute-form target's authority.
        authority: String,
        /// The request-target exactly as on the request line: origin-form (`/p?q`),
        /// absolute-form (`https://h/p?q`) or asterisk-form (`*`).
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
    /// The body (content) bytes; for a chunked message, the decoded content.
    pub body: Vec<u8>,
}

/// True when a field value is safe to put into a signature base: no CR, LF, NUL or other
/// control characters except HTAB. Anything else could inject lines into the base.
pub fn is_safe_value(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// Strips optional whitespace (RFC 9110 §5.6.3: SP and HTAB, nothing else) from both ends.
/// Unicode spaces (NBSP, U+2003, U+3000) are field content and stay.
pub fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A request-target (or target URI) is visible ASCII without `#`: control characters, spaces
/// and non-ASCII bytes never reach a signature base, whatever a URL library would make of them.
fn check_target(t: &str) -> Result<(), SigningError> {
    if t.is_empty() {
        return Err(SigningError::Message("empty request-target".into()));
    }
    if let Some(b) = t.bytes().find(|b| b.is_ascii_control()) {
        return Err(SigningError::Message(format!(
            "control character 0x{b:02x} in the request-target"
        )));
    }
    if let Some(b) = t.bytes().find(|&b| b == b' ' || !b.is_ascii()) {
        return Err(SigningError::Message(format!(
            "byte 0x{b:02x} in the request-target (only visible ASCII is allowed; percent-encode it)"
        )));
    }
    if t.contains('#') {
        return Err(SigningError::Message(
            "a request-target has no fragment ('#')".into(),
        ));
    }
    Ok(())
}

/// Checks an authority (`host[:port]`, IPv6 in brackets): no userinfo, no path characters,
/// no whitespace, a numeric port.
fn check_authority(a: &str) -> Result<(), SigningError> {
    let bad = |why: &str| SigningError::Message(format!("authority '{a}': {why}"));
    if a.is_empty() {
        return Err(bad("empty"));
    }
    if let Some(b) = a
        .bytes()
        .find(|&b| !(b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:[]%".contains(&b)))
    {
        return Err(bad(&format!(
            "byte 0x{b:02x} is not allowed (no userinfo, path, spaces or control characters)"
        )));
    }
    let (host, port) = match a.strip_prefix('[') {
        Some(rest) => {
            let close = rest.find(']').ok_or_else(|| bad("unclosed '['"))?;
            let after = &rest[close + 1..];
            if !after.is_empty() && !after.starts_with(':') {
                return Err(bad("text after ']'"));
            }
            (&rest[..close], after.strip_prefix(':'))
        }
        None => match a.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (a, None),
        },
    };
    if host.is_empty() || (!a.starts_with('[') && (host.contains([':', '[', ']']))) {
        return Err(bad("invalid host"));
    }
    if port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad("the port is not a number"));
    }
    Ok(())
}

/// Splits an absolute URI `scheme://authority[path][?query]` without normalising anything.
/// Returns (lowercase scheme, authority, path-and-query with an empty path as `/`).
fn split_absolute(uri: &str) -> Result<(String, String, String), SigningError> {
    check_target(uri)?;
    let (scheme, rest) = uri.split_once("://").ok_or_else(|| {
        SigningError::Message(format!(
            "target URI '{uri}' is not absolute (scheme://authority…)"
        ))
    })?;
    if !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return Err(SigningError::Message(format!(
            "target URI '{uri}': invalid scheme"
        )));
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_query) = rest.split_at(end);
    check_authority(authority)?;
    let path_query = if path_query.starts_with('/') {
        path_query.to_owned()
    } else {
        format!("/{path_query}")
    };
    Ok((
        scheme.to_ascii_lowercase(),
        authority.to_owned(),
        path_query,
    ))
}

/// `HTTP/d.d`.
fn is_http_version(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 8
        && v.starts_with("HTTP/")
        && b[5].is_ascii_digit()
        && b[6] == b'.'
        && b[7].is_ascii_digit()
}

impl HttpMessage {
    /// A request to an absolute target URI (`https://host/path?query`), kept as spelled: the
    /// path is not normalised and escapes are not decoded. An empty path is `/`.
    pub fn request(method: &str, target_uri: &str) -> Result<Self, SigningError> {
        if method.is_empty() || !method.bytes().all(is_token_char) {
            return Err(SigningError::Message(format!("invalid method '{method}'")));
        }
        let (scheme, authority, request_target) = split_absolute(target_uri)?;
        Ok(Self {
            kind: Kind::Request {
                method: method.to_owned(),
                scheme,
                authority,
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

    /// Sets the body (the content, already decoded when the message is chunked).
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

    /// Checks the framing fields against the body held in the message (RFC 9112 §6): a
    /// `Content-Length` must equal the body's length; differing `Content-Length` values,
    /// `Transfer-Encoding` with `Content-Length`, and any transfer coding but `chunked` are
    /// errors. Signing and verification call it, so a message whose header section would make a
    /// server frame a different body than the one covered is refused on every surface.
    pub fn check_framing(&self) -> Result<(), SigningError> {
        match framing::of_fields(&self.fields)? {
            Framing::Length(n) if n != self.body.len() => Err(SigningError::Message(format!(
                "Content-Length is {n} but the body has {} bytes",
                self.body.len()
            ))),
            _ => Ok(()),
        }
    }

    /// The target URI (RFC 9110 §7.1) as received: scheme `://` authority request-target for
    /// origin-form, the request-target itself for absolute-form. `None` for a response.
    pub fn target_uri(&self) -> Option<String> {
        let Kind::Request {
            scheme,
            authority,
            request_target,
            ..
        } = &self.kind
        else {
            return None;
        };
        Some(if request_target.starts_with('/') {
            format!("{scheme}://{authority}{request_target}")
        } else if request_target == "*" {
            format!("{scheme}://{authority}")
        } else {
            request_target.clone()
        })
    }

    /// The path and query part of the request-target, as received (`/p?q`; `*` gives `""`).
    fn path_and_query(&self) -> Option<&str> {
        let Kind::Request { request_target, .. } = &self.kind else {
            return None;
        };
        Some(if request_target.starts_with('/') {
            request_target
        } else if request_target == "*" {
            ""
        } else {
            // absolute-form: after `scheme://authority`.
            let rest = request_target.split_once("://").map_or("", |(_, r)| r);
            rest.find(['/', '?']).map_or("", |i| &rest[i..])
        })
    }

    /// The path as received (`@path`, RFC 9421 §2.2.6): no query, an empty path is `/`.
    pub fn path(&self) -> Option<&str> {
        let pq = self.path_and_query()?;
        let p = pq.split_once('?').map_or(pq, |(p, _)| p);
        Some(if p.is_empty() { "/" } else { p })
    }

    /// The query as received, without the `?` (`None` when the target has no `?`).
    pub fn query(&self) -> Option<&str> {
        self.path_and_query()?.split_once('?').map(|(_, q)| q)
    }

    /// Parses a raw HTTP/1.1 request or response (LF or CRLF line endings in the header
    /// section). The body is what the framing fields say (RFC 9112 §6): exactly
    /// `Content-Length` bytes, a decoded chunked body, nothing for a request without either
    /// (bytes after it are an error), the rest for a response. A request's target URI is
    /// `scheme`, the `Host` field and the request-target as received (or the absolute-form
    /// target). Obsolete line folding is replaced by one SP.
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
            if !is_http_version(a) || b.len() != 3 || !b.bytes().all(|d| d.is_ascii_digit()) {
                return Err(err(1, "expected 'HTTP/x.y NNN reason'"));
            }
            let status = b
                .parse::<u16>()
                .map_err(|_| err(1, "invalid status code"))?;
            Self::response(status)?
        } else {
            if !is_http_version(c) {
                return Err(err(1, "expected 'METHOD SP request-target SP HTTP/x.y'"));
            }
            check_target(b).map_err(|e| err(1, &e.to_string()))?;
            if a.is_empty() || !a.bytes().all(is_token_char) {
                return Err(err(1, &format!("invalid method '{a}'")));
            }
            Self {
                kind: Kind::Request {
                    method: a.to_owned(),
                    scheme: scheme.to_ascii_lowercase(),
                    authority: String::new(),
                    request_target: b.to_owned(),
                },
                fields: Vec::new(),
                body: Vec::new(),
            }
        };
        for (i, line) in rest.iter().enumerate() {
            let n = i + 2;
            if line.starts_with([' ', '\t']) {
                // obs-fold: continuation of the previous line, replaced by a single SP.
                let last = msg
                    .fields
                    .last_mut()
                    .ok_or_else(|| err(n, "continuation line before any field"))?;
                // Folded text gets the same CR/LF/control-character check as any field value
                // (fuzzing found NUL arriving this way).
                if !is_safe_value(line) {
                    return Err(err(n, "continuation line contains control characters"));
                }
                last.1 = format!(
                    "{} {}",
                    last.1.trim_end_matches([' ', '\t']),
                    trim_ows(line)
                );
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
        let content = &raw[body_start..];
        let is_request = matches!(msg.kind, Kind::Request { .. });
        msg.body = match framing::of_fields(&msg.fields)? {
            Framing::Length(n) if n != content.len() => {
                return Err(SigningError::Message(format!(
                    "Content-Length is {n} but {} bytes follow the header section",
                    content.len()
                )));
            }
            Framing::Chunked => framing::decode_chunked(content)?,
            Framing::Unframed if is_request && !content.is_empty() => {
                return Err(SigningError::Message(format!(
                    "{} bytes follow the header section of a request without Content-Length or \
                     Transfer-Encoding (its body is empty: RFC 9112 §6.3)",
                    content.len()
                )));
            }
            _ => content.to_vec(),
        };
        let hosts: Vec<String> = msg
            .field_values("host")
            .map(|h| trim_ows(h).to_owned())
            .collect();
        if let Kind::Request {
            request_target,
            authority,
            scheme: target_scheme,
            ..
        } = &mut msg.kind
        {
            if hosts.len() > 1 {
                return Err(err(1, "more than one Host field"));
            }
            let host = hosts
                .first()
                .map(String::as_str)
                .ok_or_else(|| err(1, "request has no Host field"))?;
            if request_target.starts_with('/') || request_target == "*" {
                check_authority(host).map_err(|e| err(1, &format!("Host: {e}")))?;
                *authority = host.to_owned();
            } else {
                let (s, a, _) = split_absolute(request_target).map_err(|e| {
                    err(
                        1,
                        &format!(
                            "request-target must be origin-form ('/…'), absolute-form or '*': {e}"
                        ),
                    )
                })?;
                if !a.eq_ignore_ascii_case(host) {
                    return Err(err(
                        1,
                        &format!(
                            "Host '{host}' differs from the absolute-form target's authority '{a}'"
                        ),
                    ));
                }
                *target_scheme = s;
                *authority = a;
            }
        }
        Ok(msg)
    }

    /// Serializes the message as HTTP/1.1 with the given line ending in the header section.
    /// A body is framed as the fields say: chunked (one chunk, CRLF inside the chunked body)
    /// when `Transfer-Encoding: chunked` is present, otherwise with a `Content-Length` field
    /// added when the message has a body and none; `Host` is added to a request without one.
    pub fn to_http1(&self, crlf: bool) -> Vec<u8> {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut out = match &self.kind {
            Kind::Request {
                method,
                request_target,
                authority,
                ..
            } => {
                let mut head = format!("{method} {request_target} HTTP/1.1{eol}");
                // HTTP/1.1 requires Host; derive it from the target URI when the model has none.
                if self.field_values("host").next().is_none() {
                    head.push_str(&format!("Host: {authority}{eol}"));
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
        let framing = framing::of_fields(&self.fields);
        if framing == Ok(Framing::Unframed) && !self.body.is_empty() {
            out.push_str(&format!("Content-Length: {}{eol}", self.body.len()));
        }
        out.push_str(eol);
        let mut bytes = out.into_bytes();
        if framing == Ok(Framing::Chunked) {
            bytes.extend_from_slice(&framing::encode_chunked(&self.body));
        } else {
            bytes.extend_from_slice(&self.body);
        }
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
