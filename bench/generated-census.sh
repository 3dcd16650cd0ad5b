#!/bin/sh
# Generated scenarios' sizes and coverage (dev.mmu.bench.GeneratedCensus): for each seed the plain
# search's states (the soundness suite's reference), the generator features its text shows, the
# ops its search reaches and its verdicts; then the distribution, which features the big ones have,
# and what the seeds small enough to check whole cover. Figures: docs/testing.md ("Generated
# scenarios that stay checkable").
# Usage: bench/generated-census.sh [FIRST [COUNT [BUDGET [LIMIT]]]]  (defaults 1 1000 200000 15000; JAVA_OPTS -Xmx3g)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -B -ntp -q -DskipTests -Dinvoker.skip -pl bench -am package dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt >&2
exec java ${JAVA_OPTS:--Xmx3g} -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.mmu.bench.GeneratedCensus \
  "${1:-1}" "${2:-1000}" "${3:-200000}" "${4:-15000}"
