#!/bin/sh
# SPIN against mmu on the same model, in one go: bench/peers/nx_recovery.pml (SPIN) and its .mmu
# version (bench/peers/gen-mmu.sh), fixed and buggy, NV=2,3 vCPUs x STEPS=3,4 accesses each.
# Prints per run: verdict, states, wall time (process start to end: for SPIN spin+gcc+pan, and
# pan alone), peak RSS, states/s, and the mmu/SPIN ratios. Installs spin (and time) with apt-get
# when missing. Figures and how to read them: docs/performance.md, "Peers".
# Usage: bench/run-peers.sh [NV:STEPS ...]     (default 2:3 2:4 3:3 3:4)
# Environment: MMU_TIME (mmu's --time per run, default 120s), MMU_JAVA (more JVM options, passed
# to ./mmu as JAVA_TOOL_OPTIONS, default -Xmx8g), MMU_ARGS (more `mmu check` options, e.g. --hash-compaction), PAN_MEMLIM (MB, 20000).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
need() { # $1 command, $2 Debian package
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/bin/$1" ] && return 0
  echo "installing $2 (apt-get)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$2" >&2
  else sudo apt-get update -qq && sudo apt-get install -y -qq "$2" >&2; fi
}
need spin spin
need gcc gcc
need /usr/bin/time time
"$root/mmu" --version >/dev/null # builds the jar and its class-data sharing archive if needed, untimed
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sizes=${*:-2:3 2:4 3:3 3:4}
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $(spin -V | head -1); $(java -version 2>&1 | head -1)"
printf '%-7s %-3s %-5s %-14s %-8s %12s %9s %9s %9s %12s\n' variant NV STEPS checker verdict states "wall s" "pan s" "RSS MiB" "states/s"
for buggy in 0 1; do
  for size in $sizes; do
    nv=${size%:*} steps=${size#*:}
    if [ "$buggy" = 1 ]; then variant=buggy; else variant=fixed; fi
    d="$work/$variant-$nv-$steps"; mkdir -p "$d"
    # SPIN: generate, compile, run (stops at the first assertion violation), trail for a trace.
    cp "$here/peers/nx_recovery.pml" "$d/"
    t0=$(date +%s.%N)
    (cd "$d" && spin -DBUGGY=$buggy -DNV=$nv -DSTEPS=$steps -a nx_recovery.pml >/dev/null \
      && gcc -O2 -DSAFETY -DMEMLIM=${PAN_MEMLIM:-20000} -o pan pan.c \
      && /usr/bin/time -f '%e %M' -o pan.time ./pan -m10000000 >pan.out 2>&1 || true)
    [ "$buggy" = 1 ] && [ -f "$d/nx_recovery.pml.trail" ] && (cd "$d" && spin -t -DBUGGY=$buggy -DNV=$nv -DSTEPS=$steps nx_recovery.pml >/dev/null 2>&1 || true)
    t1=$(date +%s.%N)
    s_states=$(awk '/states, stored/ {print $1; exit}' "$d/pan.out")
    s_err=$(awk '/errors:/ {print $NF; exit}' "$d/pan.out")
    read -r s_pan s_rss <<EOT
$(tail -1 "$d/pan.time")
EOT
    s_wall=$(echo "$t1 - $t0" | bc)
    if [ "$s_err" = 0 ]; then s_v=PASS; else s_v=FAIL; fi
    # mmu: the generated scenario, default options, run as a user runs it (./mmu: its JVM options).
    sh "$here/peers/gen-mmu.sh" "$nv" "$steps" "$buggy" > "$d/nx.mmu"
    t0=$(date +%s.%N)
    JAVA_TOOL_OPTIONS="${MMU_JAVA:--Xmx8g}" /usr/bin/time -f '%e %M' -o "$d/mmu.time" "$root/mmu" check -q \
      --time="${MMU_TIME:-120s}" ${MMU_ARGS:-} "$d/nx.mmu" >"$d/mmu.out" 2>&1 || true
    t1=$(date +%s.%N)
    m_states=$(sed -n 's/.*explored \([0-9,]*\) states.*/\1/p' "$d/mmu.out" | tr -d , | head -1)
    m_v=$(awk '$1 ~ /^(PASS|FAIL|UNKNOWN|ERROR)$/ {print $1; exit}' "$d/mmu.out")
    read -r _ m_rss <<EOT
$(tail -1 "$d/mmu.time")
EOT
    m_wall=$(echo "$t1 - $t0" | bc)
    rate() { echo "scale=0; $1 / $2" | bc 2>/dev/null || echo -; }
    printf '%-7s %-3s %-5s %-14s %-8s %12s %9.2f %9.2f %9d %12s\n' $variant $nv $steps "SPIN" "$s_v" "$s_states" "$s_wall" "$s_pan" $((s_rss / 1024)) "$(rate "$s_states" "$s_pan")"
    printf '%-7s %-3s %-5s %-14s %-8s %12s %9.2f %9s %9d %12s\n' $variant $nv $steps "mmu" "$m_v" "$m_states" "$m_wall" - $((m_rss / 1024)) "$(rate "$m_states" "$m_wall")"
    printf '%-7s %-3s %-5s %-14s %-8s %12s %9s %9s %9s %12s\n' $variant $nv $steps "mmu/SPIN" "" \
      "$(echo "scale=2; $m_states / $s_states" | bc)" "$(echo "scale=2; $m_wall / $s_wall" | bc)" "" \
      "$(echo "scale=2; $m_rss / $s_rss" | bc)" ""
    grep -m1 -E '^  (FAIL|UNKNOWN)' "$d/mmu.out" | sed 's/^/        mmu: /' || true
  done
done
