//! `cargo run -p uniffi-bindgen -- generate --config uniffi.toml --library target/…/libpinset_ffi.so …`
fn main() {
    uniffi::uniffi_bindgen_main()
}
