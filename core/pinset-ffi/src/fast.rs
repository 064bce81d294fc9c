//! The JVM fast path for the pin check: one JNI call (or, where JNI registration is not possible,
//! one JNA direct-mapped call) with primitive arrays.
//!
//! Why this exists beside UniFFI: on the JVM every UniFFI call goes through JNA `Structure`s
//! (a `RustCallStatus` per call, a `RustBuffer` per string or list), each backed by JNA `Memory`
//! that a cleaner thread frees later. Measured with JMH on this host (scripts/jvm-bench.sh), a
//! UniFFI call carrying only a host string costs ~30-40 µs under sustained load, ~100x OkHttp's
//! whole `CertificatePinner.check`; upstream measures ~3.5 µs for a bare call and is replacing
//! JNA with JNI for this reason (uniffi-rs #2911). The trust-manager check runs on every TLS
//! handshake, so it gets this entry point. A JNA direct-mapped call still measured ~200-300 ns,
//! most of OkHttp's whole check, hence the JNI symbol `Java_dev_pinset_FastPathJni_decide`, which
//! reads **one** `byte[]` in place (`GetPrimitiveArrayCritical`): each JNI array function is a
//! transition into the VM, and three arrays (host, certificates, lengths) measured ~90 ns against
//! ~47 ns for one. The Kotlin side reuses that array per thread.
//!
//! Contract: the Kotlin layer (`dev.pinset.Pinset.enforce`) passes `host length (u16,
//! big-endian) ‖ port (u16, big-endian; 0 = unknown) ‖ host (UTF-8) ‖ DER ‖ DER …`, the DER of each certificate of
//! the **validated** path (`X509Certificate.encoded`, cached by the platform; the JDK's
//! `publicKey.encoded` measured slower), leaf first. Each certificate is split off by its outer
//! DER header; the core then locates and hashes the SPKIs exactly as on the full path
//! (`Policy::check_path_cached`, with this object's pin cache: a certificate seen before, byte for
//! byte, costs a comparison instead of a SHA-256). The answer is "proceed" or "take the full
//! path". Report-only violations and expired pin-sets proceed here after the report is handed to
//! the sink (de-duplicated exactly as on the full path; the sink is called after the JVM array is
//! released). An enforced violation or any error goes through the UniFFI `enforce`, which decides
//! again from the full certificates, reports and builds the exception's verdict. So this function
//! proceeds only where the full path would allow the connection, with the same report.
//!
//! Handles are generation-tagged slots holding a `Weak<Pinset>`: a handle outliving its object is
//! refused, never dereferenced, and never resolves to a later object in the same slot. The only
//! `unsafe` is turning the caller's pointers into slices.
#![allow(unsafe_code)]

use std::sync::{Arc, RwLock, Weak};

use jni_sys::{JNI_ABORT, JNIEnv, jbyteArray, jint, jlong, jobject};

use pinset::Decision;
use pinset::pin::split_first_certificate;

use crate::{PinVerdict, Pinset};

/// The connection may proceed (trusted, not pinned, exempt; or report-only / expired pin-set,
/// already handed to the report sink).
pub const FAST_PROCEED: i32 = 0;
/// Take the full path: an enforced violation (the UniFFI `enforce` builds the exception's
/// verdict and reports it).
pub const FAST_FULL_PATH: i32 = 1;
/// Bad arguments, unknown handle, bad host or a panic: take the full path, which reports it.
pub const FAST_ERROR: i32 = -1;

/// Largest input accepted (host and path; real paths are well under 20 KiB).
const MAX_INPUT: usize = 1 << 20;
/// Longest path accepted (Android and webpki limit paths far below this).
const MAX_CERTS: usize = 16;

/// Registered objects: (generation, object). A handle is `generation << 32 | (index + 1)`, so a
/// handle whose object died and whose slot was reused for another manifest is refused rather than
/// resolved to the newcomer.
static SLOTS: RwLock<Vec<(u32, Weak<Pinset>)>> = RwLock::new(Vec::new());

