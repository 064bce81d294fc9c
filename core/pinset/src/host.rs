//! Host names: one canonical spelling for manifest names and connecting hosts alike.
//!
//! Canonical form: lowercase, IDNA A-labels (UTS #46 mapping, punycode), one trailing dot
//! stripped; IP literals in their standard textual form (IPv6 without brackets). Both sides of
//! every comparison go through [`canonical_host`], so `API.Example.COM.`, `api.example.com` and
//! the U-label spelling of an IDN all select the same rule.

use std::borrow::Cow;
use std::net::IpAddr;

/// Why a string is not acceptable as a host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// Empty input.
    #[error("host name is empty")]
    Empty,
    /// A URL was given where a bare host name is expected.
    #[error("'{0}' looks like a URL; write the bare host name (e.g. api.example.com)")]
    Url(String),
    /// A `host:port` was given; pins apply to every port of a host.
    #[error("'{0}' contains a port; pins apply to the host on every port, remove ':PORT'")]
    Port(String),
    /// A `*` label: subdomains are expressed with `include_subdomains = true`.
    #[error("'{0}' contains a wildcard; use the parent name with include_subdomains = true")]
    Wildcard(String),
    /// `a..b`, a leading dot, or more than one trailing dot.
    #[error("'{0}' has an empty label")]
    EmptyLabel(String),
    /// A label longer than 63 bytes or a name longer than 253 bytes (after IDNA).
    #[error("'{0}' is too long (labels at most 63 bytes, names at most 253)")]
    TooLong(String),
    /// Whitespace, control characters, or characters IDNA rejects.
    #[error("'{0}' is not a valid host name (IDNA: characters not allowed in a domain name)")]
    Invalid(String),
    /// An ASCII character other than letters, digits, `-`, `_` and `.` (after IDNA mapping).
    #[error(
        "'{0}' contains '{1}': host names take letters, digits, '-', '_' and '.' only          (OkHttp's CertificatePinner throws on ' #%/:?@[\\]', and URL parsers split names at several of them)"
    )]
    Character(String, char),
    /// The last label is a number (`127.1`, `0x7f.0.0.1`, `010.0.0.1`): URL parsers read such a
    /// name as an IPv4 address in a short, hex or octal spelling.
    #[error(
        "'{0}' ends in a number: URL parsers read it as an IPv4 address (short, hex or octal form);          write the dotted-quad address (e.g. 127.0.0.1) or a name"
    )]
    NumericName(String),
    /// An IDNA deviation character (`ß`, `ς`, ZWJ, ZWNJ).
    #[error(
        "'{0}' contains the IDNA deviation character {1:?}: OkHttp 4 (java.net.IDN, IDNA 2003) maps it          differently from IDNA 2008 (faß.example becomes fass.example there, xn--fa-hia.example here), so a pin          would apply to a different name on each platform; write the A-label (xn--…) or the mapped name you mean"
    )]
    Deviation(String, char),
}

/// Returns the canonical spelling of a host name or IP literal.
///
/// Borrows when the input is already canonical (the common case at connection time), so the
/// evaluation hot path does not allocate.
pub fn canonical_host(input: &str) -> Result<Cow<'_, str>, HostError> {
    if input.is_empty() {
        return Err(HostError::Empty);
    }
    if is_canonical_ascii(input) {
        return Ok(Cow::Borrowed(input));
    }
    slow_canonical(input).map(Cow::Owned)
}

/// True when `host` (already canonical) is an IP literal.
pub fn is_ip_literal(host: &str) -> bool {
    // Cheap pre-filter: IP literals use only hex digits, dots and colons.
    host.bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
        && host.parse::<IpAddr>().is_ok()
}

/// Fast check: lowercase LDH labels (plus `_`), no empty label, no trailing dot, lengths in
/// bounds, at least one letter (an all-numeric dotted name may be an IPv4 spelling that needs
/// normalising), and no `xn--` label (punycode is re-validated by the IDNA path).
fn is_canonical_ascii(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() > 253 {
        return false;
    }
    let mut label_start = 0usize;
    let mut any_alpha = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'.' => {
                if i == label_start {
                    return false;
                }
                label_start = i + 1;
                continue;
            }
            b'a'..=b'z' | b'_' => any_alpha = true,
            b'0'..=b'9' => {}
            b'-' => {
                if i == label_start + 2 && b[label_start..].starts_with(b"xn--") {
                    return false;
                }
            }
            _ => return false,
        }
        if i - label_start >= 63 {
            return false;
        }
    }
    label_start < b.len() && any_alpha && !ends_in_number(s)
}

