#![no_main]
//! Fuzz target `attest_bundle`: see `pinset::fuzzing::attest_bundle`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pinset::fuzzing::attest_bundle(data));
