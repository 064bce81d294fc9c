//! SPIFFE IDs and trust domain names (`SPIFFE-ID.md` §2), parsed the way go-spiffe's
//! `spiffeid.FromString` does: the exact lowercase `spiffe://` prefix, no case folding.

use std::fmt;

use super::{IdRule, SpiffeError};

/// The scheme and separator every SPIFFE ID starts with, exactly (lowercase).
pub const SCHEME_PREFIX: &str = "spiffe://";

/// Longest SPIFFE ID accepted, in bytes (`SPIFFE-ID.md` §2.3).
pub const MAX_ID_BYTES: usize = 2048;

/// Longest trust domain name accepted, in bytes (`SPIFFE-ID.md` §2.3, the URI host limit).
pub const MAX_TRUST_DOMAIN_BYTES: usize = 255;

/// A trust domain name: non-empty, at most 255 bytes of `[a-z0-9._-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrustDomain(String);

impl TrustDomain {
    /// Parses a bare trust domain name (`mcp.example.org`, not `spiffe://mcp.example.org`).
    pub fn parse(name: &str) -> Result<Self, SpiffeError> {
        let fail = |rule| SpiffeError::InvalidTrustDomain {
            name: shorten(name),
            rule,
        };
        if name.is_empty() {
            return Err(fail(IdRule::MissingTrustDomain));
        }
        if name.starts_with(SCHEME_PREFIX) || name.contains("://") {
            return Err(fail(IdRule::TrustDomainWithScheme));
        }
        if name.len() > MAX_TRUST_DOMAIN_BYTES {
            return Err(fail(IdRule::TrustDomainTooLong));
        }
        if let Some(rule) = name.bytes().find_map(trust_domain_char_rule) {
            return Err(fail(rule));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The trust domain's own ID, `spiffe://<name>` (no path).
    pub fn id_string(&self) -> String {
        format!("{SCHEME_PREFIX}{}", self.0)
    }
}

impl fmt::Display for TrustDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A syntactically valid SPIFFE ID: `spiffe://<trust domain>[/<segment>…]`.
///
/// The path may be empty here (the trust domain's own ID, used by `prefix` matchers); an
/// X.509-SVID leaf additionally needs a path, which [`super::leaf_spiffe_id`] checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpiffeId {
    id: String,
    path_start: usize,
}

impl SpiffeId {
    /// Parses an ID with every rule of `SPIFFE-ID.md` §2: the exact scheme `spiffe://` (an
    /// uppercase `SPIFFE://` is refused, as go-spiffe does); a trust domain of `[a-z0-9._-]`
    /// (so uppercase, `%`-encoding, a port and userinfo are refused); path segments of
    /// `[A-Za-z0-9._-]`, none empty, `.` or `..`; no trailing `/`; no query or fragment; at most
    /// 2048 bytes in all and 255 for the trust domain.
    pub fn parse(id: &str) -> Result<Self, SpiffeError> {
        let fail = |rule| SpiffeError::InvalidId {
            id: shorten(id),
            rule,
        };
        if id.is_empty() {
            return Err(fail(IdRule::Empty));
        }
        if id.len() > MAX_ID_BYTES {
            return Err(fail(IdRule::TooLong));
        }
        let Some(rest) = id.strip_prefix(SCHEME_PREFIX) else {
            return Err(fail(IdRule::Scheme));
        };
        let path_at = rest.find('/').unwrap_or(rest.len());
        let (td, path) = rest.split_at(path_at);
        if td.is_empty() {
            return Err(fail(IdRule::MissingTrustDomain));
        }
        if let Some(rule) = td.bytes().find_map(trust_domain_char_rule) {
            return Err(fail(rule));
        }
        if td.len() > MAX_TRUST_DOMAIN_BYTES {
            return Err(fail(IdRule::TrustDomainTooLong));
        }
        if !path.is_empty() {
            // `path` starts with '/': each segment follows a '/'.
            let segments: Vec<&str> = path[1..].split('/').collect();
            let last = segments.len() - 1;
            for (i, seg) in segments.iter().enumerate() {
                if let Some(rule) = seg.bytes().find_map(path_char_rule) {
                    return Err(fail(rule));
                }
                match *seg {
                    "" if i == last => return Err(fail(IdRule::TrailingSlash)),
                    "" => return Err(fail(IdRule::EmptySegment)),
                    "." | ".." => return Err(fail(IdRule::DotSegment)),
                    _ => {}
                }
            }
        }
        Ok(Self {
            id: id.to_owned(),
            path_start: SCHEME_PREFIX.len() + td.len(),
        })
    }

