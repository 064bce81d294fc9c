#![no_main]
//! Fuzz target `nsc_import`: see `pinset::fuzzing::nsc_import`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pinset::fuzzing::nsc_import(data));
