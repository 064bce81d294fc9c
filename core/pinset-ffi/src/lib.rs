//! UniFFI adapter over the `pinset` core for Kotlin and Swift. No logic of its own: it converts
//! types, rate-limits reports and maps errors. Every exported function returns a `Result`;
//! inputs are never trusted (hostile arguments are tested to produce errors, not panics).

uniffi::setup_scaffolding!();

mod anchors;
mod error;
pub mod fast;
mod pinset;
mod signing;

pub use self::anchors::{AnchorCertificate, RuleTrust};
pub use self::error::PinsetError;
pub use self::pinset::{DecisionKind, PinVerdict, Pinset, ReportSink, pin_of_certificate};
pub use self::signing::{
    HeaderField, HttpRequest, RequestSigner, SignOptions, sign_request_with_key,
    sign_request_with_signer, verify_request,
};
