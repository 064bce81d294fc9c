#!/usr/bin/env bash
# The one command for the SDKs on this host: builds the cdylib, generates Kotlin and Swift with
# --config uniffi.toml, runs the host-JVM tests (Maven) and the Swift checks possible on Linux.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bindings-android/test.sh
bash bindings-ios/scripts/check-swift.sh
