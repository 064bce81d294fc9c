#!/usr/bin/env bash
# Generate the OkHttp pinner from pins.toml with the release `pinset`, compile it against real
# OkHttp from Maven Central and run the JUnit tests against local TLS servers: once with OkHttp
# 4.12.0, once with OkHttp 5 (profile okhttp5, the `okhttp-jvm` artefact).
set -euo pipefail
cd "$(dirname "$0")"
pinset=../../target/release/pinset
[ -x "$pinset" ] || (cd ../.. && cargo build --release --locked --bin pinset)
mkdir -p target/generated-sources/pinset
"$pinset" generate okhttp pins.toml --package dev.pinset.generated -o target/generated-sources/pinset/PinsetPins.kt
echo "-- OkHttp 4.12.0"
mvn -B --no-transfer-progress test
echo "-- OkHttp 5.5.1 (okhttp-jvm)"
mvn -B --no-transfer-progress -Pokhttp5 test
