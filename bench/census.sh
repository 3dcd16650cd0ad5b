#!/bin/sh
# State-component census (dev.mmu.bench.StateCensus): which parts of the state multiply the
# states of a scenario's plain search (its own symmetry, no partial-order reduction). For each
# component (page tables, SPTE A/D bits, TLBs, mmu_lock's queue, each kind of thread's pc and
# locals, ...) the states left once it is projected out of the key; then the pairs of the
# components listed and the groups given. Figures: docs/performance.md ("State-component census").
# Usage: bench/census.sh FILE [A,B,C] [A,B,C ...]   (JAVA_OPTS default -Xmx3g)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
file=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift
cd "$root"
# In one reactor run, so that the classpath names this checkout's modules, not ~/.m2's.
mvn -B -ntp -q -DskipTests -Dinvoker.skip -pl bench -am package dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt >&2
exec java ${JAVA_OPTS:--Xmx3g} -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.mmu.bench.StateCensus "$file" "$@"
