package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.Expectation.Terminates;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Grid;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An allocation that fails between two memory samples: every search gives up its state, reports
 * MEMORY and UNKNOWN, and says how far it got. Simulated by a system whose successor function
 * throws once a state's coordinates sum to 3.
 */
class OutOfMemoryTest {

    private static final class Exhausting extends ForwardingSystem<Grid.State> {
        Exhausting() {
            super(new Grid(1000));
        }

        @Override
        public void successors(Grid.State s, List<Transition<Grid.State>> out) {
            if (s.a() + s.b() + s.c() >= 3) {
                throw new OutOfMemoryError("simulated");
            }
            super.successors(s, out);
        }
    }

    private static final Never<Grid.State> NEVER = new Never<>("never a < 0", (s, t) -> s.a() < 0);

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void aFailedAllocationGivesUnknownForMemory(Strategy strategy) {
        ExploreResult<Grid.State> r = Explorer.explore(new Exhausting(), List.of(NEVER),
                ExploreOptions.builder().strategy(strategy).runs(5).build());
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.coverage().reason()).isEqualTo(StopReason.MEMORY);
        assertThat(r.outcomes().get(0).note()).contains("stopped (memory)");
    }

    @Test
    void breadthFirstReportsTheLevelItReached() {
        // Expanding level 1 stores level 2, whose first state, (3, 0, 0), fails to expand.
        Coverage c = Explorer.explore(new Exhausting(), List.of(NEVER),
                ExploreOptions.builder().strategy(Strategy.BFS).build()).coverage();
        assertThat(c.depth()).isEqualTo(2);
        assertThat(c.states()).isGreaterThan(10);
    }

    @Test
    void theFairCycleSearchGivesUpToo() {
        ExploreResult<Grid.State> r = Explorer.explore(new Exhausting(), List.of(new Terminates<>("terminates")),
                ExploreOptions.defaults());
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.outcomes().get(0).note()).contains("stopped (memory)");
        assertThat(r.coverage().reason()).isEqualTo(StopReason.MEMORY);
    }
}
