#!/bin/sh
# The long front-end fuzz run (issue: reliability): mutated .mmu inputs through parser, checker,
# compiler and a tiny bounded search. Usage: bench/fuzz.sh [INPUTS [SEED]] (default 1000000 1).
# Prints inputs/s, crashes, hangs and unlocated errors; failing inputs go to
# interpreter/target/fuzz-failures/. Figures go in docs/reliability.md.
set -eu
cd "$(dirname "$0")/.."
inputs=${1:-1000000}
seed=${2:-1}
status=0
mvn -B -ntp -q -pl interpreter -am test -Dinvoker.skip -Dtest=FrontendFuzzTest \
  -Dsurefire.failIfNoSpecifiedTests=false -Dfuzz.inputs="$inputs" -Dfuzz.seed="$seed" \
  -Dsurefire.timeout=0 >/dev/null 2>&1 || status=$?
# The test prints its figures; Surefire keeps them in its report.
grep -ho 'fuzz: [^<]*' interpreter/target/surefire-reports/TEST-dev.mmu.interp.fuzz.FrontendFuzzTest.xml
exit "$status"
