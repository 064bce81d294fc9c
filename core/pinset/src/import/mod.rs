//! Import existing configurations into a manifest: Android Network Security Config XML (read
//! with Android's own `XmlConfigSource` rules and error texts) and OkHttp
//! `CertificatePinner.Builder().add(…)` lists in Kotlin or Java source (read with a tokeniser for
//! the language's string literals and comments, and OkHttp's pattern semantics).
//!
//! An import either yields a manifest that means what the platform enforced (every successful
//! import is re-validated as `pinset check` would), with notes where the manifest is stricter,
//! or refuses with the position of what it cannot express.

mod common;
mod nsc;
mod okhttp;

pub use common::{ImportError, Imported};
pub use nsc::{MAX_NSC_DEPTH, android_nsc};
pub use okhttp::{Language, okhttp, okhttp_source};
