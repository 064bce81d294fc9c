#!/usr/bin/env bash
# JMH on the host JVM: pinset's Kotlin API (UniFFI/JNA over the library as shipped, see
# scripts/build-mobile-lib.sh) vs OkHttp's CertificatePinner.check on the same chain and host,
# plus the FFI costs on their own. Prints JMH's table and the ratios. Not part of the tests.
#   JMH_ARGS="-f 1 -wi 2 -i 3" bash scripts/jvm-bench.sh    # quicker, noisier
#   BENCH='Hit|FirstSight' bash scripts/jvm-bench.sh         # only the benchmarks matching a regex
#   bash scripts/jvm-bench.sh handshake [ROUNDS [WARMUP [MODE]]]  # whole TLS handshakes, paired with OkHttp
#     MODE: repeat (the same chain and Pinset every round), newpins (a new Pinset every round),
#     newchain (a new leaf every round); HandshakeBench.java says what each leaves cached
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --quiet -p pinset-ffi
rm -rf build/kotlin
cargo run --locked -q -p uniffi-bindgen -- generate --config uniffi.toml --no-format --library target/debug/libpinset_ffi.so -l kotlin -o build/kotlin
lib=${PINSET_LIB:-$(bash scripts/build-mobile-lib.sh)}
cd bindings-android
mvn -B -q --no-transfer-progress -Pjmh test-compile dependency:build-classpath -Dmdep.outputFile=target/jmh/cp.txt -Dmdep.includeScope=test
cp="target/jmh/test-classes:target/jmh/classes:$(cat target/jmh/cp.txt)"
if [ "${1:-}" = handshake ]; then
  exec java -cp "$cp" -Xms256m -Xmx256m "-Djna.library.path=$(dirname "$lib")" dev.pinset.bench.HandshakeBench "${2:-2000}" "${3:-1000}" "${4:-repeat}"
fi
out=target/jmh/result.json
# shellcheck disable=SC2086
java -cp "$cp" org.openjdk.jmh.Main "dev.pinset.bench.PinCheckJmh.*(${BENCH:-.})" \
  -jvmArgsAppend "-Djna.library.path=$(dirname "$lib")" -rf json -rff "$out" ${JMH_ARGS:-}
python3 - "$out" <<'PY'
import json, sys
rows = {r["benchmark"].rsplit(".", 1)[1]: r["primaryMetric"] for r in json.load(open(sys.argv[1]))}
s = lambda k: rows[k]["score"]
print()
first = json.load(open(sys.argv[1]))[0]
print(f"JVM: {first['vmName']} {first['jdkVersion']}")
for k, m in rows.items():
    err = m["scoreError"] if isinstance(m["scoreError"], (int, float)) else float("nan")
    print(f"  {k:24s} {m['score']:9.1f} ± {err:7.1f} ns/op")
for what, ours, theirs in [("hit (same path)", "pinsetHit", "okhttpHit"),
                           ("hit (first sight)", "pinsetHitFirstSight", "okhttpHitFirstSight"),
                           ("miss", "pinsetMiss", "okhttpMiss")]:
    if ours in rows and theirs in rows:
        print(f"ratio {what:18s} pinset.enforce / okhttp check: {s(ours) / s(theirs):.2f}")
PY
