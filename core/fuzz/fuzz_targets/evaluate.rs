#![no_main]
//! Fuzz target `evaluate`: see `pinset::fuzzing::evaluate`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pinset::fuzzing::evaluate(data));
