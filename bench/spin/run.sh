#!/bin/sh
# SPIN peer comparison on bench/scenarios/seed-spin.mmu (bench/spin/seed.pml; docs/performance.md argues the
# model equivalence step by step). Installs spin with apt-get if it is missing, runs SPIN
# exhaustively with and without its partial-order reduction, then our explorer on the same
# scenarios, and prints states stored, transitions and time side by side (equal counts expected:
# SPIN default = mmu full, SPIN -o2 = mmu fullS, for the whole model and each restriction).
# Usage: bench/spin/run.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if ! command -v spin >/dev/null 2>&1; then
  echo "installing spin (apt-get)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq spin >&2
  else sudo apt-get update -qq && sudo apt-get install -y -qq spin >&2; fi
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/seed.pml" "$work/"
cd "$work"
printf '%-34s %-22s %10s %12s %10s %s\n' "model" "search" "states" "transitions" "time (s)" "result"
echo "(SPIN's transitions = stored + matched: one more than the edges, for the initial state)"
run_spin() { # $1 label, $2 spin flags, $3 cc flags, $4 pan flags, $5 search
  spin $2 -a seed.pml >/dev/null 2>&1
  gcc -O2 -DSAFETY $3 -o pan pan.c
  out=$(./pan -m1000000 $4 2>&1 || true)
  states=$(echo "$out" | awk '/states, stored/ {print $1; exit}')
  trans=$(echo "$out" | awk '/transitions \(= stored\+matched\)/ {print $1; exit}')
  secs=$(echo "$out" | awk '/pan: elapsed time/ {print $4; exit}')
  errs=$(echo "$out" | awk '/errors:/ {print $NF; exit}')
  printf '%-34s %-22s %10s %12s %10s %s\n' "$1" "$5" "$states" "$trans" "$secs" "errors: $errs"
}
spin -V | head -1
# -o2 keeps write-only variables (kvm->stat.remote_tlb_flush): the state of the mmu row fullS.
run_spin "SPIN seed.pml (fixed)" "" "" "" "exhaustive, POR"
run_spin "SPIN seed.pml (fixed)" "" "-DNOREDUCE" "" "exhaustive, no POR"
run_spin "SPIN seed.pml (fixed), -o2" "-o2" "" "" "exhaustive, POR"
run_spin "SPIN seed.pml (fixed), -o2" "-o2" "-DNOREDUCE" "" "exhaustive, no POR"
run_spin "SPIN seed.pml -DPREFIX (bug)" "-DPREFIX" "" "" "stop at 1st error, POR"
# Two-thread restrictions: one process (and one mmu thread) left out, to localise any mismatch:
# seed.pml's -DWITHOUT_<THREAD> starts that process finished.
for drop in recovery host vcpu; do
  def="-DWITHOUT_$(echo "$drop" | tr a-z A-Z)"
  run_spin "SPIN seed.pml without $drop" "$def" "-DNOREDUCE" "" "exhaustive, no POR"
  run_spin "SPIN seed.pml without $drop, -o2" "-o2 $def" "-DNOREDUCE" "" "exhaustive, no POR"
  grep -v "^  thread $drop\|^  explore" "$root/bench/scenarios/seed-spin.mmu" > "$work/seed-without-$drop.mmu"
done
echo
echo "mmu explorer (check = the scenario's own options; full = exhaustive DFS, no expectations, unread"
echo "stats and dead locals left out: compare with SPIN's default; fullS = every stat kept, dead locals"
echo "left out: compare with -o2; fullO = every stat and local kept; por = full with partial-order reduction):"
cd "$root"
# the CLI jar and the bench classes (package, not install)
mvn -B -ntp -q -DskipTests -Dinvoker.skip -pl bench -am package >&2
java ${JAVA_OPTS:--Xms2g -Xmx2g} -cp "bench/target/classes:interpreter/target/mmu-interpreter-0.1.0-SNAPSHOT-cli.jar" \
  dev.mmu.bench.Bench --repeat 3 --no-memory bench/scenarios/seed-spin.mmu "$work"/seed-without-*.mmu
