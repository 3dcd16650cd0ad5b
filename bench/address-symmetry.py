#!/usr/bin/env python3
"""Census for `symmetry vcpus` over vCPUs whose programs differ only in addresses (issue 14 item 2).

Reads every scenario of examples/**/*.mmu and bench/scenarios/*.mmu as text and lists those with
two vCPU threads (on different vCPUs) whose bodies are equal once every number is blanked out: the
scenarios a vCPU-and-page symmetry could apply to. With --run, it also measures what such a
symmetry could save at best on each: the plain search (--no-por) of the scenario alone ("orig"),
of the variant where every such vCPU thread runs the first one's program ("same": the vCPUs touch
the same page), and of that variant with `symmetry vcpus` ("samesym", which today's symmetry
applies). Figures: docs/performance.md, "Symmetry where it is not applied, and why".
With --mirror, it runs each beside its mirror: the two programs' pages swapped in the vCPU threads
and the setup, the other threads unchanged; a page swap that is a symmetry gives the same search.
Usage (from the checkout, after building the CLI): python3 bench/address-symmetry.py [--run] [--mirror]
"""
import glob, itertools, os, re, subprocess, sys, tempfile

NUM = re.compile(r'\b(0x[0-9a-fA-F]+|\d+[KMG]?)\b')


def blocks(text, kw):
    """(start, end, header, body) of each `kw header { body }` at the start of a line."""
    out = []
    for m in re.finditer(r'(?m)^[ \t]*' + kw + r'\s+([^{\n]*)\{', text):
        i, depth = m.end(), 1
        while depth:
            depth += (text[i] == '{') - (text[i] == '}')
            i += 1
        out.append((m.start(), i, m.group(1).strip(), text[m.end():i - 1]))
    return out


def flat(body):
    return ' '.join(body.split())


def main():
    run = '--run' in sys.argv
    mirror_run = '--mirror' in sys.argv
    files = sorted(glob.glob('examples/**/*.mmu', recursive=True)) + sorted(glob.glob('bench/scenarios/*.mmu'))
    n = dict(scenarios=0, two_vcpus=0, equal=0, addresses_only=0)
    tmp = tempfile.mkdtemp(prefix='address-symmetry-')
    for f in files:
        src = re.sub(r'(?m)(^|[ \t])#[^\n]*', r'\1', open(f).read())  # comments may hold braces
        scs = blocks(src, 'scenario')
        if not scs:
            continue
        paths = ''.join(src[a:b] + '\n' for a, b, _, _ in blocks(src[:scs[0][0]], 'path'))
        for a, b, name, _ in scs:
            n['scenarios'] += 1
            sc = src[a:b]
            vt = [(int(re.match(r'vcpu\s+(\d+)', h).group(1)), s, e, flat(body))
                  for s, e, h, body in blocks(sc, 'thread') if re.match(r'vcpu\s+\d+', h)]
            if len({v for v, *_ in vt}) < 2:
                continue
            n['two_vcpus'] += 1
            pairs = [(x, y) for x, y in itertools.combinations(vt, 2) if x[0] != y[0]]
            if any(x[3] == y[3] for x, y in pairs):
                n['equal'] += 1
            addr = [(x, y) for x, y in pairs if x[3] != y[3] and NUM.sub('N', x[3]) == NUM.sub('N', y[3])]
            if not addr:
                continue
            n['addresses_only'] += 1
            print('%s %s: %s' % (f, name, '; '.join('vcpu %d {%s} / vcpu %d {%s}' % (x[0], x[3], y[0], y[3])
                                                   for x, y in addr)))
            if run:
                measure(tmp, paths, sc, vt)
            if mirror_run:
                mirror(tmp, paths, sc, vt, addr[0])
    print(n)


