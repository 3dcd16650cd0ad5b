#!/bin/sh
# JMH microbenchmarks of the explorer's hot paths (bench/src/main/java/dev/mmu/bench/ExplorerHotPaths.java):
# state key (encode + hash), visited-set insert, successor generation. `mvn verify` only compiles them.
# Usage: bench/jmh.sh [JMH options, e.g. -f 1 -wi 2 -i 3 -p scenario=bench/scenarios/seed-fixed-3vcpus.mmu]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# In one reactor run, so that the classpath names this checkout's modules, not ~/.m2's.
mvn -B -ntp -q -DskipTests -Dinvoker.skip -pl bench -am package dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt >&2
exec java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.openjdk.jmh.Main ExplorerHotPaths "$@"
