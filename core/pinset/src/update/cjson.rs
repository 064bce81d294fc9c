//! Strict JSON reading and OLPC canonical JSON writing, for TUF signatures.
//!
//! TUF signs the canonical form of `signed`, so the bytes a signature covers are recomputed
//! from the parsed tree. A parser that disagreed with the signer about the tree would let a
//! forged document pass, so this one is strict where JSON is loose: duplicate object keys,
//! floats, exponents, `-0`, integers outside `i64`, lone surrogates and nesting deeper than
//! [`MAX_DEPTH`] are errors, each with its byte offset.

use super::map::SortedMap;
use std::fmt;

/// Deepest nesting of arrays and objects accepted (TUF metadata nests five levels).
pub const MAX_DEPTH: usize = 32;

/// A JSON value as canonical JSON can express it: integers only, keys unique and sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer in `i64` range.
    Int(i64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object; keys are unique, ordered by code point (the canonical order).
    Obj(SortedMap<String, Json>),
}

/// Why a document is not strict JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JSON at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for JsonError {}

/// Parses one strict JSON document (surrounding whitespace allowed, nothing else after it).
pub fn parse(bytes: &[u8]) -> Result<Json, JsonError> {
    let mut p = Parser { b: bytes, i: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err("trailing data after the JSON document"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, m: impl Into<String>) -> JsonError {
        JsonError {
            offset: self.i,
            message: m.into(),
        }
    }
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn lit(&mut self, word: &str, v: Json) -> Result<Json, JsonError> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("invalid literal"))
        }
    }
    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') => self.lit("true", Json::Bool(true)),
            Some(b'f') => self.lit("false", Json::Bool(false)),
            Some(b'n') => self.lit("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("unexpected character")),
        }
    }
    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.i += 1;
        let mut map = SortedMap::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Json::Obj(map));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            let at = self.i;
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':'"));
            }
            self.i += 1;
            self.ws();
            let v = self.value(depth)?;
            if map.contains_key(&key) {
                return Err(JsonError {
                    offset: at,
                    message: format!("duplicate key {key:?}"),
                });
            }
            map.insert(key, v);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Json::Obj(map));
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }
    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.i += 1;
        let mut out = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Json::Arr(out));
        }
        loop {
            self.ws();
            out.push(self.value(depth)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Json::Arr(out));
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }
    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        let n = self.i - digits;
        if n == 0 {
            return Err(self.err("expected a digit"));
        }
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            return Err(JsonError {
                offset: start,
                message: "floats and exponents are not canonical JSON".into(),
            });
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("");
        if n > 1 && self.b[digits] == b'0' {
            return Err(JsonError {
                offset: start,
                message: "leading zero in a number".into(),
            });
        }
        if text == "-0" {
            return Err(JsonError {
                offset: start,
                message: "-0 is not canonical JSON".into(),
            });
        }
        text.parse::<i64>().map(Json::Int).map_err(|_| JsonError {
            offset: start,
            message: "integer outside the 64-bit range".into(),
        })
    }
    fn hex4(&mut self) -> Result<u32, JsonError> {
        let s = self
            .b
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
            .ok_or_else(|| self.err("bad \\u escape"))?;
        let v = u32::from_str_radix(s, 16).map_err(|_| self.err("bad \\u escape"))?;
        self.i += 4;
        Ok(v)
    }
    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            match c {
                b'"' => {
                    self.i += 1;
                    break;
                }
                b'\\' => {
                    self.i += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.b[self.i..].starts_with(b"\\u") {
                                    return Err(self.err("lone surrogate in \\u escape"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("lone surrogate in \\u escape"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code)
                                .ok_or_else(|| self.err("lone surrogate in \\u escape"))?
                        }
                        _ => return Err(self.err("unknown escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(self.err("control character in a string")),
                _ => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        String::from_utf8(out).map_err(|_| self.err("string is not valid UTF-8"))
    }
}

impl Json {
    /// The OLPC canonical form (as `securesystemslib.formats.encode_canonical` writes it):
    /// no whitespace, keys sorted, only `"` and `\` escaped in strings, integers in decimal.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_canonical(&mut out);
        out
    }

    fn write_canonical(&self, out: &mut Vec<u8>) {
        match self {
            Self::Null => out.extend_from_slice(b"null"),
            Self::Bool(true) => out.extend_from_slice(b"true"),
            Self::Bool(false) => out.extend_from_slice(b"false"),
            Self::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Self::Str(s) => canonical_str(s, out),
            Self::Arr(items) => {
                out.push(b'[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    v.write_canonical(out);
                }
                out.push(b']');
            }
            Self::Obj(map) => {
                out.push(b'{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    canonical_str(k, out);
                    out.push(b':');
                    v.write_canonical(out);
                }
                out.push(b'}');
            }
        }
    }

    /// Ordinary JSON text (valid JSON, every control character escaped), indented by one
    /// space per level like python-tuf's files. Used to write metadata files.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out.push('\n');
        out
    }

    fn write_pretty(&self, out: &mut String, level: usize) {
        let pad = |out: &mut String, l: usize| {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', l));
        };
        match self {
            Self::Arr(items) if !items.is_empty() => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, level + 1);
                    v.write_pretty(out, level + 1);
                }
                pad(out, level);
                out.push(']');
            }
            Self::Obj(map) if !map.is_empty() => {
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, level + 1);
                    write_str(k, out);
                    out.push_str(": ");
                    v.write_pretty(out, level + 1);
                }
                pad(out, level);
                out.push('}');
            }
            Self::Arr(_) => out.push_str("[]"),
            Self::Obj(_) => out.push_str("{}"),
            Self::Str(s) => write_str(s, out),
            other => out.push_str(&String::from_utf8_lossy(&other.canonical())),
        }
    }

    /// The object's members, if this is an object.
    pub fn as_obj(&self) -> Option<&SortedMap<String, Json>> {
        match self {
            Self::Obj(m) => Some(m),
            _ => None,
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an integer.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Self::Int(n) => Some(*n),
            _ => None,
        }
    }
}

