#!/usr/bin/env bash
# Pin check through the Kotlin API (UniFFI) vs OkHttp's CertificatePinner.check on the host JVM.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --release -p pinset-ffi
rm -rf build/kotlin
cargo run --locked -q -p uniffi-bindgen -- generate --config uniffi.toml --no-format --library target/release/libpinset_ffi.so -l kotlin -o build/kotlin
cd bindings-android
mvn -B -q --no-transfer-progress test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
java -Djna.library.path=../target/release -cp "target/classes:target/test-classes:$(cat target/cp.txt)" dev.pinset.PinCheckBench
