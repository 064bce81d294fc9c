//! Which reports are due: the one reporting policy of every surface.

use std::collections::HashMap;
use std::sync::Mutex;

use rustls_pki_types::CertificateDer;

use super::{PinReporter, Report};
use crate::pin::Pin;
use crate::policy::{Decision, Policy, Verdict};

/// How long a report suppresses identical ones (24 h, as TrustKit's rate limiter).
pub const REPORT_INTERVAL_SECS: i64 = 24 * 3600;

/// Distinct keys a [`Throttle`] remembers by default. When full, the keys older than the interval
/// are dropped; if none is, the memory is cleared: at worst a duplicate report, never unbounded
/// growth.
pub const MAX_REPORT_KEYS: usize = 1024;

/// What makes two reports the same: host, port, rule, outcome and the pins of the path (the rule
/// fixes the known pins and the noted host name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportKey {
    /// The canonical host (as given when it cannot be canonicalised).
    pub host: String,
    /// The port, when the reporting surface knows it.
    pub port: Option<u16>,
    /// The rule that decided.
    pub rule: Option<usize>,
    /// [`Decision::kind`]: `violation`, `report-only`, `expired`.
    pub outcome: &'static str,
    /// The pins of the path the decision was taken on, leaf first (a certificate whose SPKI
    /// cannot be read counts as the all-zero pin, as in [`Policy::explain`]).
    pub path: Vec<Pin>,
}

impl ReportKey {
    /// The key of `decision` for `host` on `path` (DER, leaf first).
    pub fn new<C: AsRef<[u8]>>(
        host: &str,
        port: Option<u16>,
        decision: Decision,
        path: &[C],
    ) -> Self {
        Self {
            host: crate::host::canonical_host(host)
                .map_or_else(|_| host.to_owned(), std::borrow::Cow::into_owned),
            port,
            rule: decision.rule(),
            outcome: decision.kind(),
            path: path
                .iter()
                .map(|c| Pin::of_certificate(c.as_ref()).unwrap_or(Pin::from_digest([0; 32])))
                .collect(),
        }
    }
}

/// Rate-limits reports: one per [`ReportKey`] per interval, in bounded memory. One throttle
/// belongs to one verifier or one FFI `Pinset`; it is cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Throttle {
    interval: i64,
    capacity: usize,
    sent: Mutex<HashMap<ReportKey, i64>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(REPORT_INTERVAL_SECS, MAX_REPORT_KEYS)
    }
}

