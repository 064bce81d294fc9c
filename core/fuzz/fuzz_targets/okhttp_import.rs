#![no_main]
//! Fuzz target `okhttp_import`: see `pinset::fuzzing::okhttp_import`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pinset::fuzzing::okhttp_import(data));
