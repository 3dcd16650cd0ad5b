package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Peterson;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Iterative deepening on Peterson's 35 states, counted by hand once: bound 0 stores 17 nodes,
 * bound 1 33, bound 2 all 35 and prunes nothing, so the search ends there with a full PASS.
 */
class PreemptionBoundsTest {

    private static final Never<Peterson.State> MUTEX = new Never<>("never both in cs",
            (s, t) -> Peterson.bothInCriticalSection(s));

    private static ExploreResult<Peterson.State> bounded(boolean broken, ExploreOptions.Builder b) {
        return Explorer.explore(new Peterson(broken), List.of(MUTEX), b.strategy(Strategy.PREEMPTION_BOUNDED).build());
    }

    @ParameterizedTest
    @CsvSource({"0, 17, 22, for preemption bound <= 0", "1, 33, 65, for preemption bound <= 1", "2, 35, 112, ''", "3, 35, 112, ''"})
    void eachBoundStoresItsNodesAndOnlyAPrunedBoundQualifiesThePass(int k, long states, long transitions, String note) {
        ExploreResult<Peterson.State> r = bounded(false, ExploreOptions.builder().preemptionBound(k));
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.PASS);
        assertThat(r.outcomes().get(0).note()).isEqualTo(note);
        assertThat(r.coverage()).isNull();
        assertThat(r.stats().statesStored()).isEqualTo(states);
        assertThat(r.stats().transitions()).isEqualTo(transitions);
        assertThat(r.stats().maxDepth()).isEqualTo(8);
    }

    @ParameterizedTest
    @CsvSource({"16, -1, 17", "17, 0, 18", "32, 0, 33", "33, 1, 34", "34, 1, 35"})
    void aBudgetStopSaysWhichBoundsCompleted(long maxStates, int completed, long states) {
        ExploreResult<Peterson.State> r = bounded(false, ExploreOptions.builder().preemptionBound(6).maxStates(maxStates));
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.coverage().reason()).isEqualTo(StopReason.MAX_STATES);
        assertThat(r.coverage().preemptionBoundCompleted()).isEqualTo(completed);
        assertThat(r.coverage().states()).isEqualTo(states);
    }

    @Test
    void theBrokenLockNeedsOnePreemption() {
        ExploreResult<Peterson.State> none = bounded(true, ExploreOptions.builder().preemptionBound(0));
        assertThat(none.outcomes().get(0).verdict()).isEqualTo(Verdict.PASS);
        assertThat(none.stats().statesStored()).isEqualTo(13);
        assertThat(none.stats().transitions()).isEqualTo(16);

        ExploreResult<Peterson.State> one = bounded(true, ExploreOptions.builder().preemptionBound(2));
        Outcome<Peterson.State> o = one.outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).isEqualTo("found at preemption bound 1");
        assertThat(o.trace().token()).isEqualTo("0.0.1.1");
        assertThat(one.stats().transitions()).isEqualTo(25);
    }
}
