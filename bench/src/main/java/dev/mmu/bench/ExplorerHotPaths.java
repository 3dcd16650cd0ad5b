package dev.mmu.bench;

import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.explore.VisitedSet;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * JMH microbenchmarks of the explorer's hot paths, per reachable state of a scenario (every state
 * of it, in BFS order, cycled through): the state key (the encoding cut into parts; its 64-bit
 * hash only when asked for), a visited set insert of those keys (new, then found: each part
 * hashed and found or stored, then the state's string of part ids), and successor generation
 * (copy + run a step).
 * Run by bench/jmh.sh; `mvn verify` only compiles them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ExplorerHotPaths {

    @Param("bench/scenarios/seed-spin.mmu")
    public String scenario;

    private MmuSystem system;
    private VmState[] states;
    private Object[] keys;
    private VisitedSet visited;
    private final List<Transition<VmState>> out = new ArrayList<>();
    private int next;

    @Setup(Level.Trial)
    public void load() {
        system = new MmuSystem(ScenarioLoader.load(Path.of(scenario)).scenarios().get(0).program());
        Set<Object> seen = new HashSet<>();
        List<VmState> all = new ArrayList<>();
        Deque<VmState> todo = new ArrayDeque<>(List.of(system.initial()));
        seen.add(system.key(system.initial()));
        while (!todo.isEmpty()) {
            VmState s = todo.poll();
            all.add(s);
            out.clear();
            system.successors(s, out);
            for (Transition<VmState> t : out) {
                if (seen.add(system.key(t.target()))) todo.add(t.target());
            }
        }
        states = all.toArray(new VmState[0]);
        keys = new Object[states.length];
        for (int i = 0; i < states.length; i++) keys[i] = system.key(states[i]);
    }

    /** A fresh set each iteration: the first pass over the keys inserts, later passes find. */
    @Setup(Level.Iteration)
    public void freshSet() {
        visited = new VisitedSet();
        next = 0;
    }

    private int nextIndex() {
        int i = next;
        next = i + 1 == states.length ? 0 : i + 1;
        return i;
    }

    @Benchmark
    public Object stateKey() {
        return system.key(states[nextIndex()]);
    }

    @Benchmark
    public boolean visitedSetAdd() {
        return visited.add(keys[nextIndex()]);
    }

    @Benchmark
    public void successors(Blackhole bh) {
        out.clear();
        system.successors(states[nextIndex()], out);
        bh.consume(out);
    }
}
