//! The JVM fast path for the pin check: one JNI call (or, where JNI registration is not possible,
//! one JNA direct-mapped call) with one primitive array.
//!
//! Why this exists beside UniFFI: on the JVM every UniFFI call goes through JNA `Structure`s
//! (a `RustCallStatus` per call, a `RustBuffer` per string or list), each backed by JNA `Memory`
//! that a cleaner thread frees later; upstream is replacing JNA with JNI for this reason
//! (uniffi-rs #2911). The trust-manager check runs on every TLS handshake, so it gets this entry
//! point. A JNA direct-mapped call still costs a large share of OkHttp's whole check, hence the
//! JNI symbol `Java_dev_pinset_FastPathJni_decide`, which reads **one** `byte[]` in place
//! (`GetPrimitiveArrayCritical`): each JNI array function is a transition into the VM. The
//! Kotlin side reuses that array per thread. What each of these costs is measured in
//! `docs/performance.md`.
//!
//! Contract: the Kotlin layer (`dev.pinset.Pinset.enforce`) passes the input [`decode`] reads:
//! host, port and the DER of each certificate of the **validated** path
//! (`X509Certificate.encoded`, cached by the platform), leaf first. Each certificate is split off
//! by its outer DER header; the core then locates and hashes the SPKIs exactly as on the full
//! path (`Policy::check_path_cached`, with this object's pin cache: a certificate seen before,
//! byte for byte, costs a comparison instead of a SHA-256). The answer is "trusted" (a pin
//! matched; the one answer a caller may remember, for the rest of the UTC day), "proceed",
//! "refuse" or "error". Report-only violations and expired pin-sets proceed here after the report is handed
//! to the reporter (de-duplicated exactly as on the full path; the reporter is called after the JVM array
//! is released). For an enforced violation the Kotlin layer asks [`refusal`] (the JNI `refusal`
//! entry) for the verdict, which reports it and returns it serialized; on an error, or when that
//! returns nothing, it takes the UniFFI `enforce`, which decides again from the full
//! certificates. So this path proceeds only where the full path would allow the connection, with
//! the same report.
//!
//! Layout: [`decode`] reads the input, `handle` maps handles to objects, `outcome` decides and
//! finishes (reports) after the caller's bytes are released, and `jni` holds the native entry
//! points, the only `unsafe` code of the crate.

mod decode;
mod handle;
mod jni;
mod outcome;

pub use decode::{Input, MAX_CERTS, decode};
pub(crate) use handle::register;
pub use jni::pinset_fast_decide;

use outcome::{decide_in_place, refusal_of};

/// The connection may proceed (not pinned, exempt, trusted by a pin that expires before the next
/// 00:00 UTC; or report-only / expired pin-set, already handed to the reporter).
pub const FAST_PROCEED: i32 = 0;
/// The connection may proceed because a pin of the covering rule matched the path, nothing was
/// reported, and the same host and path get this answer at every `now_unix` of the same UTC day
/// (`now_unix.div_euclid(86_400)`; the rule's pins do not expire before its end). Only this
/// answer may be remembered by the caller (the Kotlin trust manager's verdict cache), and only
/// for that day.
pub const FAST_TRUSTED: i32 = 2;
/// An enforced violation: refuse (the caller gets the verdict from [`refusal`], or from the
/// UniFFI `enforce`).
pub const FAST_FULL_PATH: i32 = 1;
/// Bad arguments, unknown handle, bad host, or (in builds that unwind: tests, host tools) a
/// panic: take the full path, which reports it. The shipped mobile library aborts on a panic
/// (ADR 0008).
pub const FAST_ERROR: i32 = -1;

/// Largest input accepted (host and path): a bound against a hostile caller, far above a real
/// path of a few certificates.
const MAX_INPUT: usize = 1 << 20;

/// The caller's input length as `usize`, refused when negative or over [`MAX_INPUT`].
fn checked_length(len: i32) -> Option<usize> {
    usize::try_from(len).ok().filter(|&l| l <= MAX_INPUT)
}

/// The safe part of [`pinset_fast_decide`] and of the JNI entry point, on an input in the
/// [`decode`] format.
pub fn decide(handle: u64, input: &[u8], now_unix: i64) -> i32 {
    let Some(pinset) = handle::lookup(handle) else {
        return FAST_ERROR;
    };
    decide_in_place(pinset, input, now_unix).finish(now_unix)
}

/// For an input whose path the policy refuses (an enforced violation): the verdict, reported to
/// the reporter if due, in UniFFI's serialized form of [`PinVerdict`](crate::PinVerdict) (what the
/// generated Kotlin `FfiConverterTypePinVerdict.read` decodes), so the refusal does not need a
/// UniFFI call to build the exception. `None` for anything else: the caller then takes the UniFFI
/// path, which decides again.
pub fn refusal(handle: u64, input: &[u8], now_unix: i64) -> Option<Vec<u8>> {
    let pinset = handle::lookup(handle)?;
    refusal_of(decide_in_place(pinset, input, now_unix), now_unix)
}