/// WHATWG URL's "ends in a number": the last label is all digits or `0x` + hex digits.
fn ends_in_number(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
        || last
            .strip_prefix("0x")
            .or_else(|| last.strip_prefix("0X"))
            .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// IDNA deviation characters: UTS #46 transitional processing (and IDNA 2003, `java.net.IDN`)
/// maps them away, IDNA 2008 keeps them. `ẞ` lowercases to `ß`.
const DEVIATIONS: [char; 5] = ['\u{df}', '\u{1e9e}', '\u{3c2}', '\u{200c}', '\u{200d}'];

fn slow_canonical(input: &str) -> Result<String, HostError> {
    let owned = || input.to_owned();
    if input.contains("://") || input.contains('/') || input.contains('?') || input.contains('#') {
        return Err(HostError::Url(owned()));
    }
    if input.contains('*') {
        return Err(HostError::Wildcard(owned()));
    }
    if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(HostError::Invalid(owned()));
    }
    // IP literals: bare IPv6, bracketed IPv6, IPv4 (strict dotted-quad only).
    let unbracketed = input
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(input);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    if input.starts_with('[') {
        return Err(if input.contains("]:") {
            HostError::Port(owned())
        } else {
            HostError::Invalid(owned())
        });
    }
    if input.contains(':') {
        return Err(HostError::Port(owned()));
    }
    let name = input.strip_suffix('.').unwrap_or(input);
    if name.is_empty() || name.split('.').any(str::is_empty) {
        return Err(HostError::EmptyLabel(owned()));
    }
    if let Some(c) = name.chars().find(|c| DEVIATIONS.contains(c)) {
        return Err(HostError::Deviation(owned(), c));
    }
    if let Some(c) = name
        .chars()
        .find(|&c| c.is_ascii() && !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(HostError::Character(owned(), c));
    }
    let ascii = idna::domain_to_ascii(name).map_err(|_| HostError::Invalid(owned()))?;
    if let Some(c) = ascii
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(HostError::Character(owned(), c));
    }
    if ascii.is_empty() || ascii.split('.').any(str::is_empty) {
        return Err(HostError::EmptyLabel(owned()));
    }
    if ascii.len() > 253 || ascii.split('.').any(|l| l.len() > 63) {
        return Err(HostError::TooLong(owned()));
    }
    // After mapping (e.g. full-width digits), the result may spell an IPv4 address.
    if let Ok(ip) = ascii.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    if ends_in_number(&ascii) {
        // `1.2.3`, `010.0.0.1`, `0x7f.0.0.1`: URL parsers read these as IPv4 in odd notations.
        return Err(HostError::NumericName(owned()));
    }
    Ok(ascii)
}

/// True when `host` equals `domain` or is a subdomain of it on a label boundary.
/// Both arguments must be canonical.
pub fn is_same_or_subdomain(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// True when the canonical name is itself a listed public suffix (`com`, `co.uk`,
/// `github.io`). Names under an unlisted TLD (`localhost`, `corp`) are not.
#[cfg(feature = "public-suffix")]
pub fn is_public_suffix(host: &str) -> bool {
    if is_ip_literal(host) {
        return false;
    }
    psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known() && s.as_bytes() == host.as_bytes())
}

/// Without the `public-suffix` feature no name is treated as a public suffix.
#[cfg(not(feature = "public-suffix"))]
pub fn is_public_suffix(_host: &str) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_spellings() {
        let ok = |i: &str, o: &str| assert_eq!(canonical_host(i).as_deref(), Ok(o), "{i}");
        ok("api.example.com", "api.example.com");
        ok("API.Example.COM.", "api.example.com");
        ok("bücher.example", "xn--bcher-kva.example");
        ok("BÜCHER.example.", "xn--bcher-kva.example");
        ok("xn--bcher-kva.example", "xn--bcher-kva.example");
        ok("localhost", "localhost");
        ok("127.0.0.1", "127.0.0.1");
        ok("[::1]", "::1");
        ok("2001:DB8::1", "2001:db8::1");
        ok("build_host.corp", "build_host.corp");
        ok("xn--fa-hia.example", "xn--fa-hia.example");
        ok("v1.api.example", "v1.api.example");
        ok("a.b0x.example", "a.b0x.example");
    }

    #[test]
    fn rejected_spellings() {
        let bad = |i: &str| assert!(canonical_host(i).is_err(), "{i} accepted");
        for i in [
            "",
            ".",
            "a..b",
            ".a.b",
            "a.b..",
            "*.example.com",
            "https://example.com",
            "example.com/x",
            "example.com:443",
            "[::1]:443",
            "exa mple.com",
            "1.2.3",
            "127.1",
            "0x7f.0.0.1",
            "0177.0.0.1",
            "a.0x7f",
            "example.123",
            "localhost:80@evil.example",
            "a@b.example",
            "a%2eb.example",
            "a[b].example",
            "a\\b.example",
            "fa\u{df}.example",
            "FA\u{1e9e}.example",
            "\u{3c2}.example",
            "a\u{200d}b.example",
            "a\u{200c}b.example",
            "xn--a.example",
            &"a".repeat(64),
            &format!("{}.com", "a.".repeat(130)),
        ] {
            bad(i);
        }
    }

    #[test]
    fn suffix_boundaries() {
        assert!(is_same_or_subdomain("example.com", "example.com"));
        assert!(is_same_or_subdomain("a.b.example.com", "example.com"));
        assert!(!is_same_or_subdomain("anotherexample.com", "example.com"));
        assert!(!is_same_or_subdomain("example.com", "a.example.com"));
    }

    #[cfg(feature = "public-suffix")]
    #[test]
    fn public_suffixes() {
        assert!(is_public_suffix("com"));
        assert!(is_public_suffix("co.uk"));
        assert!(!is_public_suffix("example.co.uk"));
        assert!(!is_public_suffix("localhost"));
        assert!(!is_public_suffix("corp"));
        assert!(!is_public_suffix("10.0.0.1"));
    }
}
