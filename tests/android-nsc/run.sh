#!/usr/bin/env bash
# The real AOSP NSC parser (SDK 34 under Robolectric 4.17) as the oracle for
# `pinset generate android-nsc` and `pinset import android-nsc`: the case writer
# (tests/src/bin/oracle-cases.rs) writes generated and hand-written/random NSC files with
# pinset's per-host meaning; the test parses each with XmlConfigSource/ApplicationConfig
# (release and debuggable) and compares. PINSET_ORACLE_SEED picks other random cases.
# Then the same cases on SDK 36 (Android 16, which reads <certificateTransparency>) when a Java 21+
# runtime is found (JAVA21_HOME, or one under /usr/lib/jvm): Robolectric runs SDK 36 only on Java 21+.
set -euo pipefail
cd "$(dirname "$0")"
(cd ../.. && cargo build --locked -q -p pinset-tests --bin oracle-cases)
rm -rf target/cases
../../target/debug/oracle-cases nsc target/cases ${PINSET_ORACLE_SEED:-}
# One run of the oracle on one SDK: `nsc_oracle SDK JAVA_HOME [mvn args...]` (an empty JAVA_HOME
# keeps the caller's). Each run must report the SDK it was asked for.
# overwrite: the two runs copy different robolectric.properties into the same target/test-classes,
# and the resources plugin skips a source file older than its copy (a fresh clone's files are).
nsc_oracle() {
  local sdk=$1 java=()
  [ -z "$2" ] || java=("JAVA_HOME=$2")
  shift 2
  env "${java[@]}" mvn -B -q --no-transfer-progress -Dmaven.resources.overwrite=true "$@" test |
    tee "target/sdk$sdk.log"
  grep -q "^nsc-oracle: SDK $sdk;" "target/sdk$sdk.log" ||
    { echo "android-nsc: the SDK $sdk run did not run on SDK $sdk" >&2; exit 1; }
}
nsc_oracle 34 ""
java21=${JAVA21_HOME:-}
if [ -z "$java21" ]; then
  for j in /usr/lib/jvm/*/; do
    # Debian also keeps directories without a runtime there (e.g. /usr/lib/jvm/openjdk-17).
    [ -x "$j/bin/java" ] || continue
    v=$("$j/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' || true)
    if [ -n "$v" ] && [ "${v%%.*}" -ge 21 ] 2>/dev/null; then java21=${j%/}; break; fi
  done
fi
if [ -n "$java21" ]; then
  echo "== NSC oracle on SDK 36 (Android 16: certificateTransparency) with $java21"
  nsc_oracle 36 "$java21" -Psdk36
else
  echo "== NSC oracle on SDK 36: NOT RUN (no Java 21+ runtime; set JAVA21_HOME): certificateTransparency is then checked only by pinset's own tests"
fi
