#!/bin/sh
# Explorer benchmark: builds the CLI jar and the bench classes, then runs dev.mmu.bench.Bench on
# examples/ and bench/scenarios/ (or the files/folders given). Figures: docs/performance.md.
# Usage: bench/run.sh [--repeat N] [--no-memory] [FILE|DIR ...]    (JAVA_OPTS to change the heap)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
mvn -B -ntp -q -DskipTests -pl bench -am install >&2
exec java ${JAVA_OPTS:--Xms2g -Xmx2g} -cp "bench/target/classes:interpreter/target/mmu-interpreter-0.1.0-SNAPSHOT-cli.jar" \
  dev.mmu.bench.Bench "$@"
