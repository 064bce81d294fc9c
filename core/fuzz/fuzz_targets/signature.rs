#![no_main]
//! Fuzz target `signature`: see `pinset::fuzzing::signature`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pinset::fuzzing::signature(data));
