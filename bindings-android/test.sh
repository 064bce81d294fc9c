#!/usr/bin/env bash
# One command for the Kotlin SDK on this host: build the cdylib, generate Kotlin (and Swift) with
# the root uniffi.toml (generation reads the metadata symbols of the unstripped debug build), then
# compile and run the host-JVM tests with Maven against the library as shipped: stripped,
# size-tuned, packed relocations (scripts/build-mobile-lib.sh). JNA loads it and UniFFI checks
# that every API checksum matches the generated code.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked -p pinset-ffi
rm -rf build/kotlin
cargo run --locked -q -p uniffi-bindgen -- generate --config uniffi.toml --no-format --library target/debug/libpinset_ffi.so -l kotlin -o build/kotlin
lib=$(bash scripts/build-mobile-lib.sh)
cd bindings-android
mvn -B --no-transfer-progress test -Dpinset.libdir="$(dirname "$lib")"
