#!/usr/bin/env bash
# Compile check of the FFI crate (and with it the core, ring's C and assembly, and the whole crate
# graph) for the mobile targets, on a Linux host without the Android NDK or the Apple SDK.
#
#   Android: aarch64-linux-android, armv7-linux-androideabi, x86_64-linux-android,
#            i686-linux-android (the four ABIs the AAR ships), with Debian's clang and llvm-ar.
#            Without an NDK sysroot, C is compiled with `-nostdlibinc -DRING_CORE_NOSTDLIBINC=1`
#            (ring's own no-libc-headers mode).
#   Apple:   aarch64-apple-ios (the device slice). The simulator targets' standard libraries
#            (aarch64-apple-ios-sim, x86_64-apple-ios) are not served to rustup here. ring's C
#            includes the Apple SDK header TargetConditionals.h; this script writes a STAND-IN
#            for it (a few TARGET_OS_* macros) under target/cross-check/. That makes this a
#            compile check only, never a shipping artefact: the XCFramework is built on macOS.
#
# What is built: `cargo rustc --crate-type staticlib` of pinset-ffi in the dev profile without
# debug info (`-C debuginfo=0` for the target crates only, so host build scripts and proc macros
# are shared with the ordinary dev build): it runs every build script, compiles ring's C/asm and
# generates code for every crate for the target, at a fraction of the cost of the fat-LTO
# `mobile` profile. What is NOT done here: linking libpinset_ffi.so for Android needs the NDK
# sysroot (crtbegin_so.o, crtend_so.o, libc, libm, libdl, liblog, libunwind), which no package
# reachable from this host provides; linking an iOS library needs Apple's linker and SDK. Both,
# and running on a device, stay with a machine that has the NDK / Xcode.
#
# Installs what it needs: the rustup targets; clang, lld and llvm (llvm-ar) with apt when absent.
# Prints one result line per target; exits 1 if any target fails.
#   bash scripts/cross-check.sh                      # every target
#   bash scripts/cross-check.sh aarch64-linux-android  # some
set -euo pipefail
cd "$(dirname "$0")/.."

android=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android)
apple=(aarch64-apple-ios)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${android[@]}" "${apple[@]}")
min_sdk=24 # bindings-android/build.gradle.kts minSdk

if ! command -v clang >/dev/null || ! command -v llvm-ar >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq clang lld llvm >/dev/null
  else
    echo "cross-check: needs clang and llvm-ar (apt-get install clang lld llvm)" >&2
    exit 1
  fi
fi
rustup target add "${targets[@]}" >/dev/null

work=target/cross-check
mkdir -p "$work/logs"
env_name() { echo "$1" | tr 'a-z-' 'A-Z_'; }

# A stand-in for the Apple SDK's TargetConditionals.h, per Apple target (compile check only).
stand_in_header() {
  local dir="$work/apple-stand-in/$1" ios=1 osx=0
  mkdir -p "$dir" "$work/apple-stand-in/empty-sdk"
  cat >"$dir/TargetConditionals.h" <<EOF
/* STAND-IN for the Apple SDK header, written by scripts/cross-check.sh for a compile check of
   ring's C on Linux. Not Apple's file; nothing built with it ships. Target: $1 */
#pragma once
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX $osx
#define TARGET_OS_IPHONE $ios
#define TARGET_OS_IOS $ios
#define TARGET_OS_SIMULATOR 0
EOF
  echo "$dir"
}

failed=0
declare -a results
for t in "${targets[@]}"; do
  T=$(env_name "$t")
  t_under=${t//-/_}
  flags=(-nostdlibinc -DRING_CORE_NOSTDLIBINC=1)
  note=""
  case "$t" in
    *-android*)
      clang_target=${t/armv7-linux-androideabi/armv7a-linux-androideabi}$min_sdk
      flags=(--target="$clang_target" "${flags[@]}")
      # x86: ring's ADX curve25519 includes immintrin.h, whose mm_malloc.h includes libc's
      # stdlib.h (absent without a sysroot); predefining its include guard skips it (ring uses
      # no _mm_malloc).
      case "$t" in x86_64-* | i686-*) flags+=(-D__MM_MALLOC_H) ;; esac
      note="staticlib compiled; the .so link needs the NDK sysroot (not here)"
      ;;
    *-apple-*)
      inc=$(stand_in_header "$t")
      flags+=(-I"$PWD/$inc")
      export SDKROOT="$PWD/$work/apple-stand-in/empty-sdk"
      note="staticlib compiled with a stand-in TargetConditionals.h (compile check, not an artefact)"
      ;;
  esac
  start=$(date +%s)
  log="$work/logs/$t.log"
  if env "CC_$t_under=clang" "AR_$t_under=llvm-ar" "CFLAGS_$t_under=${flags[*]}" \
      "CARGO_TARGET_${T}_RUSTFLAGS=-C debuginfo=0" \
      cargo rustc --locked -q -p pinset-ffi --lib --crate-type staticlib --target "$t" >"$log" 2>&1; then
    lib="target/$t/debug/libpinset_ffi.a"
    syms=$(llvm-nm --defined-only "$lib" 2>/dev/null | grep -c ' T _\{0,1\}uniffi_pinset_ffi_fn_' || true)
    results+=("ok    $t ($(( $(date +%s) - start )) s, $(( $(stat -c %s "$lib") / 1048576 )) MiB, $syms uniffi functions): $note")
  else
    failed=1
    results+=("FAIL  $t ($(( $(date +%s) - start )) s): see $log")
    tail -n 30 "$log" >&2
  fi
  unset SDKROOT
done

echo "cross-check (pinset-ffi staticlib, dev profile, debuginfo=0):"
printf '  %s\n' "${results[@]}"
exit $failed
