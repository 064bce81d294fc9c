#!/usr/bin/env bash
# Real OkHttp as the oracle for `pinset import okhttp` and `pinset generate okhttp`: the case
# writer (tests/src/bin/oracle-cases.rs) writes Kotlin/Java pinner sources and generated
# pinners plus pinset's decisions; Maven compiles them against OkHttp 4.12.0, then 5.5.1
# (okhttp-jvm), and asks CertificatePinner.findMatchingPins for every probe host.
# PINSET_ORACLE_SEED picks other random cases.
set -euo pipefail
cd "$(dirname "$0")"
(cd ../.. && cargo build --locked -q -p pinset-tests --bin oracle-cases)
rm -rf target/cases
../../target/debug/oracle-cases okhttp target/cases ${PINSET_ORACLE_SEED:-}
mvn -B -q --no-transfer-progress test
mvn -B -q --no-transfer-progress -Pokhttp5 test
