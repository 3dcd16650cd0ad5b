package dev.mmu.bench;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.explore.TransitionSystem;
import dev.mmu.runtime.explore.VisitedSet;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Benchmarks the explorer on .mmu scenarios (bench/run.sh runs it; docs/performance.md has the
 * figures). For each scenario:
 * <ul>
 *   <li>check: the scenario as `mmu check` runs it (its own strategy, expectations, early stop);
 *   <li>full: an exhaustive DFS with no expectations (the whole reachable space), timed with the
 *       visited set keyed on the compact encoding and on the state objects (without partial-order reduction);
 *   <li>fullS: the full search keyed on the encoding with every stat kept and dead locals left out:
 *       the state SPIN keeps with {@code spin -o2} (bench/spin/run.sh compares the two);
 *   <li>por: the full search with partial-order reduction (the scenario's expectations decide what is visible);
 *   <li>sym: the full search with vCPU symmetry (only where some state has a permuted twin);
 *   <li>memory: retained heap of a visited set holding every reachable state, as objects, as
 *       encodings and as 64-bit fingerprints (hash compaction), measured as used heap after full GCs with and without the set (so page tables
 *       shared copy-on-write between states are counted once).
 * </ul>
 * Timings are the median of --repeat runs after one warm-up; counts are deterministic.
 */
public final class Bench {

    public static void main(String[] args) throws IOException {
        int repeat = 3;
        boolean memory = true;
        List<Path> roots = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                case "--no-memory" -> memory = false;
                default -> roots.add(Path.of(args[i]));
            }
        }
        if (roots.isEmpty()) {
            roots = List.of(Path.of("examples"), Path.of("bench/scenarios"));
        }
        System.out.printf(Locale.ROOT, "java %s, max heap %d MB, %d cpus%n", System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-44s %-5s %10s %11s %9s %11s %9s %11s %11s %9s%n", "scenario", "run",
                "states", "transitions", "ms", "states/s", "peak MB", "B/st objs", "B/st packed", "packed len");
        for (Path file : files(roots)) {
            Loaded loaded = ScenarioLoader.load(file);
            if (loaded.hasErrors()) {
                System.out.println(file + ": does not load: " + loaded.diagnostics());
                continue;
            }
            for (CompiledScenario sc : loaded.scenarios()) {
                String name = shortName(file, sc, loaded.scenarios().size());
                MmuSystem system = new MmuSystem(sc.program());
                check(name, system, sc, repeat);
                full(name, system, repeat, memory);
            }
        }
    }

    private static void check(String name, MmuSystem system, CompiledScenario sc, int repeat) {
        Timed<ExploreResult<VmState>> t = timed(repeat, () -> Explorer.explore(system, sc.expectations(), sc.options()));
        var st = t.value.stats();
        row(name, "check", st.statesStored(), st.transitions(), t.medianMillis, st.peakHeapBytes(), -1, -1, -1);
        System.out.printf(Locale.ROOT, "%-44s %-5s %s%n", "", "", t.value.outcomes().stream()
                .map(o -> o.verdict().toString()).toList());
    }

    private static void full(String name, MmuSystem system, int repeat, boolean memory) {
        ExploreOptions dfs = ExploreOptions.builder().strategy(ExploreOptions.Strategy.DFS)
                .shortestCounterexample(false).partialOrder(false).build();
        Timed<ExploreResult<VmState>> packed = timed(repeat, () -> Explorer.explore(system, List.of(), dfs));
        Timed<ExploreResult<VmState>> objects = timed(repeat,
                () -> Explorer.explore(new ObjectKeys<>(system), List.of(), dfs));
        long perObject = -1;
        long perPacked = -1;
        long perFingerprint = -1;
        long perArena = -1;
        long perArenaFingerprint = -1;
        double len = -1;
        if (memory) {
            try {
                perObject = retainedPerState(system, Keys.OBJECTS);
            } catch (OutOfMemoryError e) {
                perObject = -1; // the object graph of every state does not fit: the column stays empty
                System.gc();
            }
            perPacked = retainedPerState(system, Keys.PACKED);
            perFingerprint = retainedPerState(system, Keys.FINGERPRINTS);
            perArena = retainedPerStateVisitedSet(system, Keys.PACKED);
            perArenaFingerprint = retainedPerStateVisitedSet(system, Keys.FINGERPRINTS);
            len = meanPackedLength(system);
        }
        var p = packed.value.stats();
        var o = objects.value.stats();
        row(name, "full", p.statesStored(), p.transitions(), packed.medianMillis, p.peakHeapBytes(),
                perObject, perPacked, len);
        if (perFingerprint >= 0) {
            System.out.printf(Locale.ROOT, "%-44s %-5s retained bytes/state with hash compaction: %d;"
                    + " in the searches' VisitedSet: packed %d, fingerprints %d%n", "", "",
                    perFingerprint, perArena, perArenaFingerprint);
        }
        row(name, "fullO", o.statesStored(), o.transitions(), objects.medianMillis, o.peakHeapBytes(), -1, -1, -1);
        Timed<ExploreResult<VmState>> stats = timed(repeat, () -> Explorer.explore(new StatKeys(system), List.of(), dfs));
        var k = stats.value.stats();
        row(name, "fullS", k.statesStored(), k.transitions(), stats.medianMillis, k.peakHeapBytes(), -1, -1, -1);
        Timed<ExploreResult<VmState>> por = timed(repeat,
                () -> Explorer.explore(system, List.of(), dfs.toBuilder().partialOrder(true).build()));
        var r = por.value.stats();
        row(name, "por", r.statesStored(), r.transitions(), por.medianMillis, r.peakHeapBytes(), -1, -1, -1);
        if (!system.canonical(system.initial()).equals(system.initial()) || hasSymmetry(system)) {
            Timed<ExploreResult<VmState>> sym = timed(repeat,
                    () -> Explorer.explore(system, List.of(), dfs.toBuilder().symmetry(true).build()));
            var y = sym.value.stats();
            row(name, "sym", y.statesStored(), y.transitions(), sym.medianMillis, y.peakHeapBytes(), -1, -1, -1);
        }
    }

    /** Whether vCPU symmetry merges anything: some reachable state is not its own canonical form. */
    private static boolean hasSymmetry(MmuSystem system) {
        Deque<VmState> todo = new ArrayDeque<>(List.of(system.initial()));
        Set<Object> seen = new HashSet<>();
        List<Transition<VmState>> out = new ArrayList<>();
        while (!todo.isEmpty() && seen.size() < 10_000) {
            VmState s = todo.pop();
            if (!system.canonical(s).equals(s)) {
                return true;
            }
            out.clear();
            system.successors(s, out);
            for (Transition<VmState> t : out) {
                if (seen.add(system.key(t.target()))) todo.push(t.target());
            }
        }
        return false;
    }

    private static void row(String name, String run, long states, long transitions, double millis, long peak,
            long perObject, long perPacked, double len) {
        System.out.printf(Locale.ROOT, "%-44s %-5s %10d %11d %9.1f %11.0f %9d %11s %11s %9s%n", name, run, states,
                transitions, millis, states / Math.max(millis / 1000, 1e-6), peak >> 20,
                perObject < 0 ? "" : perObject, perPacked < 0 ? "" : perPacked,
                len < 0 ? "" : String.format(Locale.ROOT, "%.1f", len));
    }

    /** What the measured visited set holds. */
    enum Keys { OBJECTS, PACKED, FINGERPRINTS }

    /** Bytes of heap a visited set of every reachable state retains, per state. */
    static long retainedPerState(MmuSystem system, Keys keys) {
        long before = usedAfterGc();
        Set<Object> set = reachable(system, keys);
        long after = usedAfterGc();
        int n = set.size();
        Reference.reachabilityFence(set);
        return (after - before) / n;
    }

    /** The same for the searches' own visited set (an open-addressing arena / long table). */
    static long retainedPerStateVisitedSet(MmuSystem system, Keys keys) {
        long before = usedAfterGc();
        VisitedSet set = new VisitedSet();
        Deque<VmState> todo = new ArrayDeque<>();
        VmState init = system.initial();
        set.add(key(system, init, keys));
        todo.push(init);
        List<Transition<VmState>> out = new ArrayList<>();
        while (!todo.isEmpty()) {
            VmState s = todo.pop();
            out.clear();
            system.successors(s, out);
            for (Transition<VmState> t : out) {
                if (set.add(key(system, t.target(), keys))) {
                    todo.push(t.target());
                }
            }
        }
        long after = usedAfterGc();
        long n = set.size();
        System.out.printf(Locale.ROOT, "%-44s %-5s VisitedSet of %s: %,d states, its own arrays %.1f B/state%n", "", "",
                keys, n, (double) set.bytes() / n);
        Reference.reachabilityFence(set);
        return (after - before) / n;
    }

    private static double meanPackedLength(MmuSystem system) {
        long total = 0;
        Set<Object> set = reachable(system, Keys.PACKED);
        for (Object k : set) {
            total += ((dev.mmu.runtime.explore.PackedKey) k).length();
        }
        return (double) total / set.size();
    }

    /** The reachable states (or their keys), by a plain DFS that keeps nothing else. */
    private static Set<Object> reachable(MmuSystem system, Keys keys) {
        Set<Object> seen = new HashSet<>();
        Deque<VmState> todo = new ArrayDeque<>();
        VmState init = system.initial();
        seen.add(key(system, init, keys));
        todo.push(init);
        List<Transition<VmState>> out = new ArrayList<>();
        while (!todo.isEmpty()) {
            VmState s = todo.pop();
            out.clear();
            system.successors(s, out);
            for (Transition<VmState> t : out) {
                if (seen.add(key(system, t.target(), keys))) {
                    todo.push(t.target());
                }
            }
        }
        return seen;
    }

    private static Object key(MmuSystem system, VmState s, Keys keys) {
        return switch (keys) {
            case OBJECTS -> s;
            case PACKED -> system.key(s);
            case FINGERPRINTS -> ((dev.mmu.runtime.explore.PackedKey) system.key(s)).fingerprint();
        };
    }

    static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

    private record Timed<T>(T value, double medianMillis) {}

    private static <T> Timed<T> timed(int repeat, java.util.function.Supplier<T> run) {
        T value = run.get(); // warm-up
        double[] ms = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            value = run.get();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return new Timed<>(value, ms[repeat / 2]);
    }

    private static List<Path> files(List<Path> roots) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> p.toString().endsWith(".mmu") && !p.toString().contains("target")).sorted()
                        .forEach(files::add);
            }
        }
        return files;
    }

    private static String shortName(Path file, CompiledScenario sc, int scenarios) {
        String base = file.getFileName().toString().replace(".mmu", "");
        if (scenarios == 1) {
            return base;
        }
        String n = sc.name().length() > 18 ? sc.name().substring(0, 18) : sc.name();
        return base + ": " + n;
    }

    /**
     * The same system keyed on the encoding with every stat kept (none is left out as unread) and
     * dead locals left out: the state SPIN stores with {@code spin -o2}, which keeps write-only
     * globals but still resets dead locals (its data-flow optimisation).
     */
    static final class StatKeys extends ObjectKeys<VmState> {
        private final java.util.BitSet[][] live;

        StatKeys(MmuSystem inner) {
            super(inner);
            this.live = dev.mmu.runtime.paths.LiveLocals.of(inner.program());
        }

        @Override public Object key(VmState s) { return java.nio.ByteBuffer.wrap(s.encode(0L, live)); }
    }

    /** The same system with the visited sets keyed on the state objects: the baseline. */
    static class ObjectKeys<S> implements TransitionSystem<S> {
        private final TransitionSystem<S> inner;

        ObjectKeys(TransitionSystem<S> inner) {
            this.inner = inner;
        }

        @Override public S initial() { return inner.initial(); }
        @Override public void successors(S s, List<Transition<S>> out) { inner.successors(s, out); }
        @Override public boolean finished(S s) { return inner.finished(s); }
        @Override public int threadCount() { return inner.threadCount(); }
        @Override public String threadName(int thread) { return inner.threadName(thread); }
    }
}
