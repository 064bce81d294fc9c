#!/usr/bin/env bash
# The whole test suite: formatting, lints, every Rust test (unit, integration, CLI end-to-end,
# TLS over 127.0.0.1, RFC 9421 vectors, interop with Python and Go peers, corpus replay), then the
# binding checks. This is the README's test command; CI runs it through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The core as the mobile library ships it (no tls/webpki, generate/import, spiffe, attest, PSL).
cargo clippy -p pinset --no-default-features --all-targets --locked -- -D warnings
echo "== cargo test"
cargo build --locked --release --bin pinset
cargo test --workspace --locked
cargo test -p pinset --no-default-features --locked
echo "== generated OkHttp pinner against real OkHttp (Maven)"
bash tests/okhttp-generated/run.sh
echo "== platform oracles: real OkHttp 4.12.0 and 5.5.1, the AOSP NSC parser under Robolectric (import/generate)"
bash tests/okhttp-oracle/run.sh
bash tests/android-nsc/run.sh
echo "== Kotlin SDK on the host JVM and the Swift checks possible on Linux"
bash scripts/bindings-test.sh
echo "== mobile targets: pinset-ffi staticlib for the 4 Android ABIs and iOS (compile check)"
bash scripts/cross-check.sh