    /// The whole ID.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The trust domain name.
    pub fn trust_domain(&self) -> &str {
        &self.id[SCHEME_PREFIX.len()..self.path_start]
    }

    /// The path, `""` or starting with `/`.
    pub fn path(&self) -> &str {
        &self.id[self.path_start..]
    }

    /// True when the ID has a non-root path (what an X.509-SVID leaf needs).
    pub fn has_path(&self) -> bool {
        !self.path().is_empty()
    }
}

impl fmt::Display for SpiffeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// The rule a trust domain byte breaks, if any.
fn trust_domain_char_rule(b: u8) -> Option<IdRule> {
    match b {
        b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => None,
        b'A'..=b'Z' => Some(IdRule::TrustDomainUppercase),
        b'%' => Some(IdRule::PercentEncoding),
        b':' => Some(IdRule::Port),
        b'@' => Some(IdRule::Userinfo),
        b'?' => Some(IdRule::Query),
        b'#' => Some(IdRule::Fragment),
        _ => Some(IdRule::TrustDomainChar),
    }
}

/// The rule a path byte breaks, if any.
fn path_char_rule(b: u8) -> Option<IdRule> {
    match b {
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => None,
        b'%' => Some(IdRule::PercentEncoding),
        b'?' => Some(IdRule::Query),
        b'#' => Some(IdRule::Fragment),
        _ => Some(IdRule::PathChar),
    }
}

/// An input for an error message: at most 200 characters, control characters escaped.
pub(super) fn shorten(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(200)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if s.chars().count() > 200 {
        out.push('…');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn rule(id: &str) -> IdRule {
        match SpiffeId::parse(id) {
            Err(SpiffeError::InvalidId { rule, .. }) => rule,
            other => panic!("{id}: expected an InvalidId error, got {other:?}"),
        }
    }

    #[test]
    fn valid_ids_and_parts() {
        let id = SpiffeId::parse("spiffe://mcp.example.org/ns/prod/sa/tools").unwrap();
        assert_eq!(id.trust_domain(), "mcp.example.org");
        assert_eq!(id.path(), "/ns/prod/sa/tools");
        assert!(id.has_path());
        let root = SpiffeId::parse("spiffe://a-b_c.9").unwrap();
        assert_eq!(root.trust_domain(), "a-b_c.9");
        assert!(!root.has_path());
        // The path is case-sensitive and may hold uppercase, dots inside segments, '-' and '_'.
        assert!(SpiffeId::parse("spiffe://td/Ns/a.b/.x/x./-_").is_ok());
    }

    #[test]
    fn scheme_is_exactly_lowercase_spiffe() {
        assert_eq!(rule("SPIFFE://td/a"), IdRule::Scheme);
        assert_eq!(rule("Spiffe://td/a"), IdRule::Scheme);
        assert_eq!(rule("https://td/a"), IdRule::Scheme);
        assert_eq!(rule("spiffe:/td/a"), IdRule::Scheme);
        assert_eq!(rule("td/a"), IdRule::Scheme);
        assert_eq!(rule(""), IdRule::Empty);
    }

    #[test]
    fn trust_domain_rules() {
        assert_eq!(rule("spiffe:///a"), IdRule::MissingTrustDomain);
        assert_eq!(rule("spiffe://"), IdRule::MissingTrustDomain);
        assert_eq!(rule("spiffe://TD/a"), IdRule::TrustDomainUppercase);
        assert_eq!(rule("spiffe://t%64/a"), IdRule::PercentEncoding);
        assert_eq!(rule("spiffe://td:443/a"), IdRule::Port);
        assert_eq!(rule("spiffe://user@td/a"), IdRule::Userinfo);
        assert_eq!(rule("spiffe://t~d/a"), IdRule::TrustDomainChar);
        assert_eq!(rule("spiffe://t d/a"), IdRule::TrustDomainChar);
        assert_eq!(rule("spiffe://tdé/a"), IdRule::TrustDomainChar);
        assert_eq!(rule("spiffe://td?x"), IdRule::Query);
        assert_eq!(rule("spiffe://td#x"), IdRule::Fragment);
        let long_td = "a".repeat(MAX_TRUST_DOMAIN_BYTES + 1);
        assert_eq!(
            rule(&format!("spiffe://{long_td}/a")),
            IdRule::TrustDomainTooLong
        );
        assert!(SpiffeId::parse(&format!("spiffe://{}/a", &long_td[1..])).is_ok());
    }

    #[test]
    fn path_rules() {
        assert_eq!(rule("spiffe://td/"), IdRule::TrailingSlash);
        assert_eq!(rule("spiffe://td/a/"), IdRule::TrailingSlash);
        assert_eq!(rule("spiffe://td//a"), IdRule::EmptySegment);
        assert_eq!(rule("spiffe://td/a//b"), IdRule::EmptySegment);
        assert_eq!(rule("spiffe://td/."), IdRule::DotSegment);
        assert_eq!(rule("spiffe://td/a/../b"), IdRule::DotSegment);
        assert_eq!(rule("spiffe://td/a/.."), IdRule::DotSegment);
        assert_eq!(rule("spiffe://td/a%2Fb"), IdRule::PercentEncoding);
        assert_eq!(rule("spiffe://td/a?b=c"), IdRule::Query);
        assert_eq!(rule("spiffe://td/a#b"), IdRule::Fragment);
        assert_eq!(rule("spiffe://td/a b"), IdRule::PathChar);
        assert_eq!(rule("spiffe://td/a~b"), IdRule::PathChar);
        assert_eq!(rule("spiffe://td/a:b"), IdRule::PathChar);
        assert_eq!(rule("spiffe://td/é"), IdRule::PathChar);
    }

    #[test]
    fn length_limit_is_2048_bytes() {
        let prefix = "spiffe://td/";
        let ok = format!("{prefix}{}", "a".repeat(MAX_ID_BYTES - prefix.len()));
        assert_eq!(ok.len(), MAX_ID_BYTES);
        assert!(SpiffeId::parse(&ok).is_ok());
        assert_eq!(rule(&format!("{ok}a")), IdRule::TooLong);
    }

    #[test]
    fn bare_trust_domains() {
        assert_eq!(
            TrustDomain::parse("mcp.example.org").unwrap().id_string(),
            "spiffe://mcp.example.org"
        );
        for (bad, want) in [
            ("", IdRule::MissingTrustDomain),
            ("spiffe://td", IdRule::TrustDomainWithScheme),
            ("Td", IdRule::TrustDomainUppercase),
            ("td:1", IdRule::Port),
            ("td/x", IdRule::TrustDomainChar),
        ] {
            match TrustDomain::parse(bad) {
                Err(SpiffeError::InvalidTrustDomain { rule, .. }) => {
                    assert_eq!(rule, want, "{bad}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(matches!(
            TrustDomain::parse(&"a".repeat(256)),
            Err(SpiffeError::InvalidTrustDomain {
                rule: IdRule::TrustDomainTooLong,
                ..
            })
        ));
    }

    #[test]
    fn messages_are_bounded() {
        let huge = format!("SPIFFE://{}", "x".repeat(10_000));
        let msg = SpiffeError::InvalidId {
            id: shorten(&huge),
            rule: IdRule::Scheme,
        }
        .to_string();
        assert!(msg.len() < 600, "{}", msg.len());
        assert_eq!(shorten("a\nb"), "a\\nb");
    }
}
