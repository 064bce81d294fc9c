//! The JVM fast path for the pin check: one JNI call (or, where JNI registration is not possible,
//! one JNA direct-mapped call) with primitive arrays.
//!
//! Why this exists beside UniFFI: on the JVM every UniFFI call goes through JNA `Structure`s
//! (a `RustCallStatus` per call, a `RustBuffer` per string or list), each backed by JNA `Memory`
//! that a cleaner thread frees later. Measured with JMH on this host (scripts/jvm-bench.sh), a
//! UniFFI call carrying only a host string costs ~40 µs under sustained load, ~100x OkHttp's
//! whole `CertificatePinner.check`; upstream measures ~3.5 µs for a bare call and is replacing
//! JNA with JNI for this reason (uniffi-rs #2911). The trust-manager check runs on every TLS
//! handshake, so it gets this entry point: primitive arrays only, no allocation on either side.
//! A JNA direct-mapped call still measured ~290 ns, most of OkHttp's whole check, hence the JNI
//! symbol `Java_dev_pinset_FastPathJni_decide`, which reads the arrays in place
//! (`GetPrimitiveArrayCritical`).
//!
//! Contract: the Kotlin layer (`dev.pinset.Pinset.enforce`) passes the DER of each certificate
//! of the **validated** path (`X509Certificate.encoded`, cached by the platform; the JDK's
//! `publicKey.encoded` measured slower), concatenated, with their lengths; the core locates and
//! hashes the SPKIs exactly as on the full path (`Policy::check_path`). The answer is only
//! "proceed quietly" or "take the full path": anything to report or refuse goes through the UniFFI `enforce`, which recomputes the
//! decision from the full certificates and builds the verdict. So this function can make the
//! connection fail (fail closed) or proceed only where the full path would proceed quietly.
//!
//! Handles are generation-tagged slots holding a `Weak<Pinset>`: a handle outliving its object is
//! refused, never dereferenced, and never resolves to a later object in the same slot. The only
//! `unsafe` is turning the caller's pointers into slices.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::sync::{Arc, RwLock, Weak};

use jni_sys::{JNI_ABORT, JNIEnv, jbyteArray, jint, jintArray, jlong, jobject};

use pinset::Decision;

use crate::Pinset;

/// The connection may proceed and nothing needs reporting (trusted, not pinned, exempt).
pub const FAST_PROCEED: i32 = 0;
/// Take the full path (violation, report-only, expired pin-set).
pub const FAST_FULL_PATH: i32 = 1;
/// Bad arguments, unknown handle, bad host or a panic: take the full path, which reports it.
pub const FAST_ERROR: i32 = -1;

/// Largest input accepted (the path's certificates; real paths are well under 20 KiB).
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

/// The caller's lengths as `usize`, refused when negative, over [`MAX_INPUT`] or outside
/// 1..=[`MAX_CERTS`] certificates (shared by both entry points).
fn checked_lengths(host_len: i32, certs_len: i32, n: i32) -> Option<(usize, usize, usize)> {
    let host_len = usize::try_from(host_len).ok().filter(|&l| l <= MAX_INPUT)?;
    let certs_len = usize::try_from(certs_len)
        .ok()
        .filter(|&l| l <= MAX_INPUT)?;
    let n = usize::try_from(n)
        .ok()
        .filter(|&n| (1..=MAX_CERTS).contains(&n))?;
    Some((host_len, certs_len, n))
}

/// Decides for `host` given the DER certificates of the validated path, leaf first. See the module docs.
///
/// # Safety
/// `host` must point to `host_len` readable bytes, `certs` to `certs_len` bytes and `lens` to
/// `n` `i32`s (the JVM's pinned copies of the arrays JNA passes). Null pointers and negative or
/// oversized lengths are refused.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pinset_fast_decide(
    handle: u64,
    host: *const u8,
    host_len: i32,
    certs: *const u8,
    certs_len: i32,
    lens: *const i32,
    n: i32,
    now_unix: i64,
) -> i32 {
    let Some((host_len, certs_len, n)) = checked_lengths(host_len, certs_len, n) else {
        return FAST_ERROR;
    };
    if host.is_null() || certs.is_null() || lens.is_null() {
        return FAST_ERROR;
    }
    // SAFETY: non-null, lengths bounded and as the caller promises (see `# Safety`).
    let (host, certs, lens) = unsafe {
        (
            std::slice::from_raw_parts(host, host_len),
            std::slice::from_raw_parts(certs, certs_len),
            std::slice::from_raw_parts(lens, n),
        )
    };
    std::panic::catch_unwind(|| decide(handle, host, certs, lens, now_unix)).unwrap_or(FAST_ERROR)
}

