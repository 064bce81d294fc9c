//! # pinset
//!
//! Trust exactly the servers you mean to: one pin manifest, evaluated on the **validated**
//! certificate path only, plus RFC 9421 HTTP Message Signatures for requests.
//!
//! This crate is the pure Rust core: no FFI types. The UniFFI adapter (`pinset-ffi`: type and
//! error conversion, the foreign `PinReporter`, the updater's foreign transport and store, the
//! JVM fast path) and the `pinset` CLI (`pinset-cli`:
//! arguments, files, output) are built on it; the decisions they expose are made here.
//!
//! Features: `tls` (the rustls verifier and webpki path validation), `spiffe`, `attest`,
//! `public-suffix` and `generate` (NSC / OkHttp / ATS generation and import, for the CLI) are
//! on by default. The mobile library builds it with none of them.
//!
//! | module | what it does |
//! |---|---|
//! | [`pin`] | `sha256/…` SPKI pins and the pin cache |
//! | [`host`] | canonical host names (case, trailing dot, IDNA, IP literals) |
//! | [`manifest`] | the strict TOML pin manifest with `file:line:col` diagnostics |
//! | [`policy`] | most-specific-wins rule lookup and the pin decision |
//! | `attest` | offline Sigstore bundle verification: transparency log, certificate, identity (feature `attest`) |
//! | [`certificate`] | the one home of certificate bytes: DER reader (TLV) and the SEQUENCE header, SPKI location, X.509 structure check, RFC 4514 names, PEM files and encoding, the SPKI / PKCS#8 / SEC1 key containers (key PEM files are read by `signing`, `update` and `attest`) |
//! | [`trust`] | the trust-anchor model: each rule's own anchors, files read bounded |
//! | `chain` | path validation with webpki against the host's rule's roots, pins on the verified path (feature `tls` or `spiffe`) |
//! | `generate` | Android NSC, OkHttp `CertificatePinner`, iOS ATS from one manifest, with weaknesses stated (feature `generate`) |
//! | `import` | NSC XML (validated with Android's rules) and OkHttp pin lists into a manifest (feature `generate`) |
//! | [`report`] | RFC 7469-style violation and expiry reports, the one reporting throttle, the upload to `report_uris` (feature `tls`) |
//! | `roots` | trusted roots as webpki trust anchors, for `chain` and SPIFFE bundles (feature `tls` or `spiffe`) |
//! | [`signing`] | RFC 9421 HTTP Message Signatures, RFC 9530 Content-Digest, foreign signers |
//! | [`spiffe`] | SPIFFE IDs and matchers; bundles and X.509-SVID verification (feature `spiffe`) |
//! | [`update`] | signed pin-set updates: a TUF 1.0 client (and repository signer) for the manifest |
//! | `verifier` | rustls `ServerCertVerifier` + pinned `ClientConfig` builder, mTLS (feature `tls`) |

#[cfg(feature = "attest")]
pub mod attest;
pub mod certificate;
#[cfg(any(feature = "tls", feature = "spiffe"))]
pub mod chain;
mod file;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "generate")]
pub mod generate;
pub mod host;
#[cfg(feature = "generate")]
pub mod import;
pub mod manifest;
pub mod pin;
pub mod policy;
pub mod report;
#[cfg(any(feature = "tls", feature = "spiffe"))]
pub mod roots;
pub mod signing;
pub mod spiffe;
pub mod trust;
pub mod update;
#[cfg(feature = "tls")]
pub mod verifier;

pub use manifest::{Date, DomainRule, Manifest, ManifestError, TrustAnchor};
pub use pin::Pin;
pub use policy::{Decision, Policy, Verdict};
