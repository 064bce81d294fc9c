//! Where violation and expiry reports go during a handshake.

use std::fmt;

use crate::report::Report;

/// Receives pin violation and expiry reports. Implementations must be cheap and non-blocking
/// (queue the upload); they run inside the TLS handshake.
pub trait PinReporter: Send + Sync + fmt::Debug {
    /// Called for every violation (enforced or report-only) and once per expired rule.
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
