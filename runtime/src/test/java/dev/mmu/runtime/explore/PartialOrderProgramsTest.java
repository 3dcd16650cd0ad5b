package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link PartialOrder} against the plain DFS on random {@link Programs} (spins, awaits, shared
 * writes): the reduced search must reach every value of the visible variable and every terminal
 * state the plain search reaches (what persistent sets with the visibility condition, the cycle
 * proviso and sleep sets preserve), with no more states, and fewer on most programs.
 */
class PartialOrderProgramsTest {

    /** What a search saw: the visible variable's values, and the terminal states. */
    private record Seen(Set<Integer> visible, Set<Programs.State> terminal, ExploreResult<Programs.State> result) {}

    private static Seen explore(Programs p, boolean partialOrder) {
        Set<Integer> visible = new HashSet<>();
        Set<Programs.State> terminal = new HashSet<>();
        Expectation<Programs.State> record = new Expectation.Never<>("records", (s, t) -> {
            visible.add(s.vars().get(0));
            if (t) terminal.add(s);
            return false;
        });
        ExploreOptions o = ExploreOptions.builder().partialOrder(partialOrder).build();
        return new Seen(visible, terminal, Explorer.explore(p, List.of(record), o));
    }

    @Test
    void theReducedSearchSeesEveryVisibleValueAndTerminalState() {
        int reduced = 0;
        int compared = 0;
        for (long seed = 1; seed <= 400; seed++) {
            Programs p = Programs.random(new Random(seed));
            Seen full = explore(p, false);
            long fullStates = full.result().stats().statesStored();
            if (fullStates > Explorer.DFS_FIRST) continue;
            Seen por = explore(p, true);
            long porStates = por.result().stats().statesStored();
            assertThat(por.visible()).as("seed %d: %s", seed, p).isEqualTo(full.visible());
            assertThat(por.terminal()).as("seed %d: %s", seed, p).isEqualTo(full.terminal());
            assertThat(porStates).as("seed %d", seed).isLessThanOrEqualTo(fullStates);
            if (!por.result().outcomes().get(0).note().contains("partial-order reduction")) {
                // No state left a step out: the plain search, step for step.
                assertThat(porStates).as("seed %d", seed).isEqualTo(fullStates);
                assertThat(por.result().stats().transitions()).isEqualTo(full.result().stats().transitions());
            }
            compared++;
            if (porStates < fullStates) reduced++;
        }
        assertThat(compared).isGreaterThan(300);
        assertThat(reduced).as("programs the reduction made smaller").isGreaterThan(compared / 2);
    }
}
