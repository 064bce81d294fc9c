#!/usr/bin/env bash
# One command for the Kotlin SDK on this host: build the cdylib, generate Kotlin (and Swift) with
# the root uniffi.toml, then compile and run the host-JVM tests with Maven (JNA loads the .so).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked -p pinset-ffi
rm -rf build/kotlin
cargo run --locked -q -p uniffi-bindgen -- generate --config uniffi.toml --no-format --library target/debug/libpinset_ffi.so -l kotlin -o build/kotlin
cd bindings-android
mvn -B --no-transfer-progress test