def measure(tmp, paths, sc, vt):
    first = vt[0][3]
    same = sc
    for v, s, e, body in reversed(vt):
        if NUM.sub('N', body) == NUM.sub('N', first):
            same = same[:s] + '  thread vcpu %d { %s }' % (v, first) + same[e:]
    if re.search(r'\bexplore\s*\{', same):
        sym = re.sub(r'\bexplore\s*\{', 'explore {\n    symmetry vcpus\n', same, count=1)
    else:
        i = same.rindex('}')
        sym = same[:i] + '  explore { symmetry vcpus }\n' + same[i:]
    row = []
    for tag, text in (('orig', sc), ('same', same), ('samesym', sym)):
        path = os.path.join(tmp, tag + '.mmu')
        open(path, 'w').write(paths + text + '\n')
        r = subprocess.run(['./mmu', 'check', '-q', '--no-por', path], capture_output=True, text=True)
        states = re.search(r'explored ([0-9,]+) states', r.stdout)
        verdict = r.stdout.split()[0] if r.stdout else 'ERROR'
        row.append('%s %s %s' % (tag, verdict, states.group(1) if states else '?'))
    print('    ' + ', '.join(row))


def mirror(tmp, paths, sc, vt, pair):
    """The scenario with the two vCPU programs' pages swapped in every vCPU thread and every setup
    access, the other threads left as they are: up to renaming the two vCPUs, the image of the
    scenario under the vCPU-and-page swap. If that swap is a symmetry of the transitions, the
    mirror's search is the original's renamed (the same verdicts and counts); different counts show
    it is not. Equal counts prove nothing: where the setup is itself symmetric, the mirror is the
    original with its setup reordered."""
    x, y = NUM.findall(pair[0][3]), NUM.findall(pair[1][3])
    swap = {}
    for a, b in zip(x, y):
        if a != b:
            if swap.get(a, b) != b or swap.get(b, a) != a:
                print('    mirror: no page swap maps one program to the other')
                return
            swap[a], swap[b] = b, a
    def page_swap(text):
        return NUM.sub(lambda m: swap.get(m.group(0), m.group(0)), text)
    second = pair[1][0]
    access = r'(?m)^[ \t]*vcpu %d (?:nested )?(?:read|write|exec) \S+[^\n]*\n' % second
    for asym in (False, True):
        # asym: without the second vCPU's setup accesses, so that a symmetric setup does not make
        # the mirror the original reordered
        base = re.sub(access, '', sc) if asym else sc
        if asym and base == sc:
            continue
        spans = [(s, e) for s, e, h, _ in blocks(base, 'thread') if re.match(r'vcpu\s+\d+', h)]
        out = base
        for (v, _, _, body), (s, e) in reversed(list(zip(vt, spans))):
            out = out[:s] + '  thread vcpu %d { %s }' % (v, page_swap(body)) + out[e:]
        out = re.sub(r'(?m)^([ \t]*vcpu \d+ (?:nested )?(?:read|write|exec) )(\S+)',
                     lambda m: m.group(1) + page_swap(m.group(2)), out)
        row = []
        for tag, text in (('orig', base), ('mirror', out)):
            path = os.path.join(tmp, tag + '.mmu')
            open(path, 'w').write(paths + text + '\n')
            r = subprocess.run(['./mmu', 'check', '-q', '--no-por', path], capture_output=True, text=True)
            verdicts = ' '.join(re.findall(r'(?m)^  (PASS|FAIL|UNKNOWN) ', r.stdout))
            counts = re.search(r'explored ([0-9,]+) states, ([0-9,]+) transitions, max depth (\d+)', r.stdout)
            row.append('%s [%s] %s' % (tag, verdicts, '/'.join(counts.groups()) if counts else '?'))
        print('    swap %s%s: %s' % (' '.join('%s<->%s' % (a, b) for a, b in swap.items() if a < b),
                                     ' without vcpu %d\'s setup accesses' % second if asym else '', ', '.join(row)))


if __name__ == '__main__':
    main()
