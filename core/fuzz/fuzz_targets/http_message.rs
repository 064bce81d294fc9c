#![no_main]
//! Fuzz target `http_message`: see `pinset::fuzzing::http_message`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pinset::fuzzing::http_message(data));
