package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Differential test of step merging (`new MmuSystem(program, false)` runs every op as a step of
 * its own, but inside `atomic { }`): on every scenario, with its own options, DFS and BFS, every
 * expectation gets the same verdict with and without merging, every trace replays on its system,
 * and merging never stores more states.
 */
class MergingAgreesTest {

    @TestFactory
    Stream<DynamicTest> mergingKeepsEveryVerdict() throws Exception {
        return Scenarios.all().stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
            for (CompiledScenario sc : ScenarioLoader.load(f).scenarios()) {
                MmuSystem merged = new MmuSystem(sc.program());
                MmuSystem plain = new MmuSystem(sc.program(), false);
                for (ExploreOptions o : List.of(sc.options(),
                        sc.options().toBuilder().strategy(ExploreOptions.Strategy.DFS).build(),
                        sc.options().toBuilder().strategy(ExploreOptions.Strategy.BFS).build())) {
                    ExploreResult<VmState> a = Explorer.explore(plain, sc.expectations(), o);
                    ExploreResult<VmState> b = Explorer.explore(merged, sc.expectations(), o);
                    String what = sc.name() + " " + o.strategy();
                    assertThat(verdicts(b)).as(what).isEqualTo(verdicts(a));
                    replays(plain, a);
                    replays(merged, b);
                    if (o.strategy() == ExploreOptions.Strategy.DFS && a.coverageIfIncomplete().isEmpty()) {
                        assertThat(b.stats().statesStored()).as(what).isLessThanOrEqualTo(a.stats().statesStored());
                    }
                }
            }
        }));
    }

    private static void replays(MmuSystem system, ExploreResult<VmState> r) {
        for (Outcome<VmState> out : r.outcomes()) {
            if (out.hasTrace()) assertThat(Explorer.replay(system, out.trace())).hasSize(out.trace().length() + 1);
        }
    }

    private static List<String> verdicts(ExploreResult<VmState> r) {
        return r.outcomes().stream().map(o -> o.text() + " " + o.verdict()).toList();
    }
}
