#!/usr/bin/env bash
# Builds libpinset_ffi.so for this host exactly as it would ship on one Android ABI, and prints
# its path. This is the library the size budget, the JVM benchmark and the Kotlin tests use.
#
#   profile `mobile`: opt-level "s", fat LTO, codegen-units 1, panic = "abort" (a panic ends the
#   process; docs/adr/0008-panic-abort-in-the-mobile-library.md), unwind tables kept, stripped;
#   link: packed relative relocations (DT_RELR, glibc >= 2.36) standing in for the Android
#   packing in .cargo/config.toml.
#
# `--target` keeps the flags off build scripts and proc macros.
set -euo pipefail
cd "$(dirname "$0")/.."
host=x86_64-unknown-linux-gnu
CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C link-arg=-Wl,-z,pack-relative-relocs" \
  cargo build --locked --quiet --profile mobile -p pinset-ffi --lib --target "$host" >&2
echo "$PWD/target/$host/mobile/libpinset_ffi.so"
