package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
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
}
