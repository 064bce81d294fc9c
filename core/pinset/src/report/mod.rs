//! Pin violation reports in the spirit of RFC 7469 section 3 and TrustKit's reports, and the one
//! reporting policy every surface applies.
//!
//! - [`Report`]: the JSON body (RFC 7469 field names) and the rule's `report_uris`.
//! - [`PinReporter`]: where reports go (the app's code, [`StderrReporter`], or the uploader that
//!   POSTs to the manifest's `report_uris`, `UriReporter`, feature `tls`).
//! - [`Throttle`]: which reports are due. A report is handed to the reporter at most once per
//!   [`REPORT_INTERVAL_SECS`] for the same [`ReportKey`] (host, port, rule, outcome, the pins of
//!   the path), remembering at most [`MAX_REPORT_KEYS`] keys. The rustls verifier
//!   (`verifier::PinningVerifier`) and the FFI (`pinset-ffi`, hence Kotlin and Swift) both report
//!   through [`Throttle::report`], so every surface reports the same things.

mod throttle;
#[cfg(feature = "tls")]
mod upload;

use std::fmt;

use rustls_pki_types::CertificateDer;
use serde::Serialize;

use crate::certificate::pem_encode;
use crate::policy::Verdict;

pub use throttle::{MAX_REPORT_KEYS, REPORT_INTERVAL_SECS, ReportKey, Throttle};
#[cfg(feature = "tls")]
pub use upload::{MAX_QUEUED_REPORTS, UploadError, UriReporter};

/// Receives pin violation and expiry reports that the [`Throttle`] found due. Implementations
/// must be cheap and non-blocking (queue the upload): they run inside the TLS handshake.
pub trait PinReporter: Send + Sync + fmt::Debug {
    /// Called for a violation (enforced or report-only) or an expired pin-set, at most once per
    /// [`REPORT_INTERVAL_SECS`] per [`ReportKey`].
    fn report(&self, report: &Report);
}

/// Writes reports as JSON to stderr (the CLI's reporter).
#[derive(Debug, Default, Clone, Copy)]
pub struct StderrReporter;

impl PinReporter for StderrReporter {
    fn report(&self, report: &Report) {
        eprintln!("pin report: {}", report.to_json());
    }
}

/// A violation (or expiry) report, serialised as JSON with RFC 7469 field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    /// When the check ran, RFC 3339 UTC.
    pub date_time: String,
    /// The host connected to.
    pub hostname: String,
    /// The port connected to, when the reporting layer knows it.
    pub port: Option<u16>,
    /// The manifest rule that applied.
    pub noted_hostname: String,
    /// Whether that rule includes subdomains.
    pub include_subdomains: bool,
    /// The pin-set expiry date (`YYYY-MM-DD`), if any.
    pub effective_expiration_date: Option<String>,
    /// The chain the server sent, PEM, leaf first.
    pub served_certificate_chain: Vec<String>,
    /// The verified path, PEM, leaf first, trust anchor last.
    pub validated_certificate_chain: Vec<String>,
    /// The rule's pins, as `pin-sha256="<base64>"`.
    pub known_pins: Vec<String>,
    /// `false` for report-only rules.
    pub enforce_pinning: bool,
    /// `violation`, `report-only` or `expired`.
    pub validation_result: String,
    /// Where the manifest says to send this report (the rule's, else the defaults'); not part of
    /// the JSON.
    #[serde(skip)]
    pub report_uris: Vec<String>,
}

impl Report {
    /// Builds a report for a verdict. `now` is Unix seconds.
    pub fn new(
        verdict: &Verdict,
        port: Option<u16>,
        served: &[CertificateDer<'_>],
        validated: &[CertificateDer<'_>],
        now: i64,
    ) -> Self {
        let rule = verdict.rule.as_ref();
        Self {
            date_time: rfc3339(now),
            hostname: verdict.host.clone(),
            port,
            noted_hostname: rule.map_or_else(|| verdict.host.clone(), |r| r.name.clone()),
            include_subdomains: rule.is_some_and(|r| r.include_subdomains),
            effective_expiration_date: rule.and_then(|r| r.expires).map(|d| d.to_string()),
            served_certificate_chain: served.iter().map(|c| pem_encode(c)).collect(),
            validated_certificate_chain: validated.iter().map(|c| pem_encode(c)).collect(),
            known_pins: rule.map_or_else(Vec::new, |r| {
                r.pins
                    .iter()
                    .map(|p| format!("pin-sha256=\"{}\"", p.to_base64()))
                    .collect()
            }),
            enforce_pinning: rule.is_some_and(|r| r.enforce),
            validation_result: verdict.decision.kind().to_owned(),
            report_uris: rule.map_or_else(Vec::new, |r| r.report_uris.clone()),
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds.
pub fn rfc3339(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => "invalid-time".to_owned(),
    }
}
