#!/usr/bin/env bash
# One command for the Kotlin SDK on this host: build the cdylib (and the debug CLI, for
# PinsetUpdaterTest's TUF repository), generate Kotlin (only; the Swift
# checks are bindings-ios/scripts/check-swift.sh) with the root uniffi.toml and with
# uniffi-android.toml, the Android variant (generation reads the metadata symbols of the
# unstripped debug build), then compile and run the host-JVM tests with Maven against the library
# as shipped: stripped, size-tuned, packed relocations (scripts/build-mobile-lib.sh). JNA loads it and UniFFI checks
# that every API checksum matches the generated code. Then (pom.xml says what each lane is):
#   1. `mvn install`: Android API-24 gate + tests with OkHttp 4.12.0 + the dev.pinset:pinset-jvm
#      jar with linux-x86-64/libpinset_ffi.so inside, installed into the local Maven repository;
#   2. `mvn -Pokhttp5 test`: gate + the same tests with OkHttp 5 (okhttp-jvm);
#   3. the android = true UniFFI variant (what Gradle generates) compiled and gated;
#   4. tests/jvm-consumer: a separate Maven project using the installed jar as its one dependency
#      (OkHttp 4.12.0), and with OkHttp 5 (-Pokhttp5: okhttp excluded, okhttp-jvm added).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked -p pinset-ffi
# The CLI for PinsetUpdaterTest (its TUF repository); a separate build, so that its features do
# not unify with the FFI library's.
cargo build --locked -p pinset-cli
rm -rf build/kotlin build/kotlin-android
bindgen() { cargo run --locked -q -p uniffi-bindgen -- generate --no-format --library target/debug/libpinset_ffi.so -l kotlin "$@"; }
# One source for the UniFFI settings: the Android variant is the root file plus its two keys.
settings() { grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' -e '^android[[:space:]]*=' -e '^android_cleaner[[:space:]]*=' "$1"; }
diff <(settings uniffi.toml) <(settings bindings-android/uniffi-android.toml) >&2 ||
  { echo "bindings-android/uniffi-android.toml drifted from uniffi.toml (see the diff above)" >&2; exit 1; }
grep -qx 'android = true' bindings-android/uniffi-android.toml && grep -qx 'android_cleaner = true' bindings-android/uniffi-android.toml ||
  { echo "bindings-android/uniffi-android.toml must set android = true and android_cleaner = true" >&2; exit 1; }
bindgen --config uniffi.toml -o build/kotlin
bindgen --config bindings-android/uniffi-android.toml -o build/kotlin-android

# The API-level gate ignores the two API-33 cleaner classes (pom.xml); it may because UniFFI only
# reaches them behind a run-time guard. Fail if a UniFFI upgrade drops a guard.
host_kt=build/kotlin/dev/pinset/ffi/pinset_ffi.kt
android_kt=build/kotlin-android/dev/pinset/ffi/pinset_ffi.kt
guarded() { # FILE GUARD CONSTRUCTION: CONSTRUCTION occurs once, on the line after GUARD
  [ "$(grep -cF "$3" "$1")" = 1 ] && grep -A1 -F "$2" "$1" | tail -n 1 | grep -qF "$3" ||
    { echo "API-level guard missing in $1: '$3' not only after '$2'" >&2; exit 1; }
}
guarded "$host_kt" 'java.lang.Class.forName("java.lang.ref.Cleaner")' 'JavaLangRefCleaner()'
guarded "$android_kt" 'if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.UPSIDE_DOWN_CAKE) {' 'AndroidSystemCleaner()'
! grep -qF 'SystemCleaner' "$host_kt" || { echo "host variant references SystemCleaner" >&2; exit 1; }

lib=$(bash scripts/build-mobile-lib.sh)
libdir=$(dirname "$lib")
cd bindings-android
mvn=(mvn -B --no-transfer-progress -Dpinset.libdir="$libdir")
echo "-- OkHttp 4.12.0: API-24 gate, tests, jar, install"
"${mvn[@]}" install
# (the listing is read whole first: `grep -q` closing the pipe early would fail under pipefail)
listing=$(python3 -m zipfile -l target/pinset-jvm-0.1.0.jar)
grep -q '^linux-x86-64/libpinset_ffi.so ' <<<"$listing" ||
  { echo "the jar lacks linux-x86-64/libpinset_ffi.so" >&2; exit 1; }
echo "-- OkHttp 5.5.1 (okhttp-jvm): API-24 gate, tests"
"${mvn[@]}" -Pokhttp5 test
echo "-- android = true UniFFI variant: compile, API-24 gate"
"${mvn[@]}" -Pandroid-variant process-classes
echo "-- the installed jar from a separate Maven project (OkHttp 4.12.0, then OkHttp 5.5.1)"
cd ../tests/jvm-consumer
mvn -B --no-transfer-progress test
mvn -B --no-transfer-progress -Pokhttp5 test
