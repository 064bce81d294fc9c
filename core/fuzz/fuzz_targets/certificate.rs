#![no_main]
//! Fuzz target `certificate`: see `pinset::fuzzing::certificate`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pinset::fuzzing::certificate(data));
