//! The native entry points of the fast path: the JNI functions `dev.pinset.FastPathJni.decide`
//! and `.refusal` (through the `jni` crate), and the C function `pinset_fast_decide` for JNA.
//! This is the only file of the crate that allows `unsafe`: it turns the JNA caller's pointer
//! into a slice, reads a Java `byte[]` inside a JNI critical region (released by the `jni`
//! crate's guard when it goes out of scope, on every return and unwind) and exports the
//! unmangled symbols. Everything it decides is done by the safe modules beside it.
#![allow(unsafe_code)]

use jni::JNIEnv;
use jni::objects::{JByteArray, JClass, ReleaseMode};
use jni::sys::{jbyteArray, jint, jlong};

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
/// critical region and decides on them ([`decide_in_place`]); `None` for a null array, an
/// unknown handle or a `len` outside the array. The caller finishes the outcome after the
/// release.
///
/// Inside the region: the input decode, the policy check (the pin cache is only try-locked:
/// a busy cache is skipped, never waited for) and, for a reportable outcome, heap copies of the
/// host and the path for the report built after the release. No JNI call, no upcall, no lock
/// that waits (the handle table's read lock is taken before the region).
fn outcome_of_array(
    env: &mut JNIEnv<'_>,
    handle: jlong,
    input: &JByteArray<'_>,
    len: jint,
    now_unix: jlong,
) -> Option<Outcome> {
    if input.is_null() {
        return None;
    }
    let len = checked_length(len)?;
    // Before the critical region: the handle table's lock is never taken inside it.
    let pinset = handle::lookup(u64::from_ne_bytes(handle.to_ne_bytes()))?;
    // SAFETY: the guard holds the critical region until it is dropped at the end of this
    // function (after the decision, before any report); nothing in between calls into the JVM
    // (the `env` borrow held by the guard makes a JNI call there a compile error).
    let elements =
        unsafe { env.get_array_elements_critical(input, ReleaseMode::NoCopyBack) }.ok()?;
    if len > elements.len() {
        return None;
    }
    // SAFETY: `elements` derefs to `elements.len()` `i8`s valid while it lives; `len` is at most
    // that; `u8` has the layout of `i8`.
    let bytes = unsafe { std::slice::from_raw_parts(elements.as_ptr().cast::<u8>(), len) };
    Some(
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            decide_in_place(pinset, bytes, now_unix)
        }))
        .unwrap_or(Outcome::Answer(FAST_ERROR)),
    )
}

/// JNI entry point of `dev.pinset.FastPathJni.decide(handle, input, len, nowUnix)`, the same
/// contract as [`pinset_fast_decide`] on the first `len` bytes of a Java `byte[]` (the Kotlin side
/// reuses one buffer per thread). The array is read in place inside one JNI critical region (no
/// JNI call in between) and released without copy-back. A `len` beyond the array is refused.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_pinset_FastPathJni_decide<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    handle: jlong,
    input: JByteArray<'local>,
    len: jint,
    now_unix: jlong,
) -> jint {
    let Some(outcome) = outcome_of_array(&mut env, handle, &input, len, now_unix) else {
        return FAST_ERROR;
    };
    // Out of the critical region: reporting may call the app's reporter (a JVM upcall).
    // AssertUnwindSafe: after a panic the outcome is dropped, and the object's shared state sits
    // behind mutexes (poisoned, not half-updated).
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| outcome.finish(now_unix)))
        .unwrap_or(FAST_ERROR)
}

/// JNI entry point of `dev.pinset.FastPathJni.refusal(handle, input, len, nowUnix)`:
/// [`super::refusal`] on the first `len` bytes of a Java `byte[]`, returned as a new `byte[]`, or
/// null (also when the JVM cannot allocate the array: its `OutOfMemoryError` is then pending).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_pinset_FastPathJni_refusal<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    handle: jlong,
    input: JByteArray<'local>,
    len: jint,
    now_unix: jlong,
) -> jbyteArray {
    let null = std::ptr::null_mut();
    let Some(outcome) = outcome_of_array(&mut env, handle, &input, len, now_unix) else {
        return null;
    };
    // Out of the critical region: reporting may call the app's reporter (a JVM upcall).
    let Ok(Some(verdict)) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        refusal_of(outcome, now_unix)
    })) else {
        return null;
    };
    env.byte_array_from_slice(&verdict)
        .map_or(null, JByteArray::into_raw)
}
