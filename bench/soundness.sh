#!/bin/sh
# The soundness suite's long run: generated scenarios (ScenarioGenerator, seeds FIRST ..
# FIRST+COUNT-1) checked against every reduction and strategy by the examples module's
# ReductionsAgreeTest, as mvn verify does for seeds 1..200, but many more. Prints the figures:
# scenarios, skipped as too big, disagreements, time. Each disagreement names its seed; the
# scenario and the assertion are in examples/target/surefire-reports/. Rerun one seed with COUNT 1.
# Usage: bench/soundness.sh [FIRST_SEED [COUNT]]        (defaults: 1 10000)
set -eu
first=${1:-1}
count=${2:-10000}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
status=0
mvn -B -ntp -o -pl examples -am test -Dtest='ReductionsAgreeTest#generatedScenarios' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dsoundness.seed="$first" -Dsoundness.count="$count" \
  >"$log" 2>&1 || status=$?
grep -E 'soundness:|Tests run:.*ReductionsAgreeTest' "$log" | sed 's/^.*soundness:/soundness:/; s/^\[[A-Z]*\] //' || true
grep -oE 'generatedScenarios.*seed [0-9]+:' "$log" | grep -oE 'seed [0-9]+' | sort -u -k2n | tr '\n' ' ' || true
echo
if [ "$status" -ne 0 ]; then
  echo "details: examples/target/surefire-reports/dev.mmu.examples.ReductionsAgreeTest.txt"
fi
echo "seeds $first .. $((first + count - 1)), wall time $(( $(date +%s) - start )) s, exit $status"
exit $status