fn canonical_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Appends `s` as a JSON string literal (quotes, backslashes and every control character
/// escaped), the form [`Json::pretty`] writes.
pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn canon(s: &str) -> String {
        String::from_utf8(parse(s.as_bytes()).unwrap().canonical()).unwrap()
    }

    #[test]
    fn canonical_sorts_keys_strips_whitespace_escapes_only_quote_and_backslash() {
        assert_eq!(
            canon("{ \"b\" : [1, -2, true, null], \"a\": \"x\\\"y\\\\z\\n\\u00e9\" }"),
            "{\"a\":\"x\\\"y\\\\z\n\u{e9}\",\"b\":[1,-2,true,null]}"
        );
        // Code-point order, as Python sorts str keys.
        assert_eq!(
            canon("{\"é\":1,\"z\":2,\"A\":3}"),
            "{\"A\":3,\"z\":2,\"é\":1}"
        );
        assert_eq!(canon("\"\\ud83d\\ude00\""), "\"\u{1F600}\"");
    }

    #[test]
    fn rejects_what_canonical_json_cannot_express() {
        for (doc, what) in [
            ("{\"a\":1,\"a\":2}", "duplicate key"),
            ("{\"a\":{\"b\":1,\"b\":1}}", "duplicate key"),
            ("1.0", "floats"),
            ("1e3", "floats"),
            ("-0", "-0"),
            ("01", "leading zero"),
            ("9223372036854775808", "64-bit"),
            ("\"\\ud800\"", "surrogate"),
            ("\"a\u{1}\"", "control"),
            ("{} x", "trailing"),
            ("[1,]", "unexpected"),
            ("{\"a\" 1}", "':'"),
        ] {
            let e = parse(doc.as_bytes()).unwrap_err();
            assert!(e.message.contains(what), "{doc}: {e}");
        }
        assert_eq!(parse(b"-9223372036854775808").unwrap(), Json::Int(i64::MIN));
    }

    #[test]
    fn depth_is_bounded() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(
            parse(deep.as_bytes())
                .unwrap_err()
                .message
                .contains("nested")
        );
        // A hostile depth is an error, not a stack overflow.
        let hostile = "[".repeat(1_000_000);
        assert!(parse(hostile.as_bytes()).is_err());
    }

    #[test]
    fn pretty_round_trips_to_the_same_tree() {
        let doc = "{\"a\":[1,{\"c\":\"\\u0001\\n\\\"\"}],\"b\":{},\"d\":[]}";
        let v = parse(doc.as_bytes()).unwrap();
        assert_eq!(parse(v.pretty().as_bytes()).unwrap(), v);
    }
}