impl Throttle {
    /// A throttle suppressing identical reports for `interval_secs`, remembering at most
    /// `capacity` keys (at least one).
    pub fn new(interval_secs: i64, capacity: usize) -> Self {
        Self {
            interval: interval_secs,
            capacity: capacity.max(1),
            sent: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a report with `key` is due at `now` (Unix seconds), recording it if so.
    pub fn due(&self, key: ReportKey, now: i64) -> bool {
        let Ok(mut sent) = self.sent.lock() else {
            return false;
        };
        let fresh = |t: i64| now.saturating_sub(t) < self.interval;
        if sent.get(&key).is_some_and(|&t| fresh(t)) {
            return false;
        }
        if sent.len() >= self.capacity && !sent.contains_key(&key) {
            sent.retain(|_, t| fresh(*t));
            if sent.len() >= self.capacity {
                sent.clear();
            }
        }
        sent.insert(key, now);
        true
    }

    /// How many keys are remembered now.
    pub fn len(&self) -> usize {
        self.sent.lock().map_or(0, |s| s.len())
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reports a reportable `decision` (violation, report-only, expired) to `reporter` when due;
    /// returns whether it was handed over. `served` is what the server sent, `validated` the path
    /// the decision was taken on (the key's pins). The verdict (`built`, or one explained here)
    /// and the report's PEM are built only when a report is due, so a repeated outcome costs
    /// hashing the path, not building a report.
    #[allow(clippy::too_many_arguments)]
    pub fn report<S: AsRef<[u8]>, V: AsRef<[u8]>>(
        &self,
        reporter: &dyn PinReporter,
        policy: &Policy,
        host: &str,
        port: Option<u16>,
        decision: Decision,
        served: &[S],
        validated: &[V],
        now: i64,
        built: Option<&Verdict>,
    ) -> bool {
        if !decision.is_reportable() {
            return false;
        }
        let key = match built {
            // The same pins `Policy::explain` lists.
            Some(v) => ReportKey {
                path: v.chain.iter().map(|e| e.pin).collect(),
                ..ReportKey::new::<&[u8]>(host, port, decision, &[])
            },
            None => ReportKey::new(host, port, decision, validated),
        };
        if !self.due(key, now) {
            return false;
        }
        let owned;
        let verdict = match built {
            Some(v) => v,
            None => {
                owned = policy.explain(host, decision, validated);
                &owned
            }
        };
        let der = |c: &[u8]| CertificateDer::from(c.to_vec());
        let served: Vec<_> = served.iter().map(|c| der(c.as_ref())).collect();
        let validated: Vec<_> = validated.iter().map(|c| der(c.as_ref())).collect();
        reporter.report(&Report::new(verdict, port, &served, &validated, now));
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(host: &str, outcome: &'static str, pin: u8) -> ReportKey {
        ReportKey {
            host: host.into(),
            port: Some(443),
            rule: Some(0),
            outcome,
            path: vec![Pin::from_digest([pin; 32])],
        }
    }

    #[test]
    fn identical_reports_are_due_once_per_interval() {
        let t = Throttle::new(100, 8);
        assert!(t.due(key("a.example", "violation", 1), 1_000));
        assert!(!t.due(key("a.example", "violation", 1), 1_000));
        assert!(!t.due(key("a.example", "violation", 1), 1_099));
        assert!(t.due(key("a.example", "violation", 1), 1_100));
        assert!(!t.due(key("a.example", "violation", 1), 1_150));
    }

    #[test]
    fn every_part_of_the_key_distinguishes() {
        let t = Throttle::new(100, 64);
        let base = key("a.example", "violation", 1);
        assert!(t.due(base.clone(), 0));
        assert!(t.due(key("b.example", "violation", 1), 0), "host");
        assert!(t.due(key("a.example", "expired", 1), 0), "outcome");
        assert!(t.due(key("a.example", "violation", 2), 0), "path pins");
        assert!(
            t.due(
                ReportKey {
                    port: Some(8443),
                    ..base.clone()
                },
                0
            ),
            "port"
        );
        assert!(
            t.due(
                ReportKey {
                    port: None,
                    ..base.clone()
                },
                0
            ),
            "unknown port"
        );
        assert!(
            t.due(
                ReportKey {
                    rule: Some(1),
                    ..base.clone()
                },
                0
            ),
            "rule"
        );
        assert!(!t.due(base, 0));
    }

    #[test]
    fn memory_is_bounded_and_stale_keys_go_first() {
        let t = Throttle::new(100, 4);
        for i in 0..4u8 {
            assert!(t.due(key("a.example", "violation", i), 0));
        }
        assert_eq!(t.len(), 4);
        // Full, nothing stale: cleared, never grows past the capacity.
        assert!(t.due(key("a.example", "violation", 9), 10));
        assert_eq!(t.len(), 1);
        for i in 0..3u8 {
            assert!(t.due(key("b.example", "violation", i), 200));
        }
        assert_eq!(t.len(), 4);
        // Full again: the one stale key (from t=10) is dropped, the fresh ones stay suppressed.
        assert!(t.due(key("c.example", "violation", 0), 250));
        assert_eq!(t.len(), 4);
        assert!(!t.due(key("b.example", "violation", 0), 250));
        for i in 0..10_000u32 {
            let mut k = key("d.example", "violation", 0);
            k.port = Some((i % 65_535) as u16);
            t.due(k, 300);
            assert!(t.len() <= 4);
        }
    }
}
