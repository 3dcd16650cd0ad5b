#!/bin/sh
# Issue 14's suite target: 1,000 small scenario files through `mmu test` in <= 10 s. Copies the
# examples with fewer than MAX_STATES states per scenario (default 200) round-robin into N files
# (default 1000) in a temporary directory, runs `mmu test --jobs J` on it once, and prints the
# file count, the verdict line, the wall time and the peak RSS.
# Usage: bench/many-files.sh [N [JOBS]]      (JOBS default: the processors)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
n=${1:-1000}
jobs=${2:-$(nproc)}
max=${MAX_STATES:-200}
jar="$root/interpreter/target/mmu-interpreter-0.1.0-SNAPSHOT-cli.jar"
[ -f "$jar" ] || (cd "$root" && mvn -B -ntp -q -DskipTests -Dinvoker.skip -pl interpreter -am package >&2)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The small examples: every scenario of the file below max states in a plain `mmu check`.
for f in $(find "$root/examples" -name '*.mmu' | sort); do
  java -jar "$jar" check -q --format json "$f" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = [x for f in d["files"] for x in f["scenarios"]]
sys.exit(0 if s and all(x["status"] == "PASS" and (x.get("stats") or {}).get("statesStored", 1e9) < '"$max"' for x in s) else 1)
' && echo "$f"
done > "$work/small"
k=$(wc -l < "$work/small")
i=0
while [ "$i" -lt "$n" ]; do
  src=$(sed -n "$((i % k + 1))p" "$work/small")
  cp "$src" "$work/f$i.mmu"
  i=$((i + 1))
done
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $n files from $k small examples, --jobs $jobs"
/usr/bin/time -f 'wall %e s, user %U s, sys %S s, peak RSS %M KiB' \
  java -jar "$jar" test -q --jobs "$jobs" "$work" 2>&1 | tail -3
