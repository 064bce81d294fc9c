#!/usr/bin/env bash
# The real AOSP NSC parser (SDK 34 under Robolectric 4.17) as the oracle for
# `pinset generate android-nsc` and `pinset import android-nsc`: the case writer
# (tests/src/bin/oracle-cases.rs) writes generated and hand-written/random NSC files with
# pinset's per-host meaning; the test parses each with XmlConfigSource/ApplicationConfig
# (release and debuggable) and compares. PINSET_ORACLE_SEED picks other random cases.
set -euo pipefail
cd "$(dirname "$0")"
(cd ../.. && cargo build --locked -q -p pinset-tests --bin oracle-cases)
rm -rf target/cases
../../target/debug/oracle-cases nsc target/cases ${PINSET_ORACLE_SEED:-}
mvn -B -q --no-transfer-progress test