pub(crate) fn register(pinset: &Arc<Pinset>) -> u64 {
    let Ok(mut slots) = SLOTS.write() else {
        return 0;
    };
    let weak = Arc::downgrade(pinset);
    // Reuse a dead slot (next generation) so loading many manifests stays bounded.
    let (index, generation) = match slots.iter().position(|(_, w)| w.strong_count() == 0) {
        Some(i) => {
            let generation = slots[i].0.wrapping_add(1);
            slots[i] = (generation, weak);
            (i, generation)
        }
        None => {
            slots.push((0, weak));
            (slots.len() - 1, 0)
        }
    };
    let Ok(index) = u32::try_from(index + 1) else {
        return 0;
    };
    // 0 is never a valid handle (index + 1 >= 1).
    (u64::from(generation) << 32) | u64::from(index)
}

fn lookup(handle: u64) -> Option<Arc<Pinset>> {
    let generation = u32::try_from(handle >> 32).ok()?;
    let index = usize::try_from((handle & 0xffff_ffff).checked_sub(1)?).ok()?;
    let slots = SLOTS.read().ok()?;
    let (slot_generation, weak) = slots.get(index)?;
    if *slot_generation != generation {
        return None;
    }
    weak.upgrade()
}

/// The caller's input length as `usize`, refused when negative or over [`MAX_INPUT`].
fn checked_length(len: i32) -> Option<usize> {
    usize::try_from(len).ok().filter(|&l| l <= MAX_INPUT)
}

/// Decides for the host and validated path in `input` (layout in the module docs).
///
/// # Safety
/// `input` must point to `len` readable bytes (the JVM's pinned copy of the array JNA passes).
/// A null pointer and negative or oversized lengths are refused.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pinset_fast_decide(
    handle: u64,
    input: *const u8,
    len: i32,
    now_unix: i64,
) -> i32 {
    let Some(len) = checked_length(len) else {
        return FAST_ERROR;
    };
    if input.is_null() {
        return FAST_ERROR;
    }
    // SAFETY: non-null, length bounded and as the caller promises (see `# Safety`).
    let input = unsafe { std::slice::from_raw_parts(input, len) };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decide(handle, input, now_unix)
    }))
    .unwrap_or(FAST_ERROR)
}

/// Reads the first `len` bytes of a Java `byte[]` inside one JNI critical region and decides on
/// them ([`decide_in_place`]; nothing in there calls back into the JVM); `None` for null
/// arguments or a `len` outside the array. The caller finishes the outcome after the release.
///
/// # Safety
/// `env` is the JVM's valid `JNIEnv` for the current thread (or null); `input` a local reference
/// to a `byte[]` (or null).
unsafe fn outcome_of_array(
    env: *mut JNIEnv,
    handle: jlong,
    input: jbyteArray,
    len: jint,
    now_unix: jlong,
) -> Option<Outcome> {
    if env.is_null() || input.is_null() {
        return None;
    }
    // SAFETY: the JVM passes a valid JNIEnv; the table is JNI >= 1.2 on every JVM and Android.
    let t = unsafe { &(**env).v1_2 };
    // SAFETY: non-null array reference from the caller.
    let array_len = unsafe { (t.GetArrayLength)(env, input) };
    let len = checked_length(len)
        .filter(|&l| i64::try_from(l).is_ok_and(|l| l <= i64::from(array_len)))?;
    // SAFETY: the pointer returned by GetPrimitiveArrayCritical is valid for the array's length
    // (at least `len`, checked above) until its Release; nothing between get and release calls
    // back into the JVM.
    unsafe {
        let p = (t.GetPrimitiveArrayCritical)(env, input, std::ptr::null_mut());
        if p.is_null() {
            return None;
        }
        let bytes = std::slice::from_raw_parts(p.cast::<u8>(), len);
        let handle = u64::from_ne_bytes(handle.to_ne_bytes());
        let outcome = std::panic::catch_unwind(|| decide_in_place(handle, bytes, now_unix))
            .unwrap_or(Outcome::Answer(FAST_ERROR));
        (t.ReleasePrimitiveArrayCritical)(env, input, p, JNI_ABORT);
        Some(outcome)
    }
}

