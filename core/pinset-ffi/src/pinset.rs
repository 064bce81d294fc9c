//! The `Pinset` object: a loaded manifest, its pin checks and its reporter.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pinset::pin::PinCache;
use pinset::report::Throttle;
use pinset::trust::ManifestAnchors;
use pinset::{Decision, Manifest, Pin, Policy};

use crate::PinsetError;

/// The pin decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DecisionKind {
    /// A certificate of the validated chain matched a pin.
    Trusted,
    /// No rule covers the host.
    NotPinned,
    /// The host is exempted from a parent rule.
    Exempt,
    /// The rule's pin-set has expired: not enforced.
    Expired,
    /// No pin matched and the rule is enforced: refuse the connection.
    Violation,
    /// No pin matched; the rule is report-only: report, allow.
    ReportOnly,
}

/// The outcome of [`Pinset::evaluate`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PinVerdict {
    /// The decision.
    pub kind: DecisionKind,
    /// Whether the connection may proceed.
    pub allowed: bool,
    /// The canonical host.
    pub host: String,
    /// The manifest rule that applied.
    pub rule: Option<String>,
    /// The pin that matched.
    pub matched_pin: Option<String>,
    /// `sha256/…` of every certificate of the chain, leaf first.
    pub chain_pins: Vec<String>,
    /// OkHttp-style failure text for violations; a one-line summary otherwise.
    pub message: String,
}

/// The foreign side of the core's `report::PinReporter`: receives the violation and expiry
/// reports (RFC 7469-style JSON) that the core's `report::Throttle` found due, at most once per
/// 24 h per host, port, rule, outcome and path pins (the rustls verifier's policy too), and the
/// rejected-update reports of a `PinsetUpdater`. The Kotlin and Swift layers install their
/// `UriReporter` (POST to `report_uris`) unless the app replaces or removes it.
#[uniffi::export(foreign)]
pub trait PinReporter: Send + Sync {
    /// Deliver one report: `json` is the body, `report_uris` where the manifest says to send it
    /// (the rule's, else `[defaults]`'s; empty for a rejected update, which has no rule). Runs on
    /// the handshake thread: queue the upload, do not block.
    fn report(&self, json: String, report_uris: Vec<String>) -> Result<(), PinsetError>;
}

/// The app's reporter as the core's.
struct Foreign(Arc<dyn PinReporter>);

impl std::fmt::Debug for Foreign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Foreign")
    }
}

impl pinset::report::PinReporter for Foreign {
    fn report(&self, report: &pinset::report::Report) {
        // A failing reporter must not change the pin decision.
        let _ = self.0.report(report.to_json(), report.report_uris.clone());
    }
}

/// A loaded manifest.
#[derive(uniffi::Object)]
pub struct Pinset {
    pub(crate) policy: Policy,
    /// Certificate pins seen before (exact DER → pin), shared by every check on this object.
    pub(crate) pins: PinCache,
    /// Each rule's trust anchors, resolved from the bytes the app supplied.
    pub(crate) anchors: ManifestAnchors,
    reporter: Mutex<Option<Arc<dyn PinReporter>>>,
    /// Which reports are due: the core's one reporting policy.
    throttle: Throttle,
}

impl Pinset {
    /// Parses the manifest and resolves every rule's anchors from `anchors` (path → bytes).
    pub(crate) fn load(
        manifest: &str,
        anchors: HashMap<String, Vec<u8>>,
    ) -> Result<Arc<Self>, PinsetError> {
        let loaded = Manifest::parse(manifest, None).map_err(|e| PinsetError::Manifest {
            reason: e.to_string(),
        })?;
        // The mobile build of the core already refuses a spiffe rule at parse; this check holds
        // even when the core is built with `spiffe` (a workspace build unifies features): this
        // layer only applies pins to a chain the platform validated and cannot check an SVID.
        if let Some(rule) = loaded.manifest.domains.iter().find(|d| d.spiffe.is_some()) {
            return Err(PinsetError::Manifest {
                reason: format!(
                    "{}:{}: domain '{}' has a spiffe rule: this library cannot verify SPIFFE \
                     X.509-SVIDs (the platform validates the chain; only the Rust TLS path checks \
                     an SVID): a manifest with a spiffe rule is refused rather than enforced partly",
                    loaded.manifest.origin, rule.line, rule.name
                ),
            });
        }
        let anchors = crate::anchors::resolve(&loaded.manifest, anchors)?;
        Ok(Arc::new(Self {
            policy: Policy::new(loaded.manifest),
            pins: PinCache::new(),
            anchors,
            reporter: Mutex::new(None),
            throttle: Throttle::default(),
        }))
    }
}