/// JNI entry point of `dev.pinset.FastPathJni.decide(handle, host, certs, lens, nowUnix)`, the
/// same contract as [`pinset_fast_decide`] with Java arrays: `host` UTF-8 bytes, `certs` the
/// concatenated certificates, `lens` their lengths. The arrays are read in place inside JNI critical
/// regions (no JNI call and nothing blocking in between: the decision is a few hundred ns) and
/// released without copy-back.
///
/// # Safety
/// Called by the JVM with a valid `JNIEnv` for the current thread and local references (or null).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn Java_dev_pinset_FastPathJni_decide(
    env: *mut JNIEnv,
    _class: jobject,
    handle: jlong,
    host: jbyteArray,
    certs: jbyteArray,
    lens: jintArray,
    now_unix: jlong,
) -> jint {
    if env.is_null() || host.is_null() || certs.is_null() || lens.is_null() {
        return FAST_ERROR;
    }
    // SAFETY: the JVM passes a valid JNIEnv; the table is JNI >= 1.2 on every JVM and Android.
    let t = unsafe { &(**env).v1_2 };
    // SAFETY: non-null array references from the caller.
    let (host_len, certs_len, n) = unsafe {
        (
            (t.GetArrayLength)(env, host),
            (t.GetArrayLength)(env, certs),
            (t.GetArrayLength)(env, lens),
        )
    };
    let Some((host_len, certs_len, n)) = checked_lengths(host_len, certs_len, n) else {
        return FAST_ERROR;
    };
    let null = std::ptr::null_mut();
    // SAFETY: each pointer returned by GetPrimitiveArrayCritical is valid for the array's length
    // until its Release; nothing between get and release calls back into the JVM.
    unsafe {
        let hp = (t.GetPrimitiveArrayCritical)(env, host, null);
        let sp = (t.GetPrimitiveArrayCritical)(env, certs, null);
        let lp = (t.GetPrimitiveArrayCritical)(env, lens, null);
        let result = if hp.is_null() || sp.is_null() || lp.is_null() {
            FAST_ERROR
        } else {
            let host = std::slice::from_raw_parts(hp.cast::<u8>(), host_len);
            let certs = std::slice::from_raw_parts(sp.cast::<u8>(), certs_len);
            let lens = std::slice::from_raw_parts(lp.cast::<i32>(), n);
            let handle = u64::from_ne_bytes(handle.to_ne_bytes());
            std::panic::catch_unwind(|| decide(handle, host, certs, lens, now_unix))
                .unwrap_or(FAST_ERROR)
        };
        for (array, ptr) in [(lens, lp), (certs, sp), (host, hp)] {
            if !ptr.is_null() {
                (t.ReleasePrimitiveArrayCritical)(env, array, ptr.cast::<c_void>(), JNI_ABORT);
            }
        }
        result
    }
}

/// The safe part of [`pinset_fast_decide`] and of the JNI entry point.
pub fn decide(handle: u64, host: &[u8], certs: &[u8], lens: &[i32], now_unix: i64) -> i32 {
    if lens.is_empty() || lens.len() > MAX_CERTS {
        return FAST_ERROR;
    }
    let Some(pinset) = lookup(handle) else {
        return FAST_ERROR;
    };
    let Ok(host) = std::str::from_utf8(host) else {
        return FAST_ERROR;
    };
    let mut parts: [&[u8]; MAX_CERTS] = [&[]; MAX_CERTS];
    let mut rest = certs;
    for (slot, &len) in parts.iter_mut().zip(lens) {
        let Some(len) = usize::try_from(len)
            .ok()
            .filter(|&l| l > 0 && l <= rest.len())
        else {
            return FAST_ERROR;
        };
        let (cert, tail) = rest.split_at(len);
        *slot = cert;
        rest = tail;
    }
    if !rest.is_empty() {
        return FAST_ERROR;
    }
    match pinset
        .policy
        .check_path(host, now_unix, &parts[..lens.len()])
    {
        Ok(d) if d.is_reportable() => FAST_FULL_PATH,
        Ok(Decision::Trusted { .. } | Decision::NotPinned | Decision::Exempt { .. }) => {
            FAST_PROCEED
        }
        Ok(_) | Err(_) => FAST_ERROR,
    }
}