/// JNI entry point of `dev.pinset.FastPathJni.decide(handle, input, len, nowUnix)`, the same
/// contract as [`pinset_fast_decide`] on the first `len` bytes of a Java `byte[]` (the Kotlin side
/// reuses one buffer per thread). The array is read in place inside one JNI critical region (no
/// JNI call and nothing blocking in between: the decision takes well under a microsecond) and
/// released without copy-back. A `len` beyond the array is refused.
///
/// # Safety
/// Called by the JVM with a valid `JNIEnv` for the current thread and a local reference (or null).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn Java_dev_pinset_FastPathJni_decide(
    env: *mut JNIEnv,
    _class: jobject,
    handle: jlong,
    input: jbyteArray,
    len: jint,
    now_unix: jlong,
) -> jint {
    // SAFETY: called by the JVM (see `# Safety`).
    let Some(outcome) = (unsafe { outcome_of_array(env, handle, input, len, now_unix) }) else {
        return FAST_ERROR;
    };
    // Out of the critical region: reporting may call the app's sink (a JVM upcall).
    // AssertUnwindSafe: after a panic the outcome is dropped, and the object's shared state sits
    // behind mutexes (poisoned, not half-updated).
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| outcome.finish(now_unix)))
        .unwrap_or(FAST_ERROR)
}

/// The safe part of [`pinset_fast_decide`] and of the JNI entry point: `input` is
/// `host length (u16, big-endian) ‖ port (u16, big-endian; 0 = unknown) ‖ host (UTF-8) ‖
/// certificate DER ‖ certificate DER …`.
pub fn decide(handle: u64, input: &[u8], now_unix: i64) -> i32 {
    decide_in_place(handle, input, now_unix).finish(now_unix)
}

/// What [`decide_in_place`] found. Reporting is a separate step because it may call back into
/// the app (the report sink), which must not happen while the JVM's array is held in a critical
/// region.
pub(crate) enum Outcome {
    /// The answer, nothing else to do.
    Answer(i32),
    /// A report-only violation or an expired pin-set: the connection proceeds once the report is
    /// handed to the sink (if an identical one was not sent within 24 h).
    ReportThenProceed(Reportable),
    /// An enforced violation: the connection must be refused.
    Refuse(Reportable),
}

/// A reportable decision with what reporting and explaining it needs (owned: the JVM array is
/// released before the report sink may be called).
pub(crate) struct Reportable {
    pinset: Arc<Pinset>,
    host: String,
    chain: Vec<Vec<u8>>,
    decision: Decision,
    port: Option<u16>,
}

impl Reportable {
    /// The full verdict, reported to the sink if due (same as the UniFFI `enforce`).
    fn explain_and_report(&self, now_unix: i64) -> PinVerdict {
        self.pinset
            .explain_and_report(&self.host, self.decision, &self.chain, now_unix, self.port)
    }
}

impl Outcome {
    pub(crate) fn finish(self, now_unix: i64) -> i32 {
        match self {
            Self::Answer(a) => a,
            Self::ReportThenProceed(r) => {
                r.pinset
                    .report_if_due(&r.host, r.decision, &r.chain, now_unix, r.port, None);
                FAST_PROCEED
            }
            // The caller asks for the verdict next ([`refusal`]) or takes the UniFFI path.
            Self::Refuse(_) => FAST_FULL_PATH,
        }
    }
}

