package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Final;
import dev.mmu.runtime.explore.Expectation.MaxMetric;
import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Counter;
import dev.mmu.runtime.explore.Toys.Peterson;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Hash compaction keeps the verdicts and state counts, and flags the verdicts that rest on every state. */
class HashCompactionTest {

    private static final Never<Peterson.State> MUTEX = new Never<>("never both in cs",
            (s, t) -> Peterson.bothInCriticalSection(s));

    private static ExploreResult<Peterson.State> peterson(ExploreOptions.Builder b) {
        return Explorer.explore(new Peterson(false), List.of(MUTEX), b.build());
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"DFS", "BFS", "PREEMPTION_BOUNDED"})
    void aPassThatNeedsEveryStateSaysItIsProbabilistic(Strategy strategy) {
        ExploreResult<Peterson.State> exact = peterson(ExploreOptions.builder().strategy(strategy).preemptionBound(5));
        ExploreResult<Peterson.State> compact = peterson(
                ExploreOptions.builder().strategy(strategy).preemptionBound(5).hashCompaction(true));
        Outcome<Peterson.State> o = compact.outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.PASS);
        assertThat(o.note()).endsWith(Fingerprints.NOTE);
        assertThat(exact.outcomes().get(0).note()).doesNotContain(Fingerprints.NOTE);
        assertThat(compact.stats().statesStored()).isEqualTo(exact.stats().statesStored());
    }

    @Test
    void aFoundTraceIsARealFinding() {
        Counter counter = new Counter();
        Outcome<Counter.State> o = Explorer.explore(counter, List.of(new Final<>("final x == 2", s -> s.x() == 2)),
                ExploreOptions.builder().hashCompaction(true).build()).outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.hasTrace()).isTrue();
        assertThat(o.note()).doesNotContain(Fingerprints.NOTE);
    }

    @Test
    void aMaximumWithinItsBoundRestsOnEveryState() {
        Outcome<Counter.State> o = Explorer.explore(new Counter(),
                List.of(new MaxMetric<Counter.State>("max x <= 5", Counter.State::x, 5)),
                ExploreOptions.builder().hashCompaction(true).build()).outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.PASS);
        assertThat(o.note()).contains(Fingerprints.NOTE);
    }

    @Test
    void anUnknownIsNotFlagged() {
        Outcome<Peterson.State> o = peterson(ExploreOptions.builder().maxStates(3).hashCompaction(true)).outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(o.note()).doesNotContain(Fingerprints.NOTE);
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"RANDOM", "PCT"})
    void samplingStoresNoFingerprints(Strategy strategy) {
        // Sampling that covers the space hands over to an exact DFS, which is not compacted either.
        Outcome<Peterson.State> o = peterson(ExploreOptions.builder().strategy(strategy).runs(300).hashCompaction(true))
                .outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.PASS);
        assertThat(o.note()).doesNotContain(Fingerprints.NOTE);
    }
}
