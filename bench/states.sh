#!/bin/sh
# Every example's verdict and state counts, one row per scenario (file, scenario, status, states
# stored, transitions, maximum depth), sorted: the table a change to the model or the explorer is
# compared by ("states.sh" in docs/). Counts are exact and deterministic, so two checkouts' tables
# differ only where the change changes what is explored.
# Usage: bench/states.sh [CHECKOUT] OUT.tsv        (CHECKOUT default: this one; builds its CLI jar)
#        bench/states.sh --compare BASE.tsv NEW.tsv (the rows that differ, and the totals)
set -eu
if [ "${1:-}" = "--compare" ]; then
  exec python3 - "$2" "$3" <<'PY'
import sys
def rows(p):
    return {tuple(l.rstrip("\n").split("\t")[:2]): l.rstrip("\n").split("\t")[2:] for l in open(p) if l.strip()}
a, b = rows(sys.argv[1]), rows(sys.argv[2])
na = ["NA"] * 4
for k in sorted(a.keys() | b.keys()):
    if a.get(k) != b.get(k):
        print("%s | %s: %s -> %s" % (k[0], k[1], " ".join(a.get(k, na)), " ".join(b.get(k, na))))
def total(r): return sum(int(v[1]) for v in r.values() if v[1].isdigit())
print("%d -> %d scenarios, %d -> %d states" % (len(a), len(b), total(a), total(b)))
PY
fi
if [ $# -ge 2 ]; then co=$(cd "$1" && pwd); out=$2; else co=$(cd "$(dirname "$0")/.." && pwd); out=$1; fi
case "$out" in /*) ;; *) out="$(pwd)/$out" ;; esac
cd "$co"
json=$(mktemp)
trap 'rm -f "$json"' EXIT
# Exit 1 (a FAIL) still writes its rows; a missing report is the error.
./mmu test -q --jobs "$(nproc)" --format json examples > "$json" || [ -s "$json" ]
python3 - "$json" "$out" <<'PY'
import json, sys
from collections import Counter
d = json.load(open(sys.argv[1]))
rows = []
for f in d["files"]:
    for s in f.get("scenarios") or []:
        st = s.get("stats") or {}
        rows.append((s["file"], s["name"], s["status"]) + tuple(str(st.get(k, "NA")) for k in ("statesStored", "transitions", "maxDepth")))
with open(sys.argv[2], "w") as o:
    for r in sorted(rows):
        o.write("\t".join(r) + "\n")
print("%d scenarios %s, %d states" % (len(rows), dict(Counter(r[2] for r in rows)), sum(int(r[3]) for r in rows if r[3] != "NA")))
PY
