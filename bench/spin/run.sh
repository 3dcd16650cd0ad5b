#!/bin/sh
# SPIN peer comparison on bench/scenarios/seed-spin.mmu (bench/spin/seed.pml; docs/performance.md argues the
# model equivalence step by step). Installs spin with apt-get if it is missing, runs SPIN
# exhaustively with and without its partial-order reduction, then our explorer on the same
# scenarios, and prints states stored, transitions and time side by side.
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
  spin $2 -a seed.pml >/dev/null
  gcc -O2 -DSAFETY $3 -o pan pan.c
  out=$(./pan -m1000000 $4 2>&1 || true)
  states=$(echo "$out" | awk '/states, stored/ {print $1; exit}')
  trans=$(echo "$out" | awk '/transitions \(= stored\+matched\)/ {print $1; exit}')
  secs=$(echo "$out" | awk '/pan: elapsed time/ {print $4; exit}')
  errs=$(echo "$out" | awk '/errors:/ {print $NF; exit}')
  printf '%-34s %-22s %10s %12s %10s %s\n' "$1" "$5" "$states" "$trans" "$secs" "errors: $errs"
}
spin -V | head -1
# -o2 keeps write-only variables (kvm->stat.remote_tlb_flush): the same state as the mmu model.
run_spin "SPIN seed.pml (fixed)" "" "" "" "exhaustive, POR"
run_spin "SPIN seed.pml (fixed)" "" "-DNOREDUCE" "" "exhaustive, no POR"
run_spin "SPIN seed.pml (fixed), -o2" "-o2" "" "" "exhaustive, POR"
run_spin "SPIN seed.pml (fixed), -o2" "-o2" "-DNOREDUCE" "" "exhaustive, no POR"
run_spin "SPIN seed.pml -DPREFIX (bug)" "-DPREFIX" "" "" "stop at 1st error, POR"
# Two-thread restrictions: one process (and one mmu thread) left out, to localise any mismatch.
for drop in recovery host vcpu; do
  sed "s/^active proctype $drop() {\$/active proctype $drop() {\n  goto fin;/" seed.pml \
    | awk -v p="active proctype $drop()" 'index($0, p) == 1 {inp = 1} inp && /^end: false/ {sub(/^end:/, "fin: end:"); inp = 0} {print}' \
    > "without-$drop.pml"
  cp "without-$drop.pml" seed.pml.tmp && mv seed.pml seed.pml.full && mv seed.pml.tmp seed.pml
  run_spin "SPIN seed.pml without $drop" "" "-DNOREDUCE" "" "exhaustive, no POR"
  run_spin "SPIN seed.pml without $drop, -o2" "-o2" "-DNOREDUCE" "" "exhaustive, no POR"
  mv seed.pml.full seed.pml
  grep -v "^  thread $drop\|^  explore" "$root/bench/scenarios/seed-spin.mmu" > "$work/seed-without-$drop.mmu"
done
echo
echo "mmu explorer (check = the scenario's own options; full = exhaustive DFS, no expectations,"
echo "unread stats left out: compare with SPIN's default; fullO = every stat kept: compare with -o2):"
cd "$root"
"$root/bench/run.sh" --repeat 3 --no-memory bench/scenarios/seed-spin.mmu "$work"/seed-without-*.mmu
