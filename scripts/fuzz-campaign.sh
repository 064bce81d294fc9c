#!/usr/bin/env bash
# Runs a libFuzzer campaign on every target (cargo-fuzz, nightly), two at a time.
#   bash scripts/fuzz-campaign.sh [SECONDS_PER_TARGET]   (default 600)
# Needs: rustup nightly toolchain, `cargo install cargo-fuzz --locked`.
# Findings land in core/fuzz/artifacts/<target>/; add each as a regression file to
# core/fuzz/corpus/<target>/ (replayed by `cargo test` on stable) once fixed.
set -uo pipefail
cd "$(dirname "$0")/../core/pinset"
fz=../fuzz
secs=${1:-600}
# Every target in core/fuzz/fuzz_targets (a new target joins the campaign without editing this).
targets=()
for f in "$fz"/fuzz_targets/*.rs; do t=${f##*/}; targets+=("${t%.rs}"); done
cargo +nightly fuzz build --fuzz-dir "$fz" -O
mkdir -p "$fz/logs"
run() {
  local t=$1
  # Work on a copy so the committed seed corpus stays small.
  mkdir -p "$fz/work/$t" && cp -n "$fz/corpus/$t"/* "$fz/work/$t"/ 2>/dev/null
  nice -n 10 cargo +nightly fuzz run --fuzz-dir "$fz" -O "$t" "$fz/work/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 >"$fz/logs/$t.log" 2>&1
  echo "$t: exit $? $(grep -E '^(#[0-9]+|Done)' "$fz/logs/$t.log" | tail -1)"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" &
  [ -n "${targets[i+1]:-}" ] && run "${targets[i+1]}" &
  wait
done