impl std::fmt::Debug for Pinset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pinset")
            .field("rules", &self.policy.manifest().domains.len())
            .finish()
    }
}

#[uniffi::export]
impl Pinset {
    /// Loads a manifest from its TOML text. A manifest whose rules name trust-anchor files needs
    /// their bytes: use [`Pinset::from_toml_with_anchors`]; here such a manifest is an error
    /// ([`PinsetError::Anchor`]), never loaded with the files silently ignored.
    #[uniffi::constructor]
    pub fn from_toml(manifest: String) -> Result<Arc<Self>, PinsetError> {
        Self::load(&manifest, HashMap::new())
    }

    /// Loads a manifest from UTF-8 bytes.
    #[uniffi::constructor]
    pub fn from_bytes(manifest: Vec<u8>) -> Result<Arc<Self>, PinsetError> {
        let text = String::from_utf8(manifest).map_err(|_| PinsetError::Manifest {
            reason: "manifest is not valid UTF-8".into(),
        })?;
        Self::from_toml(text)
    }

    /// A handle for the JVM fast path (`dev.pinset.FastPath`); it refers to this object
    /// without keeping it alive. Only the Kotlin layer needs it.
    pub fn fast_path_handle(self: Arc<Self>) -> u64 {
        crate::fast::register(&self)
    }

    /// Where reports go; `None`: nowhere (reports are then not even built).
    pub fn set_reporter(&self, reporter: Option<Arc<dyn PinReporter>>) {
        if let Ok(mut s) = self.reporter.lock() {
            *s = reporter;
        }
    }

    /// Whether a rule covers the host.
    pub fn is_pinned(&self, host: String) -> bool {
        pinset::host::canonical_host(&host)
            .ok()
            .and_then(|h| self.policy.rule_index_for(&h))
            .is_some()
    }

    /// Applies the pins to a **validated** chain (DER, leaf first, trust anchor last) as the
    /// platform's trust manager returned it. `now_unix` is seconds since the epoch. Always returns
    /// the full verdict (every certificate's pin); violations, report-only and expired pin-sets
    /// are reported to the reporter.
    pub fn evaluate(
        &self,
        host: String,
        validated_chain: Vec<Vec<u8>>,
        now_unix: i64,
        port: Option<u16>,
    ) -> Result<PinVerdict, PinsetError> {
        let decision = self.decide(&host, now_unix, &validated_chain)?;
        if decision.is_reportable() {
            Ok(self.explain_and_report(&host, decision, &validated_chain, now_unix, port))
        } else {
            Ok(self.quiet_verdict(host, decision, &validated_chain))
        }
    }

    /// The trust-manager hot path: `None` when the connection may proceed with nothing to say
    /// (trusted, not pinned, exempt), without building a single string; otherwise the full
    /// verdict, already reported, whose `allowed` tells whether to proceed (report-only and
    /// expired pin-sets do; violations do not).
    pub fn enforce(
        &self,
        host: String,
        validated_chain: Vec<Vec<u8>>,
        now_unix: i64,
        port: Option<u16>,
    ) -> Result<Option<PinVerdict>, PinsetError> {
        let decision = self.decide(&host, now_unix, &validated_chain)?;
        Ok(decision
            .is_reportable()
            .then(|| self.explain_and_report(&host, decision, &validated_chain, now_unix, port)))
    }
}

fn decision_kind(decision: Decision) -> DecisionKind {
    match decision {
        Decision::Trusted { .. } => DecisionKind::Trusted,
        Decision::NotPinned => DecisionKind::NotPinned,
        Decision::Exempt { .. } => DecisionKind::Exempt,
        Decision::Expired { .. } => DecisionKind::Expired,
        Decision::Violation { enforced: true, .. } => DecisionKind::Violation,
        Decision::Violation {
            enforced: false, ..
        } => DecisionKind::ReportOnly,
    }
}

impl Pinset {
    fn decide(&self, host: &str, now: i64, chain: &[Vec<u8>]) -> Result<Decision, PinsetError> {
        self.policy
            .check_path_cached(host, now, chain, &self.pins)
            .map_err(|e| match e {
                pinset::policy::EvalError::Host(h) => PinsetError::Host {
                    reason: h.to_string(),
                },
                other => PinsetError::Certificate {
                    reason: other.to_string(),
                },
            })
    }

