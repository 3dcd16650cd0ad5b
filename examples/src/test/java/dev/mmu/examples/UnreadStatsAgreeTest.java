package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Differential test of leaving unread stats (remote_tlb_flush, mmu_shadow_zapped when no
 * expression reads them) out of the state key: on every scenario, with its own options, DFS and
 * BFS, every expectation has the same verdict as with every stat kept, every trace replays, and
 * never more states are stored.
 */
class UnreadStatsAgreeTest {

    @TestFactory
    Stream<DynamicTest> sameVerdicts() throws Exception {
        return Scenarios.all().stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
            Loaded loaded = ScenarioLoader.load(f);
            for (CompiledScenario sc : loaded.scenarios()) {
                MmuSystem reduced = new MmuSystem(sc.program());
                MmuSystem plain = new MmuSystem(sc.program().withAllStatsRead());
                for (ExploreOptions o : List.of(sc.options(),
                        sc.options().toBuilder().strategy(ExploreOptions.Strategy.DFS).build(),
                        sc.options().toBuilder().strategy(ExploreOptions.Strategy.BFS).build())) {
                    ExploreResult<VmState> a = Explorer.explore(plain, sc.expectations(), o);
                    ExploreResult<VmState> b = Explorer.explore(reduced, sc.expectations(), o);
                    String what = sc.name() + " " + o.strategy();
                    assertThat(b.outcomes().stream().map(x -> x.text() + " " + x.verdict()).toList()).as(what)
                            .isEqualTo(a.outcomes().stream().map(x -> x.text() + " " + x.verdict()).toList());
                    for (Outcome<VmState> out : b.outcomes()) {
                        if (out.hasTrace()) {
                            assertThat(Explorer.replay(reduced, out.trace())).hasSize(out.trace().length() + 1);
                        }
                    }
                }
                ExploreOptions full = ExploreOptions.builder().build();
                assertThat(Explorer.explore(reduced, List.of(), full).stats().statesStored())
                        .isLessThanOrEqualTo(Explorer.explore(plain, List.of(), full).stats().statesStored());
            }
        }));
    }

    /** The SPIN scenario reads no flush counter: merging states that differ only there (SPIN: dead variables). */
    @Test
    void seedMergesStatesThatDifferOnlyInTheFlushCount() {
        CompiledScenario sc = ScenarioLoader.load(Path.of("../bench/scenarios/seed-spin.mmu")).scenarios().get(0);
        ExploreOptions full = ExploreOptions.builder().build();
        assertThat(Explorer.explore(new MmuSystem(sc.program().withAllStatsRead()), List.of(), full)
                .stats().statesStored()).isEqualTo(4656);
        assertThat(Explorer.explore(new MmuSystem(sc.program()), List.of(), full).stats().statesStored())
                .isEqualTo(3297);
    }
}
