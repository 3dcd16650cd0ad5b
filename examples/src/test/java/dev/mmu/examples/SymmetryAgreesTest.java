package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.Expectation;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Differential test of vCPU symmetry: on every scenario, with the scenario's own options, DFS and
 * BFS, every expectation gets the same verdict with and without `symmetry vcpus`, and every
 * trace found with it replays (traces may differ: another but equivalent interleaving); and on
 * every reachable state the canonical form is checked to be a symmetry of the model.
 */
class SymmetryAgreesTest {

    @TestFactory
    Stream<DynamicTest> symmetryKeepsEveryVerdict() throws Exception {
        return Scenarios.all().stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
            Loaded loaded = ScenarioLoader.load(f);
            for (CompiledScenario sc : loaded.scenarios()) {
                MmuSystem system = new MmuSystem(sc.program());
                canonicalIsASymmetry(system, sc.expectations());
                for (ExploreOptions o : List.of(sc.options(),
                        sc.options().toBuilder().strategy(ExploreOptions.Strategy.DFS).build(),
                        sc.options().toBuilder().strategy(ExploreOptions.Strategy.BFS).build())) {
                    ExploreResult<VmState> plain = Explorer.explore(system, sc.expectations(),
                            o.toBuilder().symmetry(false).build());
                    ExploreResult<VmState> reduced = Explorer.explore(system, sc.expectations(),
                            o.toBuilder().symmetry(true).build());
                    assertThat(verdicts(reduced)).as(sc.name() + " " + o.strategy()).isEqualTo(verdicts(plain));
                    for (Outcome<VmState> out : reduced.outcomes()) {
                        if (out.hasTrace()) {
                            assertThat(Explorer.replay(system, out.trace())).hasSize(out.trace().length() + 1);
                        }
                    }
                }
            }
        }));
    }

    /** Where the reduction applies (two readers with equal programs), it stores fewer states. */
    @Test
    void reducesTheTwoReaderSeed() {
        for (String name : List.of("seed-fixed-3vcpus.mmu", "seed-pre-fix-3vcpus.mmu")) {
            CompiledScenario sc = ScenarioLoader.load(Path.of("../bench/scenarios", name)).scenarios().get(0);
            MmuSystem system = new MmuSystem(sc.program());
            ExploreOptions dfs = ExploreOptions.builder().build();
            long plain = Explorer.explore(system, List.of(), dfs).stats().statesStored();
            long reduced = Explorer.explore(system, List.of(), dfs.toBuilder().symmetry(true).build())
                    .stats().statesStored();
            assertThat(reduced).as(name).isLessThan(plain * 3 / 4);
        }
    }

    /**
     * On every reachable state s: canonical(s) has the same successors up to canonical form, and
     * every expectation's condition says the same of both. This is what makes the quotient search
     * sound, checked directly rather than only through verdicts.
     */
    private static void canonicalIsASymmetry(MmuSystem system, List<Expectation<VmState>> expectations) {
        Set<Object> seen = new HashSet<>();
        Deque<VmState> todo = new ArrayDeque<>(List.of(system.initial()));
        seen.add(system.key(system.initial()));
        List<Transition<VmState>> out = new ArrayList<>();
        List<Transition<VmState>> outCanon = new ArrayList<>();
        while (!todo.isEmpty()) {
            VmState s = todo.pop();
            VmState c = system.canonical(s);
            out.clear();
            outCanon.clear();
            system.successors(s, out);
            system.successors(c, outCanon);
            assertThat(canonicalKeys(system, outCanon)).isEqualTo(canonicalKeys(system, out));
            boolean terminal = out.isEmpty();
            for (Expectation<VmState> e : expectations) {
                assertThat(condition(e, c, terminal)).as(e.text()).isEqualTo(condition(e, s, terminal));
            }
            for (Transition<VmState> t : out) {
                if (seen.add(system.key(t.target()))) todo.push(t.target());
            }
        }
    }

    private static Set<Object> canonicalKeys(MmuSystem system, List<Transition<VmState>> ts) {
        Set<Object> keys = new HashSet<>();
        for (Transition<VmState> t : ts) keys.add(system.key(system.canonical(t.target())));
        return keys;
    }

    private static Object condition(Expectation<VmState> e, VmState s, boolean terminal) {
        if (e instanceof Expectation.Never<VmState> n) return n.bad().test(s, terminal);
        if (e instanceof Expectation.Violation<VmState> v) return v.bad().test(s, terminal);
        if (e instanceof Expectation.Final<VmState> f) return f.ok().test(s);
        if (e instanceof Expectation.Reachable<VmState> r) return r.goal().test(s);
        if (e instanceof Expectation.MaxMetric<VmState> m) return m.metric().applyAsLong(s);
        return null;
    }

    private static List<String> verdicts(ExploreResult<VmState> r) {
        return r.outcomes().stream().map(o -> o.text() + " " + o.verdict()).toList();
    }
}
