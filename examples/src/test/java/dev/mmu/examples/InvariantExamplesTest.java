package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioResult.OutcomeResult;
import dev.mmu.interp.run.ScenarioRunner;
import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.paths.Invariants;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every built-in invariant has examples/invariants/NAME.mmu with a scenario where it holds and one
 * where it is violated (ExamplesTest runs them). Two cannot be violated by any scenario: every
 * SPTE write goes through tdp_mmu_set_spte, which keeps stats and tables consistent; their
 * checkers are tested on hand-broken states in the runtime's InvariantsTest.
 */
class InvariantExamplesTest {
    static final Path DIR = Path.of("invariants");
    static final Set<Invariant> NOT_EXPRESSIBLE = Set.of(Invariant.stats_consistent, Invariant.huge_and_child);

    @Test
    void everyInvariantHasAHeldAndAViolatedScenario() throws IOException {
        for (Invariant inv : Invariant.values()) {
            Path f = DIR.resolve(inv.name() + ".mmu");
            assertThat(f).as("example for %s", inv).exists();
            String text = Files.readString(f);
            assertThat(text).contains("expect never " + inv.name());
            if (NOT_EXPRESSIBLE.contains(inv)) {
                assertThat(text).contains("No scenario can break it").doesNotContain("expect violation");
            } else {
                assertThat(text).contains("expect violation " + inv.name());
            }
        }
        assertThat(Files.readString(DIR.resolve("terminates.mmu"))).contains("expect terminates");
    }

    /**
     * A structural invariant (computed from the state, recorded by no op) is said in the
     * counterexample's last step: "!! NAME: why", naming the table, SPTE or counter. Each example's
     * violated scenario is run with `expect never NAME` instead.
     */
    @Test
    void aStructuralInvariantsCounterexampleSaysWhatBrokeIt() throws IOException {
        for (Invariant inv : Invariants.STRUCTURAL) {
            if (NOT_EXPRESSIBLE.contains(inv)) continue;
            Path f = DIR.resolve(inv.name() + ".mmu");
            String text = Files.readString(f).replace("expect violation " + inv.name(), "expect never " + inv.name());
            Loaded loaded = ScenarioLoader.load(f.toString(), text);
            assertThat(loaded.hasErrors()).as(ScenarioRunner.render(loaded)).isFalse();
            boolean failed = false;
            for (CompiledScenario sc : loaded.scenarios()) {
                ScenarioResult r = new ScenarioRunner().run(sc);
                for (OutcomeResult o : r.outcomes()) {
                    if (!o.showsTrace() || !o.text().equals("never " + inv.name())) continue;
                    failed = true;
                    String last = o.steps().get(o.steps().size() - 1).text();
                    assertThat(last).as("%s: %s", f, sc.name()).contains("!! " + inv.name() + ": ");
                }
            }
            assertThat(failed).as("%s has a counterexample", f).isTrue();
        }
    }
}
