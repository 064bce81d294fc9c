//! A small bounded memo of "certificate DER → SPKI pin".
//!
//! A certificate's pin is a pure function of its bytes, and a client meets the same few
//! certificates on every handshake (its servers' leaves and their intermediates). Remembering
//! them saves the SPKI walk and the SHA-256 on repeat sightings, which is most of the cost of a
//! pin check ([`Policy::check_path_cached`](crate::Policy::check_path_cached)).
//!
//! What makes it safe to use on a security path:
//! - The key is the **whole DER**, compared byte for byte (not a hash of it): a certificate that
//!   differs in any byte is a different key, so no certificate can ever be given another one's pin.
//! - Only hashing is memoised. Rule selection, pin-set expiry, report-only and the match itself
//!   run on every call, so a cached pin is used exactly as a freshly computed one would be.
//! - An entry is inserted only after its certificate's DER was walked to its SPKI (the same
//!   strictness as [`spki_of_certificate`](crate::certificate::spki_of_certificate)).
//! - Bounded: [`CAPACITY`] entries of at most [`MAX_DER`] bytes; CLOCK replacement, so a pinned
//!   intermediate seen on every handshake stays while one-off leaves rotate through.
//! - Never blocks: a caller that finds the cache busy (another thread's check) computes without it.
//! - Fails safe: after a panic while the cache was held it is never read again.

use std::sync::{Mutex, MutexGuard};

use super::Pin;

/// Most certificates remembered.
pub const CAPACITY: usize = 16;
/// Largest certificate remembered (bytes); larger ones are always hashed.
pub const MAX_DER: usize = 4096;

/// A bounded, thread-safe memo of certificate pins. See the module docs.
#[derive(Debug, Default)]
pub struct PinCache(Mutex<Entries>);

#[derive(Debug, Default)]
pub(crate) struct Entries {
    slots: Vec<Entry>,
    hand: usize,
}

#[derive(Debug)]
struct Entry {
    /// Last 8 bytes of the DER (inside the signature, which differs between any two
    /// certificates): a cheap first filter before the full comparison, so a miss does not
    /// compare whole certificates of the same length one by one.
    tail: u64,
    der: Vec<u8>,
    pin: Pin,
    referenced: bool,
}

fn tail_of(der: &[u8]) -> u64 {
    der.last_chunk::<8>().map_or(0, |t| u64::from_ne_bytes(*t))
}

impl PinCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of certificates remembered.
    pub fn len(&self) -> usize {
        self.0
            .lock()
            .map_or_else(|p| p.into_inner().slots.len(), |e| e.slots.len())
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries if no other thread holds them right now. A poisoned lock (a panic while it
    /// was held, which could have left an entry half-rewritten) disables the cache for good:
    /// every later check computes its pins.
    pub(crate) fn try_entries(&self) -> Option<MutexGuard<'_, Entries>> {
        self.0.try_lock().ok()
    }
}

impl Entries {
    /// The remembered pin of exactly these bytes.
    pub(crate) fn get(&mut self, der: &[u8]) -> Option<Pin> {
        let tail = tail_of(der);
        // Cheap filters first (length, tail); then the bytes in full, the only thing trusted.
        let entry = self
            .slots
            .iter_mut()
            .find(|e| e.tail == tail && e.der.len() == der.len() && *e.der == *der)?;
        entry.referenced = true;
        Some(entry.pin)
    }

    /// Remembers `pin` for `der`, evicting the first entry not used since the hand last passed.
    pub(crate) fn insert(&mut self, der: &[u8], pin: Pin) {
        if der.len() > MAX_DER {
            return;
        }
        let tail = tail_of(der);
        if self.slots.len() < CAPACITY {
            self.slots.push(Entry {
                tail,
                der: der.to_vec(),
                pin,
                referenced: false,
            });
            return;
        }
        // Terminates: each pass clears a referenced bit, so within two turns a slot is free.
        loop {
            let index = self.hand % self.slots.len();
            self.hand = index + 1;
            let slot = &mut self.slots[index];
            if slot.referenced {
                slot.referenced = false;
            } else {
                // Reuse the evicted entry's buffer: once the cache is full, an insert allocates
                // only when the new certificate is longer than the evicted one's buffer.
                slot.der.clear();
                slot.der.extend_from_slice(der);
                slot.tail = tail;
                slot.pin = pin;
                return;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn pin(i: u8) -> Pin {
        Pin::from_digest([i; 32])
    }

    #[test]
    fn exact_bytes_only() {
        let cache = PinCache::new();
        let mut e = cache.try_entries().unwrap();
        e.insert(b"abc", pin(1));
        assert_eq!(e.get(b"abc"), Some(pin(1)));
        assert_eq!(e.get(b"abd"), None);
        assert_eq!(e.get(b"ab"), None);
        assert_eq!(e.get(b"abcd"), None);
        e.insert(&[7; MAX_DER + 1], pin(2));
        assert_eq!(
            e.get(&[7; MAX_DER + 1]),
            None,
            "oversized certificates are not kept"
        );
    }

    #[test]
    fn bounded_and_keeps_what_is_used() {
        let cache = PinCache::new();
        let mut e = cache.try_entries().unwrap();
        e.insert(b"intermediate", pin(0));
        for i in 0..200u8 {
            // Every "handshake": a fresh leaf, then the same intermediate.
            e.insert(&[b'L', i], pin(i));
            assert_eq!(e.get(b"intermediate"), Some(pin(0)), "evicted at {i}");
        }
        assert_eq!(e.slots.len(), CAPACITY);
        drop(e);
        assert_eq!(cache.len(), CAPACITY);
    }

    #[test]
    fn a_poisoned_cache_is_never_read_again() {
        let cache = PinCache::new();
        cache.try_entries().unwrap().insert(b"abc", pin(1));
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _held = cache.try_entries().unwrap();
            panic!("while holding the cache");
        }));
        assert!(cache.try_entries().is_none());
    }

    #[test]
    fn busy_cache_is_skipped_not_waited_for() {
        let cache = PinCache::new();
        let held = cache.try_entries().unwrap();
        assert!(cache.try_entries().is_none());
        drop(held);
        assert!(cache.try_entries().is_some());
    }
}
