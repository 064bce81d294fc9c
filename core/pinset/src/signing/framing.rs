//! HTTP/1.1 message framing (RFC 9112 §6): which bytes are the body.
//!
//! One set of rules for every surface: the wire parser ([`super::HttpMessage::parse`]) uses it to
//! find and decode the body; a message whose body is given explicitly (the FFI records,
//! [`super::HttpMessage::with_body`]) is checked against its own framing fields with
//! [`super::HttpMessage::check_framing`] before it is signed or verified. A server that frames a
//! different body than the one a signature covers is a request-smuggling setup, so every
//! ambiguity is an error rather than a guess.

use super::SigningError;
use super::message::trim_ows;

/// How a message's header section says its body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Neither `Content-Length` nor `Transfer-Encoding`.
    Unframed,
    /// `Content-Length: n`.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

fn err(msg: impl Into<String>) -> SigningError {
    SigningError::Message(msg.into())
}

/// The framing the fields declare. Refuses several differing `Content-Length` values,
/// `Transfer-Encoding` together with `Content-Length`, and any transfer coding but a single
/// `chunked` (nothing else is decoded, so nothing else can be verified).
pub(crate) fn of_fields(fields: &[(String, String)]) -> Result<Framing, SigningError> {
    let mut length: Option<&str> = None;
    let mut any_length = false;
    for (_, v) in fields.iter().filter(|(n, _)| n == "content-length") {
        any_length = true;
        for element in v.split(',') {
            let element = trim_ows(element);
            if element.is_empty() || !element.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(format!(
                    "Content-Length '{}' is not a decimal length",
                    trim_ows(v)
                )));
            }
            match length {
                Some(l) if l != element => {
                    return Err(err(format!(
                        "differing Content-Length values '{l}' and '{element}' (RFC 9112 §6.3)"
                    )));
                }
                _ => length = Some(element),
            }
        }
    }
    let mut codings = Vec::new();
    let mut any_te = false;
    for (_, v) in fields.iter().filter(|(n, _)| n == "transfer-encoding") {
        any_te = true;
        codings.extend(
            v.split(',')
                .map(trim_ows)
                .filter(|c| !c.is_empty())
                .map(str::to_ascii_lowercase),
        );
    }
    if any_te {
        if any_length {
            return Err(err(
                "Transfer-Encoding together with Content-Length (RFC 9112 §6.1: a request-smuggling setup)",
            ));
        }
        return match codings.as_slice() {
            [c] if c == "chunked" => Ok(Framing::Chunked),
            [] => Err(err("Transfer-Encoding without a transfer coding")),
            _ => Err(err(format!(
                "unsupported transfer coding '{}' (only a single 'chunked' is decoded)",
                codings.join(", ")
            ))),
        };
    }
    match length {
        None if any_length => Err(err("empty Content-Length")),
        None => Ok(Framing::Unframed),
        Some(l) => l
            .parse::<usize>()
            .map(Framing::Length)
            .map_err(|_| err(format!("Content-Length '{l}' is too large"))),
    }
}

/// One CRLF-terminated line of a chunked body starting at `pos`: (line, position after CRLF).
fn chunk_line(raw: &[u8], pos: usize) -> Result<(&[u8], usize), SigningError> {
    let rest = raw.get(pos..).unwrap_or_default();
    let nl = rest
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| err("chunked body ends before its last chunk"))?;
    if nl == 0 || rest[nl - 1] != b'\r' {
        return Err(err(
            "chunked body: a line ends with a bare LF (CRLF required)",
        ));
    }
    let line = &rest[..nl - 1];
    if line
        .iter()
        .any(|&b| b == b'\r' || (b < 0x20 && b != b'\t') || b == 0x7f)
    {
        return Err(err("chunked body: control character in a chunk line"));
    }
    Ok((line, pos + nl + 1))
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )` (RFC 9112 §7.1.1).
fn check_chunk_ext(mut ext: &[u8]) -> Result<(), SigningError> {
    let bad = || err("chunked body: malformed chunk extension");
    let ws = |s: &[u8]| -> usize { s.iter().take_while(|&&b| b == b' ' || b == b'\t').count() };
    loop {
        ext = &ext[ws(ext)..];
        if ext.is_empty() {
            return Ok(());
        }
        if ext[0] != b';' {
            return Err(bad());
        }
        ext = &ext[1..];
        ext = &ext[ws(ext)..];
        let name = ext.iter().take_while(|&&b| is_tchar(b)).count();
        if name == 0 {
            return Err(bad());
        }
        ext = &ext[name..];
        let after = ws(ext);
        if ext.get(after) == Some(&b'=') {
            ext = &ext[after + 1..];
            ext = &ext[ws(ext)..];
            if ext.first() == Some(&b'"') {
                let mut i = 1;
                loop {
                    match ext.get(i) {
                        None => return Err(bad()),
                        Some(b'"') => break,
                        Some(b'\\') => i += 2,
                        Some(_) => i += 1,
                    }
                }
                ext = &ext[i + 1..];
            } else {
                let v = ext.iter().take_while(|&&b| is_tchar(b)).count();
                if v == 0 {
                    return Err(bad());
                }
                ext = &ext[v..];
            }
        }
    }
}

/// Decodes a chunked body (RFC 9112 §7.1) that must end exactly at the end of `raw`: bytes after
/// the last chunk's terminating CRLF are an error (a second, smuggled message), and so is a
/// trailer field (trailers are not covered by a signature here, so they are not accepted).
pub(crate) fn decode_chunked(raw: &[u8]) -> Result<Vec<u8>, SigningError> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let (line, next) = chunk_line(raw, pos)?;
        let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if digits == 0 {
            return Err(err(
                "chunked body: a chunk does not start with its hexadecimal size",
            ));
        }
        check_chunk_ext(&line[digits..])?;
        let size = line[..digits].iter().try_fold(0usize, |acc, &b| {
            let d = usize::from(char::from(b).to_digit(16).unwrap_or(0) as u8);
            acc.checked_mul(16).and_then(|a| a.checked_add(d))
        });
        let size = size.ok_or_else(|| err("chunked body: chunk size overflows"))?;
        pos = next;
        if size == 0 {
            break;
        }
        let end = pos
            .checked_add(size)
            .filter(|&e| e <= raw.len())
            .ok_or_else(|| err("chunked body: a chunk is longer than the bytes that follow"))?;
        body.extend_from_slice(&raw[pos..end]);
        if raw.get(end..end + 2) != Some(b"\r\n") {
            return Err(err("chunked body: chunk data is not followed by CRLF"));
        }
        pos = end + 2;
    }
    let (line, next) = chunk_line(raw, pos)?;
    if !line.is_empty() {
        return Err(err(
            "chunked body: trailer fields are not supported (a signature would not cover them)",
        ));
    }
    if next != raw.len() {
        return Err(err(format!(
            "{} bytes after the end of the chunked body",
            raw.len() - next
        )));
    }
    Ok(body)
}

/// Encodes a body as one chunk plus the last chunk (the inverse of [`decode_chunked`]).
pub(crate) fn encode_chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 16);
    if !body.is_empty() {
        out.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
