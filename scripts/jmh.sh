#!/usr/bin/env bash
# The JMH microbenchmarks of issue 12 (mptcp-core/src/test/java/io/jmptcp/core/bench): the codec,
# the checksums, connection-level reassembly and the scheduler's decision. Arguments go to JMH
# (e.g. "Checksum" to run one class, -prof gc for allocation); the default is a short run:
# 1 fork, 3 warm-up and 5 measured iterations of 1 s each.
#
#   scripts/jmh.sh [JMH options and benchmark regexps]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
mvn -B -q -o -pl mptcp-core test-compile 2>/dev/null || mvn -B -q -pl mptcp-core test-compile
CP_FILE=$(mktemp)
trap 'rm -f "$CP_FILE"' EXIT
mvn -B -q -o -pl mptcp-core dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >/dev/null 2>&1 \
  || mvn -B -q -pl mptcp-core dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >/dev/null
CP="mptcp-core/target/test-classes:mptcp-core/target/classes:$(cat "$CP_FILE")"
if (($# == 0)); then
  set -- -f 1 -wi 3 -i 5 -w 1s -r 1s
fi
exec java -cp "$CP" org.openjdk.jmh.Main "$@"
