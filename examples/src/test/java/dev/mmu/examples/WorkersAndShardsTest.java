package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.report.ShardFile;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.interp.run.ShardMerge;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.explore.Shard;
import dev.mmu.runtime.explore.Verdict;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * On every example: {@code --workers} 1, 2 and 4 give identical verdicts, traces, notes and
 * counts (BFS and the scenario's own options, whose shortest-trace re-search is a BFS); and the
 * parts of {@code --shard i/n}, merged as `mmu merge` does, give the unsharded verdicts at
 * n = 1, 2, 3, every trace of a part replaying on the whole system, while a missing part leaves
 * what no present part found UNKNOWN.
 */
class WorkersAndShardsTest {

    @TestFactory
    Stream<DynamicTest> everyExample() throws Exception {
        return Scenarios.examples().stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
            Loaded loaded = ScenarioLoader.load(f);
            assertThat(loaded.hasErrors()).as(loaded.diagnostics().toString()).isFalse();
            for (CompiledScenario sc : loaded.scenarios()) {
                workersAgree(sc);
                shardsAgree(sc);
            }
        }));
    }

    private static ExploreResult<VmState> run(CompiledScenario sc, ExploreOptions options) {
        return Explorer.explore(new MmuSystem(sc.program()), sc.expectations(), options);
    }

    private static void workersAgree(CompiledScenario sc) {
        for (ExploreOptions base : List.of(sc.options(), sc.options().toBuilder().strategy(ExploreOptions.Strategy.BFS).build())) {
            ExploreResult<VmState> one = run(sc, base.toBuilder().workers(1).build());
            for (int workers : new int[] {2, 4}) {
                ExploreResult<VmState> many = run(sc, base.toBuilder().workers(workers).build());
                String what = sc.name() + ", " + base.strategy() + ", " + workers + " workers";
                assertThat(Scenarios.summary(many)).as(what).isEqualTo(Scenarios.summary(one));
                assertThat(Scenarios.counts(many)).as(what).isEqualTo(Scenarios.counts(one));
            }
        }
    }

    private static void shardsAgree(CompiledScenario sc) {
        ExploreResult<VmState> whole = run(sc, sc.options());
        if (whole.verdict() == Verdict.UNKNOWN) return; // a budget ran out: nothing exact to compare
        MmuSystem system = new MmuSystem(sc.program());
        for (int count = 1; count <= 3; count++) {
            List<ShardFile.Result> parts = new ArrayList<>();
            for (int index = 1; index <= count; index++) {
                Shard shard = new Shard(index, count);
                ExploreResult<VmState> r = run(sc, sc.options().toBuilder().shard(shard).build());
                List<ShardFile.Part> outcomes = new ArrayList<>();
                for (Outcome<VmState> o : r.outcomes()) {
                    if (o.hasTrace()) assertThat(Explorer.replay(system, o.trace())).isNotEmpty();
                    outcomes.add(new ShardFile.Part(o.text(), o.verdict(), o.note(),
                            o.hasTrace() ? o.trace().token() : null, o.cycleStart(),
                            o.maximum().isPresent() ? o.maximum().getAsLong() : null));
                }
                parts.add(new ShardFile.Result(shard, List.of(new ShardFile.Scenario("f", sc.name(),
                        r.stats().statesStored(), outcomes)), List.of()));
            }
            List<Verdict> merged = ShardMerge.merge(parts).scenarios().get(0).outcomes().stream()
                    .map(ShardMerge.Merged::verdict).toList();
            List<Verdict> expected = whole.outcomes().stream().map(Outcome::verdict).toList();
            assertThat(merged).as(sc.name() + ", " + count + " shards").isEqualTo(expected);
            if (count == 3) {
                List<ShardMerge.Merged> partial = ShardMerge.merge(parts.subList(0, 2)).scenarios().get(0).outcomes();
                for (int i = 0; i < partial.size(); i++) {
                    ShardMerge.Merged m = partial.get(i);
                    boolean found = m.shard() > 0;
                    assertThat(m.verdict()).as(sc.name() + ", shard 3 missing: " + m.expectation())
                            .isEqualTo(found ? expected.get(i) : Verdict.UNKNOWN);
                    if (!found) assertThat(m.note()).contains("missing shards 3");
                }
            }
        }
    }
}
