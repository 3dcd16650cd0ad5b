package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Differential test of the compact visited-set keys (MmuSystem.key = VmState.encode()): on every
 * scenario, every strategy gives the same verdicts, traces, notes and counts as the search keyed
 * on the state objects, and encode-equality is exactly equals() on every reachable state.
 */
class PackedKeysAgreeTest {

    @TestFactory
    Stream<DynamicTest> packedKeysChangeNothing() throws Exception {
        return Scenarios.all().stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
            Loaded loaded = ScenarioLoader.load(f);
            for (CompiledScenario sc : loaded.scenarios()) {
                MmuSystem packed = new MmuSystem(sc.program().withAllStatsRead()); // exact keys only
                ObjectKeys<VmState> objects = new ObjectKeys<>(packed);
                for (ExploreOptions o : options(sc.options())) {
                    ExploreResult<VmState> a = Explorer.explore(packed, sc.expectations(), o);
                    ExploreResult<VmState> b = Explorer.explore(objects, sc.expectations(), o);
                    String what = sc.name() + " " + o.strategy();
                    assertThat(Scenarios.summary(a)).as(what).isEqualTo(Scenarios.summary(b));
                    assertThat(Scenarios.counts(a)).as(what).isEqualTo(Scenarios.counts(b));
                }
                encodingIsExact(packed);
            }
        }));
    }

    private static List<ExploreOptions> options(ExploreOptions own) {
        return List.of(own,
                own.toBuilder().strategy(ExploreOptions.Strategy.DFS).build(),
                own.toBuilder().strategy(ExploreOptions.Strategy.BFS).build(),
                own.toBuilder().strategy(ExploreOptions.Strategy.PREEMPTION_BOUNDED).preemptionBound(1).build());
    }

    private static void encodingIsExact(MmuSystem system) {
        Map<VmState, Object> keyOf = new HashMap<>();
        Map<Object, VmState> stateOf = new HashMap<>();
        Deque<VmState> todo = new ArrayDeque<>();
        todo.push(system.initial());
        keyOf.put(system.initial(), system.key(system.initial()));
        List<Transition<VmState>> out = new ArrayList<>();
        while (!todo.isEmpty()) {
            VmState s = todo.pop();
            Object k = keyOf.get(s);
            VmState other = stateOf.putIfAbsent(k, s);
            assertThat(other == null || other.equals(s)).as("two different states share an encoding").isTrue();
            assertThat(system.key(s.copy())).as("a copy encodes the same").isEqualTo(k);
            out.clear();
            system.successors(s, out);
            for (Transition<VmState> t : out) {
                if (!keyOf.containsKey(t.target())) {
                    keyOf.put(t.target(), system.key(t.target()));
                    todo.push(t.target());
                }
            }
        }
        assertThat(stateOf).hasSameSizeAs(keyOf);
    }

}
