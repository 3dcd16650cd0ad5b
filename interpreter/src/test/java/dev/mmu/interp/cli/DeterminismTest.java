package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Same file, same options: same verdicts, same traces, same state counts, run after run. */
class DeterminismTest {
    private static List<String> run(ExploreOptions.Strategy strategy) {
        CompiledScenario sc = ScenarioLoader.load(Path.of("src/test/resources/seed/seed-yield-pre-fix.mmu"))
                .scenarios().get(0);
        var options = sc.options().toBuilder().strategy(strategy).seed(7).runs(50).build();
        var r = Explorer.explore(new MmuSystem(sc.program()), sc.expectations(), options);
        List<String> out = new ArrayList<>();
        for (Outcome<VmState> o : r.outcomes()) {
            out.add(o.verdict() + " " + o.text() + " " + o.note() + " " + (o.hasTrace() ? o.trace().token() : "-"));
        }
        out.add("states " + r.stats().statesStored() + " transitions " + r.stats().transitions());
        return out;
    }

    @ParameterizedTest
    @EnumSource(ExploreOptions.Strategy.class)
    void twoRunsAgree(ExploreOptions.Strategy strategy) {
        List<String> first = run(strategy);
        if (strategy != ExploreOptions.Strategy.RANDOM && strategy != ExploreOptions.Strategy.PCT) {
            assertThat(first.get(0)).startsWith("PASS violation use_after_free");
        }
        assertThat(run(strategy)).isEqualTo(first);
    }
}
