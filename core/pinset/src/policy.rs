//! The pin decision: which rule applies to a host, and whether a validated path satisfies it.
//!
//! Most specific wins (as Android NSC and TrustKit): an exact rule for the host first, else the
//! longest `include_subdomains` parent. Pins never union across rules. The decision allocates
//! nothing in the common case (see [`Policy::check_path`] for exactly when it does); [`Verdict`]
//! adds the human-facing details (subjects, every certificate's pin) and is built only when
//! someone wants to read it.

use std::fmt;

use crate::certificate::{CertDerError, spki_of_certificate};
use crate::host::{self, HostError};
use crate::manifest::{DomainRule, Manifest};
use crate::pin::{Pin, PinCache};

/// The outcome of applying the policy to one host and validated path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No rule covers the host: normal validation alone decides.
    NotPinned,
    /// The covering rule is an exemption (`pins = []`) from a parent rule.
    Exempt {
        /// Index of the rule in [`Manifest::domains`].
        rule: usize,
    },
    /// The covering rule's pin-set has expired (00:00 UTC on its date): not enforced.
    Expired {
        /// Index of the rule.
        rule: usize,
    },
    /// A certificate of the validated path matched a pin.
    Trusted {
        /// Index of the rule.
        rule: usize,
        /// Position in the path (0 = leaf; the last is the trust anchor).
        cert_index: usize,
        /// Index of the matching pin in the rule's pins.
        pin_index: usize,
    },
    /// No certificate of the validated path matched.
    Violation {
        /// Index of the rule.
        rule: usize,
        /// `false` for report-only rules: report, but let the connection proceed.
        enforced: bool,
    },
}

impl Decision {
    /// Whether the connection may proceed.
    pub const fn allows_connection(&self) -> bool {
        !matches!(self, Self::Violation { enforced: true, .. })
    }

    /// Whether this outcome should be reported (violations, including report-only; expiry).
    pub const fn is_reportable(&self) -> bool {
        matches!(self, Self::Violation { .. } | Self::Expired { .. })
    }

    /// The rule that decided, if any.
    pub const fn rule(&self) -> Option<usize> {
        match *self {
            Self::NotPinned => None,
            Self::Exempt { rule }
            | Self::Expired { rule }
            | Self::Trusted { rule, .. }
            | Self::Violation { rule, .. } => Some(rule),
        }
    }

    /// A stable lowercase name: `trusted`, `not-pinned`, `exempt`, `expired`, `violation`, `report-only`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::NotPinned => "not-pinned",
            Self::Exempt { .. } => "exempt",
            Self::Expired { .. } => "expired",
            Self::Trusted { .. } => "trusted",
            Self::Violation { enforced: true, .. } => "violation",
            Self::Violation {
                enforced: false, ..
            } => "report-only",
        }
    }
}

/// Why a path could not be evaluated at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The connecting host name is not a valid host.
    #[error("invalid host: {0}")]
    Host(#[from] HostError),
    /// A certificate of the path is not valid DER.
    #[error("certificate {index} of the path: {source}")]
    Certificate {
        /// Position in the path.
        index: usize,
        /// The DER problem.
        source: CertDerError,
    },
    /// The path is empty.
    #[error("the validated path is empty")]
    EmptyPath,
}

/// A manifest compiled for fast lookups.
#[derive(Debug, Clone)]
pub struct Policy {
    manifest: Manifest,
    /// Rule index by canonical name. foldhash: keys come from the manifest, and lookups of
    /// attacker-chosen hosts cannot grow the table, so a fast non-keyed-strength hash is fine.
    by_name: foldhash::HashMap<String, usize>,
    /// Per rule: Unix seconds at which its pins stop being enforced.
    expires_at: Vec<Option<i64>>,
}

