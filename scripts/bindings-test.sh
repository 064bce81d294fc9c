#!/usr/bin/env bash
# The one command for the SDKs on this host: builds the cdylib, generates Kotlin and Swift with
# --config uniffi.toml, runs the host-JVM tests (Maven), the Kotlin SDK under Robolectric
# (bindings-android/robolectric) and the Swift checks possible on Linux.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bindings-android/test.sh
echo "== Kotlin SDK under Robolectric 4.17 (SDK 34): the Android branch on the real X509TrustManagerExtensions"
lib=$(bash scripts/build-mobile-lib.sh)
(cd bindings-android/robolectric && mvn -B --no-transfer-progress test -Dpinset.libdir="$(dirname "$lib")")
bash bindings-ios/scripts/check-swift.sh
