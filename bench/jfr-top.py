#!/usr/bin/env python3
"""Top frames of a JFR recording's execution samples: self time by method and by line, and the
inclusive share of each method (a method counts once per sample however deep it recurs).
Usage: jfr print --events jdk.ExecutionSample --stack-depth 64 X.jfr > X.txt; bench/jfr-top.py X.txt [N]
(docs/performance.md, "Per-state cost ... twenty-fifth session")."""
import collections
import re
import sys

by_method, by_line, inclusive = collections.Counter(), collections.Counter(), collections.Counter()
samples = 0
frames, top_line, in_stack = [], None, False


def flush():
    global samples
    if not frames:
        return
    samples += 1
    by_method[frames[0]] += 1
    by_line[f"{frames[0]}:{top_line}"] += 1
    for m in set(frames):
        inclusive[m] += 1


for line in open(sys.argv[1]):
    s = line.strip()
    if s.startswith("jdk.ExecutionSample"):
        flush()
        frames, in_stack = [], False
    elif s.startswith("stackTrace = ["):
        in_stack = True
    elif in_stack:
        if s.startswith("]") or s == "...":
            in_stack = False
            continue
        m = re.match(r"(.+?)\(", s)
        if m:
            if not frames:
                at = re.search(r"line: (\d+)", s)
                top_line = at.group(1) if at else None
            frames.append(m.group(1))
flush()
n = int(sys.argv[2]) if len(sys.argv) > 2 else 30
print("samples", samples)
for title, counts, k in (("self, by method", by_method, n), ("self, by line", by_line, n), ("inclusive", inclusive, 2 * n)):
    print("---", title)
    for name, c in counts.most_common(k):
        print(f"{100 * c / max(samples, 1):5.1f}% {name}")
