#![no_main]
//! Fuzz target `manifest`: see `pinset::fuzzing::manifest`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pinset::fuzzing::manifest(data));