    /// Verdict for a decision that allows the connection and needs no report: pins only, no
    /// X.509 decoding for subjects.
    fn quiet_verdict(&self, host: String, decision: Decision, chain: &[Vec<u8>]) -> PinVerdict {
        let rule = decision.rule().and_then(|i| self.policy.rule(i));
        let chain_pins: Vec<String> = chain
            .iter()
            .map(|c| {
                Pin::of_certificate(c)
                    .map(|p| p.to_string())
                    .unwrap_or_default()
            })
            .collect();
        let matched_pin = match decision {
            Decision::Trusted { pin_index, .. } => rule
                .and_then(|r| r.pins.get(pin_index))
                .map(ToString::to_string),
            _ => None,
        };
        let canonical = pinset::host::canonical_host(&host)
            .map(|h| h.into_owned())
            .unwrap_or(host);
        PinVerdict {
            kind: decision_kind(decision),
            allowed: true,
            message: format!("{}: {canonical}", decision.kind()),
            host: canonical,
            rule: rule.map(|r| r.name.clone()),
            matched_pin,
            chain_pins,
        }
    }

    /// Full verdict for a reportable decision (violation, report-only, expired), reported.
    pub(crate) fn explain_and_report<C: AsRef<[u8]>>(
        &self,
        host: &str,
        decision: Decision,
        chain: &[C],
        now: i64,
        port: Option<u16>,
    ) -> PinVerdict {
        let verdict = self.policy.explain(host, decision, chain);
        self.report_if_due(host, decision, chain, now, port, Some(&verdict));
        let message = if matches!(decision, Decision::Violation { .. }) {
            verdict.failure_message()
        } else {
            verdict
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        PinVerdict {
            kind: decision_kind(decision),
            allowed: decision.allows_connection(),
            host: verdict.host.clone(),
            rule: verdict.rule.as_ref().map(|r| r.name.clone()),
            matched_pin: None,
            chain_pins: verdict.chain.iter().map(|c| c.pin.to_string()).collect(),
            message,
        }
    }

    /// Reports a reportable decision to the reporter when the core's throttle finds it due. The
    /// verdict (subjects) and the report (PEM chain) are built only when one is due, so a
    /// repeated report-only or expired outcome costs hashing the path, not building a report.
    pub(crate) fn report_if_due<C: AsRef<[u8]>>(
        &self,
        host: &str,
        decision: Decision,
        chain: &[C],
        now: i64,
        port: Option<u16>,
        built: Option<&pinset::Verdict>,
    ) {
        let Some(reporter) = self.reporter.lock().ok().and_then(|s| s.clone()) else {
            return;
        };
        self.throttle.report(
            &Foreign(reporter),
            &self.policy,
            host,
            port,
            decision,
            chain,
            chain,
            now,
            built,
        );
    }

    /// The reporter of `previous` carries over to this object (an updater's new pins).
    pub(crate) fn inherit_reporter(&self, previous: &Self) {
        let reporter = previous.reporter.lock().ok().and_then(|s| s.clone());
        if let Ok(mut s) = self.reporter.lock() {
            *s = reporter;
        }
    }

    /// Reports a rejected update cycle to the reporter, at most once per 24 h per repository and
    /// rejection kind (the same core throttle as pin failures). It has no rule, hence no
    /// `report_uris`: a `UriReporter` does not upload it, an app's reporter receives it.
    pub(crate) fn report_update_rejection(
        &self,
        repository: &str,
        rejection: &pinset::update::Rejection,
        active_serial: u64,
        now: i64,
    ) {
        let Some(reporter) = self.reporter.lock().ok().and_then(|s| s.clone()) else {
            return;
        };
        let key = pinset::report::ReportKey {
            host: repository.to_owned(),
            port: None,
            rule: None,
            outcome: rejection.kind.name(),
            path: Vec::new(),
        };
        if self.throttle.due(key, now) {
            // A failing reporter changes nothing.
            let _ = reporter.report(
                rejection.report_json(repository, active_serial, now),
                Vec::new(),
            );
        }
    }
}

/// The `sha256/…` SPKI pin of a DER certificate.
#[uniffi::export]
pub fn pin_of_certificate(der: Vec<u8>) -> Result<String, PinsetError> {
    Pin::of_certificate(&der)
        .map(|p| p.to_string())
        .map_err(|e| PinsetError::Certificate {
            reason: e.to_string(),
        })
}
