#!/bin/sh
# Speed-up of --workers: runs `mmu check --strategy bfs` on each scenario at 1 and at N workers,
# alternating, ROUNDS times, and prints the median search time (the "in N ms" of the report, JVM
# start-up left out), the speed-up, the state counts (which must be equal) and the load average
# before each round. Figures: docs/scaling.md.
# Usage: bench/workers.sh [--rounds R] [--workers N] [FILE ...]   (default: bench/scenarios/*, 3 rounds, 2 workers)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
rounds=3
workers=2
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || set -- bench/scenarios/seed-pre-fix-3vcpus.mmu bench/scenarios/seed-fixed-3vcpus.mmu bench/scenarios/zap-range-8.mmu
./mmu --version >/dev/null   # builds the jar if needed
jar=interpreter/target/mmu-interpreter-0.1.0-SNAPSHOT-cli.jar
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-28s %8s %10s %10s %8s %12s  %s\n' scenario workers "1 (ms)" "N (ms)" speed-up states "load (1 min) per round"
for f in "$@"; do
  t1=""; tn=""; loads=""; s1=""; sn=""
  i=0
  while [ $i -lt "$rounds" ]; do
    loads="$loads $(cut -d' ' -f1 /proc/loadavg)"
    for w in 1 "$workers"; do
      line=$(java ${JAVA_OPTS:--Xms2g -Xmx2g} -jar "$jar" check -q --no-portfolio --strategy bfs --workers "$w" "$f" | grep 'explored' | tail -1)
      ms=$(echo "$line" | sed -E 's/.* in ([0-9]+) ms.*/\1/')
      states=$(echo "$line" | sed -E 's/.*explored ([0-9,]+) states.*/\1/')
      if [ "$w" = 1 ]; then t1="$t1 $ms"; s1=$states; else tn="$tn $ms"; sn=$states; fi
    done
    i=$((i + 1))
  done
  [ "$s1" = "$sn" ] || { echo "$f: state counts differ: $s1 at 1 worker, $sn at $workers" >&2; exit 1; }
  m1=$(echo $t1 | tr ' ' '\n' | median)
  mn=$(echo $tn | tr ' ' '\n' | median)
  printf '%-28s %8s %10s %10s %7.2fx %12s %s\n' "$(basename "$f" .mmu)" "$workers" "$m1" "$mn" \
    "$(echo "$m1 $mn" | awk '{print $1 / $2}')" "$s1" "$loads"
done
