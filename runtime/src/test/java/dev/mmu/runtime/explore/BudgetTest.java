package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.Expectation.Reachable;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Grid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Running out of states, time, memory or patience gives UNKNOWN with coverage, never a hang. */
class BudgetTest {

    /** 1000^3 states: no test finishes it. */
    private static final Grid HUGE = new Grid(1000);
    /** A backstop: if the budget under test were ignored, the test fails with TIME instead of hanging. */
    private static final Duration BACKSTOP = Duration.ofSeconds(30);

    /** Never true, so that no search stops early on a finding. */
    private static final Never<Grid.State> NEVER = new Never<>("never a < 0", (s, t) -> s.a() < 0);

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"DFS", "BFS", "PREEMPTION_BOUNDED"})
    void maxStatesGivesUnknownWithCoverage(Strategy strategy) {
        ExploreResult<Grid.State> r = Explorer.explore(HUGE, List.of(NEVER),
                ExploreOptions.builder().strategy(strategy).maxStates(500).timeLimit(BACKSTOP).build());
        Outcome<Grid.State> o = r.outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(o.hasTrace()).isFalse();
        assertThat(r.coverage()).isNotNull();
        assertThat(r.coverage().reason()).isEqualTo(StopReason.MAX_STATES);
        assertThat(r.coverage().states()).isBetween(500L, 501L);
        assertThat(o.note()).startsWith("stopped (max-states) after ");
        assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
    }

    @Test
    void unknownIsNotAFailureForAnExistentialExpectation() {
        ExploreResult<Grid.State> r = Explorer.explore(HUGE,
                List.of(new Reachable<>("a < 0", s -> s.a() < 0)),
                ExploreOptions.builder().maxStates(500).timeLimit(BACKSTOP).build());
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
    }

    @Test
    void timeLimitStopsTheSearch() {
        ExploreResult<Grid.State> r = Explorer.explore(HUGE, List.of(NEVER),
                ExploreOptions.builder().timeLimit(Duration.ofMillis(200)).build());
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.coverage().reason()).isEqualTo(StopReason.TIME);
        assertThat(r.coverage().states()).isPositive();
        assertThat(r.stats().elapsedMillis()).isLessThan(10_000);
    }

    @Test
    void memoryCeilingStopsTheSearch() {
        // A ceiling below what the JVM already uses: the first memory check must stop the search.
        ExploreResult<Grid.State> r = Explorer.explore(HUGE, List.of(NEVER),
                ExploreOptions.builder().memoryFraction(1e-6).timeLimit(BACKSTOP).build());
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.coverage().reason()).isEqualTo(StopReason.MEMORY);
        assertThat(r.stats().peakHeapBytes()).isPositive();
    }

    @Test
    void cancelStopsTheSearchAndKeepsThePartialResult() {
        CancelSignal cancel = new CancelSignal();
        List<Progress> seen = new ArrayList<>();
        // The progress callback plays the Ctrl-C handler: it cancels on its first call.
        ExploreResult<Grid.State> r = Explorer.explore(HUGE, List.of(NEVER), ExploreOptions.builder()
                .cancel(cancel)
                .timeLimit(BACKSTOP)
                .portfolioFallback(true)
                .progress(p -> {
                    seen.add(p);
                    cancel.cancel();
                })
                .build());
        assertThat(seen).hasSize(1);
        // The default search's first passes (a short DFS, then a BFS probe): whichever the first tick hits.
        assertThat(seen.get(0).phase()).isIn("DFS", "BFS probe");
        assertThat(seen.get(0).states()).isPositive();
        assertThat(r.coverage().reason()).isEqualTo(StopReason.INTERRUPTED);
        // No portfolio after a cancel: the user asked to stop.
        assertThat(r.outcomes().get(0).note()).doesNotContain("portfolio");
        assertThat(r.coverage().states()).isEqualTo(r.stats().statesStored());
    }

    /**
     * At most one progress report per 100 ms within a phase (each phase of the default search
     * starts its own count). Stopped by the callback after three reports, not by a time limit: a
     * starved thread can pass a short limit before the first clock read, and then no report comes.
     */
    @Test
    void progressIsThrottled() {
        CancelSignal cancel = new CancelSignal();
        List<Progress> seen = new ArrayList<>();
        Explorer.explore(HUGE, List.of(NEVER), ExploreOptions.builder()
                .cancel(cancel)
                .timeLimit(BACKSTOP)
                .progress(p -> {
                    seen.add(p);
                    if (seen.size() == 3) cancel.cancel();
                })
                .build());
        assertThat(seen).hasSize(3);
        assertThat(seen).extracting(Progress::elapsedMillis).isSorted();
        int samePhase = 0;
        for (int i = 1; i < seen.size(); i++) {
            if (!seen.get(i).phase().equals(seen.get(i - 1).phase())) continue;
            samePhase++;
            // elapsedMillis is rounded down: 100 ms apart may read as 99
            assertThat(seen.get(i).elapsedMillis() - seen.get(i - 1).elapsedMillis()).isGreaterThanOrEqualTo(99);
        }
        assertThat(samePhase).as("two reports of one phase (the BFS probe's, on a grid this size)").isPositive();
    }
}
