//! Pinned TLS for Rust clients: a rustls
//! [`ServerCertVerifier`](rustls::client::danger::ServerCertVerifier) and a
//! [`ClientConfig`](rustls::ClientConfig) builder.
//!
//! Normal validation always runs first, against the anchors of the host's rule ([`crate::trust`]:
//! a rule's private CA is a root for that rule's hosts only, never for other hosts); pins are
//! then matched **only** on certificates linked by signatures from the leaf to a trust anchor:
//!
//! - **webpki mode** ([`TrustMode::WebPkiSystem`], [`TrustMode::WebPkiExtraOnly`], and in every
//!   mode a rule whose `trust_anchors` do not include `system`): validation and pinning in one
//!   pass, through webpki's `verify_path` hook ([`crate::chain::verify_pinned`]) against the
//!   rule's roots. The path is validated once.
//! - **platform mode** ([`TrustMode::Platform`], for hosts whose rule trusts `system`):
//!   `rustls-platform-verifier` validates (the OS trust store plus the extra roots, plus the
//!   rule's own CAs for a rule listing `system` and files: a verifier per such rule; revocation
//!   where the OS does it). It does not return the path, so a CA pin counts only when webpki
//!   proves that the pinned certificate's key signs down to the leaf (that certificate used as
//!   the only trust anchor); a leaf pin is the leaf's own key. Candidates are the presented
//!   intermediates plus the roots this host's verifier trusts beyond the OS store (the extra
//!   roots and the rule's own CAs). A certificate the server merely appended is never linked, so
//!   it never satisfies a pin (OkHttp CVE-2016-2402).
//!
//! Crypto provider: **ring**, chosen explicitly: one provider for TLS, pins and all six RFC 9421
//! signing algorithms, cross-compiled for Android and iOS with clang alone (`scripts/cross-check.sh`).
//! Why ring and not aws-lc-rs: `docs/adr/0002-ring-the-one-provider.md`.
//!
//! Session resumption: rustls does not call `verify_server_cert` when it resumes a session
//! (TLS 1.3 PSK or TLS 1.2 ticket/ID): the server proves possession of the session secret
//! instead. By default ([`Resumption::FullHandshakeForPinned`]) the config's session store
//! never keeps sessions for hosts with an enforced pin rule, so every connection to them runs
//! the pin decision; other hosts resume normally. The store is private to the config, so a
//! session made by an unpinned config can never be resumed by a pinned one.

mod config;
mod session;
mod verify;

pub use config::{PinningConfig, Resumption, TrustMode, VerifierError};
pub use verify::{Outcome, PinViolation, PinningVerifier};
