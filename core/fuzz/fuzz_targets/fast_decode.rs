#![no_main]
//! Fuzz target `fast_decode`: the JVM fast path's input decoder, see `pinset_ffi::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pinset_ffi::fuzzing::fast_decode(data));
