#!/bin/sh
# Issue 14 item 5: the buggy benchmark (bench/peers/gen-mmu.sh NV 3 1) from process start to FAIL
# with the shortest trace, as `./mmu check` runs it: the median wall and user+sys CPU time of
# ROUNDS runs. With OTHER (a command that takes the scenario file last, e.g. "java -jar old.jar
# check"), its runs alternate with ./mmu's, so that both see the same load. Figures:
# docs/performance.md, "Start-up".
# Usage: bench/startup.sh [NV [ROUNDS [OTHER]]]      (default NV 2, ROUNDS 7)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
nv=${1:-2}
rounds=${2:-7}
other=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sh "$here/peers/gen-mmu.sh" "$nv" 3 1 > "$work/buggy.mmu"
"$root/mmu" --version >/dev/null # builds the jar and its class-data sharing archive if needed, untimed
timed() { # $1 label, $2 command
  /usr/bin/time -f "$1 %e %U %S" -o "$work/t" sh -c "$2 \"$work/buggy.mmu\" >\"$work/out\" 2>&1" || true
  grep -q 'FAIL    expect never stale_tlb_at_unlock  (shortest (BFS))' "$work/out" || { echo "$1: no FAIL" >&2; exit 1; }
  tail -1 "$work/t" >> "$work/times"
}
i=0
while [ "$i" -lt "$rounds" ]; do
  timed mmu "$root/mmu check"
  [ -z "$other" ] || timed other "$other"
  i=$((i + 1))
done
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); buggy NV=$nv STEPS=3, $rounds rounds"
for label in mmu ${other:+other}; do
  awk -v l="$label" '$1 == l { print $2, $3 + $4 }' "$work/times" | sort -n | awk '{ w[NR] = $1 } END { printf "%s", w[int((NR + 1) / 2)] }' > "$work/w"
  awk -v l="$label" '$1 == l { print $3 + $4 }' "$work/times" | sort -n | awk '{ c[NR] = $1 } END { printf "%s", c[int((NR + 1) / 2)] }' > "$work/c"
  echo "$label: wall median $(cat "$work/w") s, user+sys median $(cat "$work/c") s"
done
