package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.explore.Verdict;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Hash compaction (opt-in, probabilistic) against the exact search on every scenario: with
 * 64-bit fingerprints no collision is expected at these sizes (the fingerprints are
 * deterministic, so neither is this test), hence the same verdicts, traces and counts; every
 * verdict that rests on having seen every state says it is probabilistic, and no finding does.
 */
class HashCompactionAgreesTest {

    @TestFactory
    Stream<DynamicTest> compactionAgreesAndSaysSo() throws Exception {
        return Scenarios.all().stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
            Loaded loaded = ScenarioLoader.load(f);
            for (CompiledScenario sc : loaded.scenarios()) {
                MmuSystem system = new MmuSystem(sc.program());
                for (ExploreOptions o : List.of(sc.options(),
                        sc.options().toBuilder().strategy(ExploreOptions.Strategy.DFS).build(),
                        sc.options().toBuilder().strategy(ExploreOptions.Strategy.BFS).build())) {
                    ExploreResult<VmState> exact = Explorer.explore(system, sc.expectations(), o);
                    ExploreResult<VmState> compact = Explorer.explore(system, sc.expectations(),
                            o.toBuilder().hashCompaction(true).build());
                    String what = sc.name() + " " + o.strategy();
                    assertThat(Scenarios.counts(compact)).as(what).isEqualTo(Scenarios.counts(exact));
                    for (int i = 0; i < exact.outcomes().size(); i++) {
                        Outcome<VmState> a = exact.outcomes().get(i);
                        Outcome<VmState> b = compact.outcomes().get(i);
                        assertThat(b.verdict()).as(what + " " + a.text()).isEqualTo(a.verdict());
                        assertThat(b.trace() == null ? null : b.trace().token())
                                .isEqualTo(a.trace() == null ? null : a.trace().token());
                        boolean probabilistic = b.note().contains("hash compaction: probabilistic");
                        assertThat(probabilistic).as(what + " " + b.note())
                                .isEqualTo(b.verdict() != Verdict.UNKNOWN && (!b.hasTrace()
                                        || b.expectation() instanceof dev.mmu.runtime.explore.Expectation.MaxMetric && b.verdict() == Verdict.PASS));
                    }
                }
            }
        }));
    }
}
