# The map of developer tasks: `just --list`. Every recipe calls one script or one cargo command,
# so each also runs without just (the README's test command stays `bash tests/run-all.sh`).

# List the recipes.
default:
    @just --list --unsorted

# rustfmt, clippy on every crate and on the core as the mobile library ships it (as in `test`).
check:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    cargo clippy -p pinset --no-default-features --all-targets --locked -- -D warnings

# The whole test suite, as CI runs it after installing: tests/run-all.sh.
test:
    bash tests/run-all.sh

# The Rust tests alone: unit, integration, TLS on 127.0.0.1, interop and oracles, corpus replay.
rust-test:
    cargo test --workspace --locked
    cargo test -p pinset --no-default-features --locked

# Kotlin SDK (host JVM, both OkHttp lanes, the JVM jar), Robolectric, the Swift checks.
bindings:
    bash scripts/bindings-test.sh

# The Kotlin SDK alone: generation, the Maven lanes, the Android variant, the JVM jar.
kotlin:
    bash bindings-android/test.sh

# The Swift checks possible on Linux (generation, header, symbol parity, tree-sitter parse).
swift:
    bash bindings-ios/scripts/check-swift.sh

# The XCFramework (macOS with Xcode only; never run on the Linux CI host).
xcframework:
    bash bindings-ios/scripts/build-xcframework.sh

# libpinset_ffi.so as it ships (profile mobile, stripped, packed relocations); prints its path.
mobile-lib:
    bash scripts/build-mobile-lib.sh

# Compile check of the FFI staticlib for the four Android ABIs and aarch64-apple-ios.
cross-check:
    bash scripts/cross-check.sh

# Generated OkHttp pinner against real OkHttp 4.12.0 and 5.5.1.
okhttp-generated:
    bash tests/okhttp-generated/run.sh

# Oracle lane: import/generate against OkHttp's own CertificatePinner (4.12.0 and 5.5.1).
oracle-okhttp:
    bash tests/okhttp-oracle/run.sh

# Oracle lane: import/generate against the AOSP NSC parser under Robolectric.
oracle-nsc:
    bash tests/android-nsc/run.sh

# The Maven-driven lanes (the Python, Go, python-tuf, go-spiffe, sigstore ones are in rust-test).
oracles: okhttp-generated oracle-okhttp oracle-nsc

# Every benchmark; writes the table into docs/performance.md. ARGS e.g. --jvm, --quick, --no-write, --bench update.
bench *ARGS:
    python3 scripts/bench-report.py {{ARGS}}

# JMH on the host JVM, pinset vs OkHttp's CertificatePinner; ARGS e.g. `handshake 2000 1000`.
jvm-bench *ARGS:
    bash scripts/jvm-bench.sh {{ARGS}}

# A libFuzzer campaign on every target, two at a time (nightly + cargo-fuzz).
fuzz SECONDS="600":
    bash scripts/fuzz-campaign.sh {{SECONDS}}

# What CI runs on a bare machine: install everything, then the whole suite.
ci:
    bash .ci/run
