//! The JVM fast path for the pin check: one JNA direct-mapped call with primitive arrays.
//!
//! Why this exists beside UniFFI: on the JVM every UniFFI call goes through JNA `Structure`s
//! (a `RustCallStatus` per call, a `RustBuffer` per string or list), each backed by JNA `Memory`
//! that a cleaner thread frees later. Measured with JMH on this host (scripts/jvm-bench.sh), a
//! UniFFI call carrying only a host string costs ~40 µs under sustained load, ~100x OkHttp's
//! whole `CertificatePinner.check`; upstream measures ~3.5 µs for a bare call and is replacing
//! JNA with JNI for this reason (uniffi-rs #2911). The trust-manager check runs on every TLS
//! handshake, so it gets this entry point: plain C types only, no allocation on the JVM side
//! beyond the arrays it passes.
//!
//! Contract: the Kotlin layer (`dev.pinset.Pinset.enforce`) passes the SPKI DER of each
//! certificate of the **validated** path (`X509Certificate.publicKey.encoded`, as OkHttp hashes
//! it), concatenated, with their lengths. The answer is only "proceed quietly" or "take the full
//! path": anything to report or refuse goes through the UniFFI `enforce`, which recomputes the
//! decision from the full certificates and builds the verdict. So this function can make the
//! connection fail (fail closed) or proceed only where the full path would proceed quietly.
//!
//! Handles are slots holding a `Weak<Pinset>`: a handle outliving its object is refused, never
//! dereferenced. The only `unsafe` is turning the caller's pointers into slices.
#![allow(unsafe_code)]

use std::sync::{Arc, RwLock, Weak};

use pinset::{Decision, Pin};

use crate::Pinset;

/// The connection may proceed and nothing needs reporting (trusted, not pinned, exempt).
pub const FAST_PROCEED: i32 = 0;
/// Take the full path (violation, report-only, expired pin-set).
pub const FAST_FULL_PATH: i32 = 1;
/// Bad arguments, unknown handle, bad host or a panic: take the full path, which reports it.
pub const FAST_ERROR: i32 = -1;

/// Largest input accepted (the path's SPKIs; real ones are well under 10 KiB).
const MAX_INPUT: usize = 1 << 20;
/// Longest path accepted (Android and webpki limit paths far below this).
const MAX_CERTS: usize = 16;

static SLOTS: RwLock<Vec<Weak<Pinset>>> = RwLock::new(Vec::new());

pub(crate) fn register(pinset: &Arc<Pinset>) -> u64 {
    let Ok(mut slots) = SLOTS.write() else {
        return 0;
    };
    let weak = Arc::downgrade(pinset);
    // Reuse a dead slot so loading many manifests over an app's life stays bounded.
    let index = match slots.iter().position(|w| w.strong_count() == 0) {
        Some(i) => {
            slots[i] = weak;
            i
        }
        None => {
            slots.push(weak);
            slots.len() - 1
        }
    };
    // 0 is never a valid handle.
    index as u64 + 1
}

fn lookup(handle: u64) -> Option<Arc<Pinset>> {
    let index = usize::try_from(handle.checked_sub(1)?).ok()?;
    SLOTS.read().ok()?.get(index)?.upgrade()
}

/// Decides for `host` given the SPKIs of the validated path, leaf first. See the module docs.
///
/// # Safety
/// `host` must point to `host_len` readable bytes, `spkis` to `spkis_len` bytes and `lens` to
/// `n` `i32`s (the JVM's pinned copies of the arrays JNA passes). Null pointers and negative or
/// oversized lengths are refused.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pinset_fast_decide(
    handle: u64,
    host: *const u8,
    host_len: i32,
    spkis: *const u8,
    spkis_len: i32,
    lens: *const i32,
    n: i32,
    now_unix: i64,
) -> i32 {
    let (Ok(host_len), Ok(spkis_len), Ok(n)) = (
        usize::try_from(host_len),
        usize::try_from(spkis_len),
        usize::try_from(n),
    ) else {
        return FAST_ERROR;
    };
    if host.is_null()
        || spkis.is_null()
        || lens.is_null()
        || host_len > MAX_INPUT
        || spkis_len > MAX_INPUT
        || n == 0
        || n > MAX_CERTS
    {
        return FAST_ERROR;
    }
    // SAFETY: non-null, lengths bounded and as the caller promises (see `# Safety`).
    let (host, spkis, lens) = unsafe {
        (
            std::slice::from_raw_parts(host, host_len),
            std::slice::from_raw_parts(spkis, spkis_len),
            std::slice::from_raw_parts(lens, n),
        )
    };
    std::panic::catch_unwind(|| decide(handle, host, spkis, lens, now_unix)).unwrap_or(FAST_ERROR)
}

/// The safe part of [`pinset_fast_decide`].
pub fn decide(handle: u64, host: &[u8], spkis: &[u8], lens: &[i32], now_unix: i64) -> i32 {
    let Some(pinset) = lookup(handle) else {
        return FAST_ERROR;
    };
    let Ok(host) = std::str::from_utf8(host) else {
        return FAST_ERROR;
    };
    let mut parts: [&[u8]; MAX_CERTS] = [&[]; MAX_CERTS];
    let mut rest = spkis;
    for (slot, &len) in parts.iter_mut().zip(lens) {
        let Some(len) = usize::try_from(len)
            .ok()
            .filter(|&l| l > 0 && l <= rest.len())
        else {
            return FAST_ERROR;
        };
        let (spki, tail) = rest.split_at(len);
        *slot = spki;
        rest = tail;
    }
    if !rest.is_empty() {
        return FAST_ERROR;
    }
    let pins = parts[..lens.len()].iter().map(|s| Pin::of_spki(s));
    match pinset.policy.decide(host, now_unix, pins) {
        Ok(d) if d.is_reportable() => FAST_FULL_PATH,
        Ok(Decision::Trusted { .. } | Decision::NotPinned | Decision::Exempt { .. }) => {
            FAST_PROCEED
        }
        Ok(_) | Err(_) => FAST_ERROR,
    }
}
