#![no_main]
//! Fuzz target `tuf_metadata`: see `pinset::fuzzing::tuf_metadata`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pinset::fuzzing::tuf_metadata(data));
