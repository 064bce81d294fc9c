#![no_main]
//! Fuzz target `attest_trusted_root`: see `pinset::fuzzing::attest_trusted_root`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pinset::fuzzing::attest_trusted_root(data));
