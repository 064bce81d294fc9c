//! Replays every committed fuzz corpus file (`core/fuzz/corpus/<target>/`) through the same
//! entry points the libFuzzer targets call, on the stable toolchain, so CI checks the corpus
//! and every regression entry without nightly. A missing or empty corpus is a failure.
#![allow(clippy::panic)]

use std::path::Path;

#[test]
fn every_corpus_file_runs_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut total = 0;
    for (name, target) in pinset::fuzzing::TARGETS {
        let dir = root.join(name);
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
        let mut n = 0;
        for entry in entries {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            target(&data);
            n += 1;
        }
        assert!(n > 0, "corpus for '{name}' is empty");
        total += n;
    }
    assert!(total >= pinset::fuzzing::TARGETS.len());
}