impl Policy {
    /// Compiles a validated manifest.
    pub fn new(manifest: Manifest) -> Self {
        let by_name = manifest
            .domains
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.clone(), i))
            .collect();
        let expires_at = manifest
            .domains
            .iter()
            .map(|d| d.expires.map(|e| e.midnight_utc()))
            .collect();
        Self {
            manifest,
            by_name,
            expires_at,
        }
    }

    /// The manifest this policy was built from.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The rule at `index`.
    pub fn rule(&self, index: usize) -> Option<&DomainRule> {
        self.manifest.domains.get(index)
    }

    /// Unix seconds at which `rule`'s pins stop being enforced (its `expires` date, 00:00 UTC):
    /// from then on its decision is [`Decision::Expired`]. `None` when the rule does not expire
    /// or does not exist.
    pub fn expires_at(&self, rule: usize) -> Option<i64> {
        self.expires_at.get(rule).copied().flatten()
    }

    /// The most specific rule covering a canonical host: exact name first, then the nearest
    /// parent with `include_subdomains`.
    pub fn rule_index_for(&self, canonical: &str) -> Option<usize> {
        if let Some(&i) = self.by_name.get(canonical) {
            return Some(i);
        }
        if host::is_ip_literal(canonical) {
            return None;
        }
        let mut rest = canonical;
        while let Some(dot) = rest.find('.') {
            rest = &rest[dot + 1..];
            if let Some(&i) = self.by_name.get(rest) {
                if self.manifest.domains[i].include_subdomains {
                    return Some(i);
                }
            }
        }
        None
    }

    /// Applies the policy to a host and the pins of its **validated** path (leaf first, trust
    /// anchor last). Pins are consumed lazily: hashing stops at the first match.
    pub fn decide<I>(&self, host: &str, now: i64, path_pins: I) -> Result<Decision, HostError>
    where
        I: IntoIterator<Item = Pin>,
    {
        let canonical = host::canonical_host(host)?;
        let Some(rule) = self.rule_index_for(&canonical) else {
            return Ok(Decision::NotPinned);
        };
        Ok(self.decide_rule(rule, now, path_pins))
    }

    fn decide_rule<I: IntoIterator<Item = Pin>>(
        &self,
        rule: usize,
        now: i64,
        path_pins: I,
    ) -> Decision {
        let r = &self.manifest.domains[rule];
        if r.pins.is_empty() {
            return Decision::Exempt { rule };
        }
        if self.expires_at[rule].is_some_and(|t| now >= t) {
            return Decision::Expired { rule };
        }
        for (cert_index, pin) in path_pins.into_iter().enumerate() {
            if let Some(pin_index) = r.pins.iter().position(|p| *p == pin) {
                return Decision::Trusted {
                    rule,
                    cert_index,
                    pin_index,
                };
            }
        }
        Decision::Violation {
            rule,
            enforced: r.enforce,
        }
    }

    /// Applies the policy to a validated path given as DER certificates (leaf first, trust
    /// anchor last).
    ///
    /// Allocates nothing when `host` is already in canonical form (lowercase ASCII labels, no
    /// trailing dot, no `xn--` label, not an IP literal; see [`host::canonical_host`]) and the
    /// path has at most 16 certificates, whatever the decision. Otherwise it allocates the
    /// canonical spelling of the host (every IP literal, upper case, a trailing dot, a U-label
    /// or punycode) and, for a longer path, a vector of its SPKIs. Errors allocate their message.
    pub fn check_path<C: AsRef<[u8]>>(
        &self,
        host: &str,
        now: i64,
        path: &[C],
    ) -> Result<Decision, EvalError> {
        self.check_path_with(host, now, path, None)
    }

    /// [`check_path`](Self::check_path) with certificate pins remembered in `cache` (exact DER
    /// bytes → pin; see [`PinCache`]): a repeat sighting of a certificate costs a byte comparison
    /// instead of an SPKI walk and a SHA-256. Same decision as `check_path` on every input.
    /// Allocates as `check_path` does, and in addition copies each newly remembered certificate
    /// into the cache (into an evicted entry's buffer once the cache is full, which grows only
    /// for a longer certificate).
    pub fn check_path_cached<C: AsRef<[u8]>>(
        &self,
        host: &str,
        now: i64,
        path: &[C],
        cache: &PinCache,
    ) -> Result<Decision, EvalError> {
        self.check_path_with(host, now, path, Some(cache))
    }

    fn check_path_with<C: AsRef<[u8]>>(
        &self,
        host: &str,
        now: i64,
        path: &[C],
        cache: Option<&PinCache>,
    ) -> Result<Decision, EvalError> {
        /// A certificate's pin, already known (cached) or still to hash from its SPKI.
        #[derive(Clone, Copy)]
        enum Pending<'a> {
            Known(Pin),
            Spki(&'a [u8]),
        }
        if path.is_empty() {
            return Err(EvalError::EmptyPath);
        }
        let canonical = host::canonical_host(host)?;
        let Some(rule) = self.rule_index_for(&canonical) else {
            return Ok(Decision::NotPinned);
        };
        let mut entries = cache.and_then(PinCache::try_entries);
        // Validate every certificate's DER before deciding, so a malformed path is an error
        // whatever position the match would have been at (a cached certificate was validated
        // when it was remembered: same bytes).
        let mut pending = [Pending::Spki(&[]); 16];
        if path.len() <= pending.len() {
            for (index, cert) in path.iter().enumerate() {
                let der = cert.as_ref();
                pending[index] = match entries.as_mut().and_then(|e| e.get(der)) {
                    Some(pin) => Pending::Known(pin),
                    None => Pending::Spki(
                        spki_of_certificate(der)
                            .map_err(|source| EvalError::Certificate { index, source })?,
                    ),
                };
            }
            // Hashing stays lazy: it stops at the first match.
            let pins = pending[..path.len()]
                .iter()
                .zip(path)
                .map(|(p, cert)| match *p {
                    Pending::Known(pin) => pin,
                    Pending::Spki(spki) => {
                        let pin = Pin::of_spki(spki);
                        if let Some(e) = entries.as_mut() {
                            e.insert(cert.as_ref(), pin);
                        }
                        pin
                    }
                });
            return Ok(self.decide_rule(rule, now, pins));
        }
        let spkis = path
            .iter()
            .enumerate()
            .map(|(index, c)| {
                spki_of_certificate(c.as_ref())
                    .map_err(|source| EvalError::Certificate { index, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.decide_rule(rule, now, spkis.iter().map(|s| Pin::of_spki(s))))
    }

    /// Evaluates and explains: the decision plus every certificate's pin and subject, the rule
    /// and its pins. For messages, reports and the CLI; not for the hot path.
    pub fn verdict<C: AsRef<[u8]>>(
        &self,
        host: &str,
        now: i64,
        path: &[C],
    ) -> Result<Verdict, EvalError> {
        let decision = self.check_path(host, now, path)?;
        Ok(self.explain(host, decision, path))
    }

    /// Builds the human-facing [`Verdict`] for a decision already taken on `path`.
    pub fn explain<C: AsRef<[u8]>>(&self, host: &str, decision: Decision, path: &[C]) -> Verdict {
        let chain = path
            .iter()
            .map(|c| {
                let der = c.as_ref();
                ChainEntry {
                    pin: Pin::of_certificate(der).unwrap_or(Pin::from_digest([0; 32])),
                    subject: crate::certificate::subject_of(der),
                }
            })
            .collect();
        Verdict {
            host: host::canonical_host(host).map_or_else(|_| host.to_owned(), |h| h.into_owned()),
            decision,
            rule: decision.rule().and_then(|i| self.rule(i)).cloned(),
            chain,
        }
    }
}

/// One certificate of the evaluated path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainEntry {
    /// Its SPKI pin.
    pub pin: Pin,
    /// Its subject, RFC 4514 style.
    pub subject: String,
}

/// A decision with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The canonical host evaluated.
    pub host: String,
    /// The decision.
    pub decision: Decision,
    /// The rule that applied, if any.
    pub rule: Option<DomainRule>,
    /// The validated path, leaf first, with each certificate's pin.
    pub chain: Vec<ChainEntry>,
}

