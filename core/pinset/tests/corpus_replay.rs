//! Replays every committed fuzz corpus file (`core/fuzz/corpus/<target>/`) through the same
//! entry points the libFuzzer targets call, on the stable toolchain, so CI checks the corpus
//! and every regression entry without nightly. A missing or empty corpus is a failure.

use std::path::Path;

#[test]
fn every_corpus_file_runs_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut total = 0;
    for (name, target) in pinset::fuzzing::TARGETS {
        let n = pinset::fuzzing::replay_corpus(&root.join(name), *target);
        assert!(n > 0, "corpus for '{name}' is empty");
        total += n;
    }
    assert!(total >= pinset::fuzzing::TARGETS.len());
}
