#!/bin/sh
# Speed-up of --workers: runs `mmu check --strategy bfs` on each scenario at 1 and at N workers,
# alternating, ROUNDS times, and prints for each run the load average before it, the wall time
# and the process's CPU time (user + sys, /usr/bin/time), the search's own "in N ms", and the
# state count (which must be equal). Then, per scenario, the medians: the wall-time speed-up and
# the CPU overhead (CPU at N / CPU at 1), which, unlike wall time, a loaded machine hardly moves.
# Figures: docs/performance.md ("Parallel breadth-first search that scales") and docs/scaling.md.
# Usage: bench/workers.sh [--rounds R] [--workers N] [--jar JAR] [FILE ...]
#   (default: bench/scenarios/*, 3 rounds, 2 workers, the worktree's jar; JAVA_OPTS default -Xms2g -Xmx2g:
#   a fixed heap, so that heap growth does not blur the comparison)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=3
workers=2
jar=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    *) break ;;
  esac
done
cd "$here"
[ $# -gt 0 ] || set -- bench/scenarios/seed-pre-fix-3vcpus.mmu bench/scenarios/seed-fixed-3vcpus.mmu bench/scenarios/zap-range-8.mmu
if [ -z "$jar" ]; then
  ./mmu --version >/dev/null   # builds the jar if needed
  jar=interpreter/target/mmu-interpreter-0.1.0-SNAPSHOT-cli.jar
fi
[ -x /usr/bin/time ] || { echo "bench/workers.sh: needs /usr/bin/time (GNU time) for the CPU figures" >&2; exit 2; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '%-28s %7s %6s %8s %8s %9s %12s\n' scenario workers load "wall s" "cpu s" "search ms" states
for f in "$@"; do
  name=$(basename "$f" .mmu)
  w1=""; wn=""; c1=""; cn=""; s1=""; sn=""
  i=0
  while [ $i -lt "$rounds" ]; do
    for w in 1 "$workers"; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      # shellcheck disable=SC2086
      /usr/bin/time -f '%e %U %S' -o "$out" java ${JAVA_OPTS:--Xms2g -Xmx2g} -jar "$jar" check -q --no-portfolio \
        --max-states=2000000000 --strategy bfs --workers "$w" "$f" > "$out.report" || true
      line=$(grep 'explored' "$out.report" | tail -1)
      ms=$(echo "$line" | sed -E 's/.* in ([0-9]+) ms.*/\1/')
      states=$(echo "$line" | sed -E 's/.*explored ([0-9,]+) states.*/\1/')
      wall=$(tail -1 "$out" | awk '{print $1}')
      cpu=$(tail -1 "$out" | awk '{printf "%.2f", $2 + $3}')
      printf '%-28s %7s %6s %8s %8s %9s %12s\n' "$name" "$w" "$load" "$wall" "$cpu" "$ms" "$states"
      if [ "$w" = 1 ]; then w1="$w1 $wall"; c1="$c1 $cpu"; s1=$states; else wn="$wn $wall"; cn="$cn $cpu"; sn=$states; fi
    done
    i=$((i + 1))
  done
  rm -f "$out.report"
  [ "$s1" = "$sn" ] || { echo "$f: state counts differ: $s1 at 1 worker, $sn at $workers" >&2; exit 1; }
  mw1=$(echo $w1 | tr ' ' '\n' | median); mwn=$(echo $wn | tr ' ' '\n' | median)
  mc1=$(echo $c1 | tr ' ' '\n' | median); mcn=$(echo $cn | tr ' ' '\n' | median)
  echo "$name: medians wall $mw1 s at 1, $mwn s at $workers (speed-up $(echo "$mw1 $mwn" | awk '{printf "%.2fx", $1 / $2}')); cpu $mc1 s at 1, $mcn s at $workers (overhead $(echo "$mc1 $mcn" | awk '{printf "%.2fx", $2 / $1}'))"
done
