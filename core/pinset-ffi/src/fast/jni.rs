//! The native entry points of the fast path: the JNI functions `dev.pinset.FastPathJni.decide`
//! and `.refusal`, and the C function `pinset_fast_decide` for JNA. This is the only file of the
//! crate that allows `unsafe`: it turns the caller's pointers into slices and drives the JNI
//! function table (array length, critical region, new array). Everything it decides is done by
//! the safe modules beside it.
#![allow(unsafe_code)]

use jni_sys::{JNI_ABORT, JNIEnv, jbyteArray, jint, jlong, jobject};

use super::outcome::{Outcome, decide_in_place, refusal_of};
use super::{FAST_ERROR, checked_length, decide, handle};

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

/// Resolves the handle, then reads the first `len` bytes of a Java `byte[]` inside one JNI
/// critical region and decides on them ([`decide_in_place`]); `None` for null arguments, an
/// unknown handle or a `len` outside the array. The caller finishes the outcome after the
/// release.
///
/// Inside the region: the input decode, the policy check (the pin cache is only try-locked:
/// a busy cache is skipped, never waited for) and, for a reportable outcome, heap copies of the
/// host and the path for the report built after the release. No JNI call, no upcall, no lock
/// that waits (the handle table's read lock is taken before the region).
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
    // Before the critical region: the handle table's lock is never taken inside it.
    let pinset = handle::lookup(u64::from_ne_bytes(handle.to_ne_bytes()))?;
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
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            decide_in_place(pinset, bytes, now_unix)
        }))
        .unwrap_or(Outcome::Answer(FAST_ERROR));
        (t.ReleasePrimitiveArrayCritical)(env, input, p, JNI_ABORT);
        Some(outcome)
    }
}

/// JNI entry point of `dev.pinset.FastPathJni.decide(handle, input, len, nowUnix)`, the same
/// contract as [`pinset_fast_decide`] on the first `len` bytes of a Java `byte[]` (the Kotlin side
/// reuses one buffer per thread). The array is read in place inside one JNI critical region (no
/// JNI call in between) and released without copy-back. A `len` beyond the array is refused.
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

/// JNI entry point of `dev.pinset.FastPathJni.refusal(handle, input, len, nowUnix)`:
/// [`super::refusal`] on the first `len` bytes of a Java `byte[]`, returned as a new `byte[]`, or
/// null.
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
    // SAFETY: `env` is valid (`outcome_of_array` returned `Some`, so it is not null); a new array
    // of `n` bytes, filled from `verdict` (`n` bytes). On failure the JVM has an OutOfMemoryError
    // pending; null is returned.
    unsafe {
        let t = &(**env).v1_2;
        let array = (t.NewByteArray)(env, n);
        if !array.is_null() {
            (t.SetByteArrayRegion)(env, array, 0, n, verdict.as_ptr().cast());
        }
        array
    }
}
