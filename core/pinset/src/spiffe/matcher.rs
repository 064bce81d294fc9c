//! Which SPIFFE IDs a rule authorizes: one exact ID, any ID of a trust domain, or every ID under
//! a path prefix (at a `/` boundary only).

use std::fmt;

use super::{SpiffeError, SpiffeId, TrustDomain};

/// An authorization rule for a presented SPIFFE ID. Every matcher names exactly one trust
/// domain, whose bundle validates the chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdMatcher {
    /// Exactly this ID (byte-for-byte; the path is case-sensitive).
    Id(SpiffeId),
    /// Any ID in this trust domain.
    MemberOf(TrustDomain),
    /// This ID or any ID below it: `spiffe://td/ns/prod` matches `…/ns/prod` and
    /// `…/ns/prod/sa/x`, never `…/ns/production`.
    Prefix(SpiffeId),
}

impl IdMatcher {
    /// `id = "spiffe://…"`: the exact ID, which must have a path (a workload, not a domain).
    pub fn id(id: &str) -> Result<Self, SpiffeError> {
        let id = SpiffeId::parse(id)?;
        if !id.has_path() {
            return Err(SpiffeError::MatcherWithoutPath { id: id.to_string() });
        }
        Ok(Self::Id(id))
    }

    /// `member_of = "<trust domain>"`.
    pub fn member_of(trust_domain: &str) -> Result<Self, SpiffeError> {
        TrustDomain::parse(trust_domain).map(Self::MemberOf)
    }

    /// `prefix = "spiffe://…"`. A prefix without a path means [`IdMatcher::MemberOf`].
    pub fn prefix(prefix: &str) -> Result<Self, SpiffeError> {
        let id = SpiffeId::parse(prefix)?;
        if id.has_path() {
            Ok(Self::Prefix(id))
        } else {
            TrustDomain::parse(id.trust_domain()).map(Self::MemberOf)
        }
    }

    /// The one trust domain whose IDs this matcher can accept.
    pub fn trust_domain(&self) -> &str {
        match self {
            Self::Id(id) | Self::Prefix(id) => id.trust_domain(),
            Self::MemberOf(td) => td.as_str(),
        }
    }

    /// True when `presented` is authorized.
    pub fn matches(&self, presented: &SpiffeId) -> bool {
        match self {
            Self::Id(id) => id == presented,
            Self::MemberOf(td) => presented.trust_domain() == td.as_str(),
            Self::Prefix(prefix) => {
                let p = presented.as_str();
                // Both are valid IDs, so the prefix has no trailing '/': it must end the
                // presented ID or be followed by '/' (a segment boundary).
                p.strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            }
        }
    }
}

impl fmt::Display for IdMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "id = \"{id}\""),
            Self::MemberOf(td) => write!(f, "member_of = \"{td}\""),
            Self::Prefix(id) => write!(f, "prefix = \"{id}\""),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn id(s: &str) -> SpiffeId {
        SpiffeId::parse(s).unwrap()
    }

    #[test]
    fn exact_id() {
        let m = IdMatcher::id("spiffe://td/ns/prod/sa/tools").unwrap();
        assert!(m.matches(&id("spiffe://td/ns/prod/sa/tools")));
        assert!(!m.matches(&id("spiffe://td/ns/prod/sa/tools/x")));
        assert!(!m.matches(&id("spiffe://td/ns/prod/sa/Tools")));
        assert!(!m.matches(&id("spiffe://other/ns/prod/sa/tools")));
        assert_eq!(m.trust_domain(), "td");
        assert!(matches!(
            IdMatcher::id("spiffe://td"),
            Err(SpiffeError::MatcherWithoutPath { .. })
        ));
    }

    #[test]
    fn member_of() {
        let m = IdMatcher::member_of("td").unwrap();
        assert!(m.matches(&id("spiffe://td/a")));
        assert!(!m.matches(&id("spiffe://td2/a")));
        assert!(!m.matches(&id("spiffe://x.td/a")));
    }

    #[test]
    fn prefix_matches_only_at_a_segment_boundary() {
        let m = IdMatcher::prefix("spiffe://td/spire/agent").unwrap();
        assert!(
            m.matches(&id("spiffe://td/spire/agent")),
            "equal to the whole ID"
        );
        assert!(m.matches(&id("spiffe://td/spire/agent/k8s/node1")));
        assert!(!m.matches(&id("spiffe://td/spire/agentish")));
        assert!(!m.matches(&id("spiffe://td/spire/agent-admin")));
        assert!(!m.matches(&id("spiffe://td/spire")));
        assert!(!m.matches(&id("spiffe://td2/spire/agent")));
        assert_eq!(m.trust_domain(), "td");
    }

    #[test]
    fn prefix_without_path_is_member_of() {
        let m = IdMatcher::prefix("spiffe://td").unwrap();
        assert_eq!(m, IdMatcher::MemberOf(TrustDomain::parse("td").unwrap()));
        assert!(m.matches(&id("spiffe://td/anything")));
        // Not a string prefix of another trust domain.
        assert!(!m.matches(&id("spiffe://td2/anything")));
    }
}
