//! Handles for the fast path: generation-tagged slots holding a `Weak<Pinset>`, so a handle
//! outliving its object is refused, never dereferenced, and never resolves to a later object in
//! the same slot.

use std::sync::{Arc, RwLock, Weak};

use crate::Pinset;

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

/// The live object a handle refers to, if any.
pub(crate) fn lookup(handle: u64) -> Option<Arc<Pinset>> {
    let generation = u32::try_from(handle >> 32).ok()?;
    let index = usize::try_from((handle & 0xffff_ffff).checked_sub(1)?).ok()?;
    let slots = SLOTS.read().ok()?;
    let (slot_generation, weak) = slots.get(index)?;
    if *slot_generation != generation {
        return None;
    }
    weak.upgrade()
}
