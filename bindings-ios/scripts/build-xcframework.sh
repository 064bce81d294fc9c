#!/usr/bin/env bash
# Builds PinsetFFIC.xcframework (device + simulator slices) and the generated Swift sources.
# macOS only (Xcode, rustup targets aarch64-apple-ios, aarch64-apple-ios-sim, x86_64-apple-ios).
# NOT executed on the Linux CI host; macOS CI runs it, then `swift build` / `swift test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
profile=mobile
for t in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  cargo build --locked --profile "$profile" -p pinset-ffi --target "$t"
done
out=bindings-ios/build && rm -rf "$out" && mkdir -p "$out/headers" "$out/sim"
cargo run --locked -q -p uniffi-bindgen -- generate --config uniffi.toml --library \
  "target/aarch64-apple-ios/$profile/libpinset_ffi.a" -l swift -o "$out/gen"
cp "$out/gen/PinsetFFIC.h" "$out/headers/"
# A plain `module` map for a -library xcframework (not `framework module`).
cp "$out/gen/PinsetFFIC.modulemap" "$out/headers/module.modulemap"
lipo -create "target/aarch64-apple-ios-sim/$profile/libpinset_ffi.a" "target/x86_64-apple-ios/$profile/libpinset_ffi.a" \
  -output "$out/sim/libpinset_ffi.a"
rm -rf bindings-ios/PinsetFFIC.xcframework
xcodebuild -create-xcframework \
  -library "target/aarch64-apple-ios/$profile/libpinset_ffi.a" -headers "$out/headers" \
  -library "$out/sim/libpinset_ffi.a" -headers "$out/headers" \
  -output bindings-ios/PinsetFFIC.xcframework
mkdir -p bindings-ios/Sources/PinsetFFI
cp "$out/gen/PinsetFFI.swift" bindings-ios/Sources/PinsetFFI/
