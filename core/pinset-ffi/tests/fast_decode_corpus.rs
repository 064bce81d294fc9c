//! Replays the committed corpus of the `fast_decode` fuzz target (`core/fuzz/corpus/fast_decode`)
//! through the entry the target calls, on stable, with the core's corpus replay
//! (`pinset::fuzzing::replay_corpus`), so CI checks every seed and regression entry. A missing
//! or empty corpus is a failure.

use std::path::Path;

#[test]
fn every_fast_decode_corpus_file_runs_without_panicking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/fast_decode");
    let n = pinset::fuzzing::replay_corpus(&dir, pinset_ffi::fuzzing::fast_decode);
    assert!(n >= 4, "corpus for 'fast_decode' has {n} files");
}