impl Verdict {
    /// Whether the connection may proceed.
    pub fn allows_connection(&self) -> bool {
        self.decision.allows_connection()
    }

    /// The pin that matched, with the certificate it matched.
    pub fn matched(&self) -> Option<(&ChainEntry, Pin)> {
        match self.decision {
            Decision::Trusted {
                cert_index,
                pin_index,
                ..
            } => {
                let rule = self.rule.as_ref()?;
                Some((self.chain.get(cert_index)?, *rule.pins.get(pin_index)?))
            }
            _ => None,
        }
    }

    /// OkHttp-style failure text: the peer chain with `sha256/…: subject` lines and the pins
    /// configured for the host.
    pub fn failure_message(&self) -> String {
        let mut s = String::from("Certificate pinning failure!\n  Peer certificate chain:\n");
        for e in &self.chain {
            s.push_str(&format!("    {}: {}\n", e.pin, e.subject));
        }
        let name = self
            .rule
            .as_ref()
            .map_or(self.host.as_str(), |r| r.name.as_str());
        s.push_str(&format!(
            "  Pinned certificates for {} (rule '{name}'):\n",
            self.host
        ));
        for p in self.rule.iter().flat_map(|r| r.pins.iter()) {
            s.push_str(&format!("    {p}\n"));
        }
        s
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = self.rule.as_ref();
        let rule_desc = rule.map_or_else(String::new, |r| {
            format!(
                " (rule '{}'{})",
                r.name,
                if r.include_subdomains {
                    ", include_subdomains"
                } else {
                    ""
                }
            )
        });
        match self.decision {
            Decision::NotPinned => writeln!(
                f,
                "not pinned: no rule covers {}; normal validation alone applies",
                self.host
            )?,
            Decision::Exempt { .. } => writeln!(
                f,
                "exempt: {} is exempted from pinning{rule_desc}",
                self.host
            )?,
            Decision::Expired { .. } => {
                let date = rule
                    .and_then(|r| r.expires)
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                writeln!(
                    f,
                    "expired: pins for {} expired on {date} and are not enforced{rule_desc}",
                    self.host
                )?;
            }
            Decision::Trusted { .. } => {
                let (entry, pin) = self
                    .matched()
                    .map_or((String::new(), String::new()), |(e, p)| {
                        (e.subject.clone(), p.to_string())
                    });
                writeln!(
                    f,
                    "trusted: {} matched {pin} on {entry}{rule_desc}",
                    self.host
                )?;
            }
            Decision::Violation { enforced, .. } => {
                if enforced {
                    writeln!(
                        f,
                        "violation: no certificate of the validated path matches the pins{rule_desc}"
                    )?;
                } else {
                    writeln!(
                        f,
                        "report-only violation: no pin matched; connection allowed because enforce = false{rule_desc}"
                    )?;
                }
                return f.write_str(&self.failure_message());
            }
        }
        writeln!(f, "  Validated chain:")?;
        for e in &self.chain {
            writeln!(f, "    {}: {}", e.pin, e.subject)?;
        }
        Ok(())
    }
}
