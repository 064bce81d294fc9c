//! UniFFI adapter over the `pinset` core for Kotlin and Swift. Pin decisions, verdicts, reports,
//! trust anchors, signing and updates are the core's; this crate converts their types to UniFFI
//! records (`pinset`, `anchors`, `signing`, `update`) and their errors to [`PinsetError`]
//! (`error`), and holds what exists only because of the foreign boundary:
//! - the verdict record: for an allowed outcome without a report it carries the path's pins
//!   only (no subjects decoded), for a reportable one the core's `Verdict` (`pinset`);
//! - the reporter (`PinReporter`), handed the reports the core's `report::Throttle` finds due (`pinset`);
//! - the updater's adapters: the app's transport and store behind the core's TUF client (`update`);
//! - the JVM fast path ([`fast`]): its handle table, its input format, and `fast/jni.rs`, the
//!   only file of the crate that allows `unsafe`.
//!
//! Every exported function returns a `Result`; inputs are never trusted (hostile arguments are
//! tested to produce errors, not panics).

uniffi::setup_scaffolding!();

mod anchors;
mod error;
pub mod fast;
#[doc(hidden)]
pub mod fuzzing;
mod pinset;
mod signing;
mod update;

pub use self::anchors::{AnchorCertificate, RuleTrust};
pub use self::error::PinsetError;
pub use self::pinset::{DecisionKind, PinReporter, PinVerdict, Pinset, pin_of_certificate};
pub use self::signing::{
    HeaderField, HttpRequest, RequestSigner, SignOptions, sign_request_with_key,
    sign_request_with_signer, verify_request,
};
pub use self::update::{
    FetchResult, PinsetUpdater, UpdateFetcher, UpdateOutcome, UpdateOutcomeKind, UpdateStore,
};