/// Decides without calling anything outside this library; see [`decide`].
pub(crate) fn decide_in_place(handle: u64, input: &[u8], now_unix: i64) -> Outcome {
    use Outcome::Answer;
    let Some(([h0, h1, p0, p1], rest)) = input.split_first_chunk::<4>().map(|(h, r)| (*h, r))
    else {
        return Answer(FAST_ERROR);
    };
    let port = std::num::NonZeroU16::new(u16::from_be_bytes([p0, p1])).map(u16::from);
    let Some((host, mut certs)) = rest.split_at_checked(usize::from(u16::from_be_bytes([h0, h1])))
    else {
        return Answer(FAST_ERROR);
    };
    let Ok(host) = std::str::from_utf8(host) else {
        return Answer(FAST_ERROR);
    };
    // Each certificate is one DER SEQUENCE: its outer header gives its length.
    let mut parts: [&[u8]; MAX_CERTS] = [&[]; MAX_CERTS];
    let mut n = 0;
    while !certs.is_empty() {
        let (Some(slot), Ok((cert, tail))) = (parts.get_mut(n), split_first_certificate(certs))
        else {
            return Answer(FAST_ERROR);
        };
        *slot = cert;
        n += 1;
        certs = tail;
    }
    if n == 0 {
        return Answer(FAST_ERROR);
    }
    let Some(pinset) = lookup(handle) else {
        return Answer(FAST_ERROR);
    };
    let path = &parts[..n];
    match pinset
        .policy
        .check_path_cached(host, now_unix, path, &pinset.pins)
    {
        Ok(Decision::Trusted { .. } | Decision::NotPinned | Decision::Exempt { .. }) => {
            Answer(FAST_PROCEED)
        }
        Ok(decision) => {
            let reportable = Reportable {
                pinset,
                host: host.to_owned(),
                chain: path.iter().map(|c| c.to_vec()).collect(),
                decision,
                port,
            };
            // Report-only and expired: reported here, without the UniFFI round trip (~70 µs on
            // the JVM), so a report-only rollout or an expired pin-set does not tax every
            // handshake. An enforced violation: refused.
            if decision.allows_connection() {
                Outcome::ReportThenProceed(reportable)
            } else {
                Outcome::Refuse(reportable)
            }
        }
        Err(_) => Answer(FAST_ERROR),
    }
}

/// For an input whose path the policy refuses (an enforced violation): the verdict, reported to
/// the sink if due, in UniFFI's serialized form of [`PinVerdict`] (what the generated Kotlin
/// `FfiConverterTypePinVerdict.read` decodes), so the refusal does not need a UniFFI call
/// (~30-70 µs on the JVM) to build the exception. `None` for anything else: the caller then takes
/// the UniFFI path, which decides again.
pub fn refusal(handle: u64, input: &[u8], now_unix: i64) -> Option<Vec<u8>> {
    refusal_of(decide_in_place(handle, input, now_unix), now_unix)
}

fn refusal_of(outcome: Outcome, now_unix: i64) -> Option<Vec<u8>> {
    let Outcome::Refuse(r) = outcome else {
        return None;
    };
    let mut buf = Vec::new();
    <PinVerdict as uniffi::Lower<crate::UniFfiTag>>::write(
        r.explain_and_report(now_unix),
        &mut buf,
    );
    Some(buf)
}

/// JNI entry point of `dev.pinset.FastPathJni.refusal(handle, input, len, nowUnix)`: [`refusal`]
/// on the first `len` bytes of a Java `byte[]`, returned as a new `byte[]`, or null.
///
/// # Safety
/// Called by the JVM with a valid `JNIEnv` for the current thread and a local reference (or null).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn Java_dev_pinset_FastPathJni_refusal(
    env: *mut JNIEnv,
    _class: jobject,
    handle: jlong,
    input: jbyteArray,
    len: jint,
    now_unix: jlong,
) -> jbyteArray {
    let null = std::ptr::null_mut();
    // SAFETY: called by the JVM (see `# Safety`).
    let Some(outcome) = (unsafe { outcome_of_array(env, handle, input, len, now_unix) }) else {
        return null;
    };
    // Out of the critical region: reporting may call the app's sink (a JVM upcall).
    let Ok(Some(verdict)) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        refusal_of(outcome, now_unix)
    })) else {
        return null;
    };
    let Ok(n) = jint::try_from(verdict.len()) else {
        return null;
    };
    // SAFETY: `env` is valid (`outcome_of_array` returned `Some`, so it is not null); a new array of `n` bytes, filled from
    // `verdict` (`n` bytes). On failure the JVM has an OutOfMemoryError pending; null is returned.
    unsafe {
        let t = &(**env).v1_2;
        let array = (t.NewByteArray)(env, n);
        if !array.is_null() {
            (t.SetByteArrayRegion)(env, array, 0, n, verdict.as_ptr().cast());
        }
        array
    }
}
