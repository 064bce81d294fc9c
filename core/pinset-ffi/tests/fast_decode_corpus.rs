//! Replays the committed corpus of the `fast_decode` fuzz target (`core/fuzz/corpus/fast_decode`)
//! through the entry the target calls, on stable, so CI checks every seed and regression entry.
//! A missing or empty corpus is a failure.
#![allow(clippy::panic)]

use std::path::Path;

#[test]
fn every_fast_decode_corpus_file_runs_without_panicking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/fast_decode");
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
    let mut n = 0;
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        pinset_ffi::fuzzing::fast_decode(&data);
        n += 1;
    }
    assert!(n >= 4, "corpus for 'fast_decode' has {n} files");
}
