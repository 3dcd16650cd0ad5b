package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Final;
import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.Expectation.Terminates;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Counter;
import dev.mmu.runtime.explore.Toys.Peterson;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How each search names what it found, and which pass's coverage an UNKNOWN reports. */
class NotesTest {

    private static final Final<Counter.State> X_IS_2 = new Final<>("final x == 2", s -> s.x() == 2);

    private static Outcome<Counter.State> counter(ExploreOptions.Builder b) {
        return Explorer.explore(new Counter(), List.of(X_IS_2), b.build()).outcomes().get(0);
    }

    @Test
    void eachSearchNamesHowItFoundTheTrace() {
        assertThat(counter(ExploreOptions.builder().shortestCounterexample(false)).note()).isEqualTo("found by DFS");
        assertThat(counter(ExploreOptions.builder().strategy(Strategy.BFS)).note()).isEqualTo("shortest (BFS)");
        assertThat(counter(ExploreOptions.builder().strategy(Strategy.PREEMPTION_BOUNDED)).note())
                .isEqualTo("found at preemption bound 1"); // the lost update needs one preemption
    }

    @Test
    void aBoundedPassWithAnUnfinishedFairCycleSearchReportsThatSearchsCoverage() {
        // Bound 0 needs 17 nodes; the fair-cycle search over all states runs out first.
        ExploreResult<Peterson.State> r = Explorer.explore(new Peterson(false),
                List.of(new Never<>("never both in cs", (s, t) -> Peterson.bothInCriticalSection(s)),
                        new Terminates<>("terminates")),
                ExploreOptions.builder().strategy(Strategy.PREEMPTION_BOUNDED).preemptionBound(0).maxStates(18).build());
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.PASS);
        assertThat(r.outcomes().get(0).note()).isEqualTo("for preemption bound <= 0");
        assertThat(r.outcomes().get(1).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.outcomes().get(1).note()).isEqualTo("fair-cycle search stopped (max-states) after 19 states, depth 5");
        assertThat(r.coverage().reason()).isEqualTo(StopReason.MAX_STATES);
        assertThat(r.coverage().states()).isEqualTo(19);
        assertThat(r.coverage().preemptionBoundCompleted()).isEqualTo(-1);
    }

    @Test
    void statsGiveARatePerSecond() {
        // A few dozen states in well under a second: the rate is larger than the count.
        Stats st = Explorer.explore(new Peterson(false),
                List.of(new Never<Peterson.State>("never both in cs", (s, t) -> Peterson.bothInCriticalSection(s))),
                ExploreOptions.defaults()).stats();
        assertThat(st.statesStored()).isGreaterThan(10);
        assertThat(st.statesPerSecond()).isGreaterThan(st.statesStored());
        assertThat(st.elapsedMillis()).isBetween(0L, 60_000L);
    }
}
