package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Grid;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ParallelBreadthFirstSearch} within a budget: levels wide enough for the workers to share
 * (Grid(40): 68,921 states, depth 60, levels of hundreds), stopped by a cancel, the time limit or a failed
 * allocation in a worker; each gives UNKNOWN with the reason, never a verdict or a crash.
 */
class ParallelBudgetTest {

    private static final Never<Grid.State> NEVER = new Never<>("never a < 0", (s, t) -> s.a() < 0);

    private static ExploreResult<Grid.State> bfs(TransitionSystem<Grid.State> system, ExploreOptions.Builder b) {
        return Explorer.explore(system, List.of(NEVER),
                b.strategy(Strategy.BFS).workers(2).portfolioFallback(false).build());
    }

    @Test
    void aCompleteSearchCountsEveryState() {
        ExploreResult<Grid.State> r = bfs(new Grid(40), ExploreOptions.builder());
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.PASS);
        assertThat(r.stats().statesStored()).isEqualTo(41 * 41 * 41);
        assertThat(r.stats().maxDepth()).isEqualTo(60);
    }

    @Test
    void aCancelStopsTheWorkers() {
        CancelSignal cancel = new CancelSignal();
        cancel.cancel();
        ExploreResult<Grid.State> r = bfs(new Grid(40), ExploreOptions.builder().cancel(cancel));
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.coverage().reason()).isEqualTo(StopReason.INTERRUPTED);
        assertThat(r.stats().statesStored()).isLessThan(41 * 41 * 41);
    }

    @Test
    void aCancelDuringTheSearchStopsItThere() {
        CancelSignal cancel = new CancelSignal();
        // A system that cancels once the search expands a state at depth 30, as Ctrl-C would.
        ForwardingSystem<Grid.State> cancelling = new ForwardingSystem<>(new Grid(40)) {
            @Override
            public void successors(Grid.State s, List<Transition<Grid.State>> out) {
                if (s.a() + s.b() + s.c() >= 30) cancel.cancel();
                super.successors(s, out);
            }
        };
        ExploreResult<Grid.State> r = bfs(cancelling, ExploreOptions.builder().cancel(cancel));
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.coverage().reason()).isEqualTo(StopReason.INTERRUPTED);
        assertThat(r.outcomes().get(0).note()).contains("stopped (interrupted)");
        // The workers expand a level while the one before is judged: the cancel can stop the
        // judging at depth 14, before any state it saw at depth 15.
        assertThat(r.stats().maxDepth()).isBetween(14, 40);
        assertThat(r.stats().statesStored()).isLessThan(41 * 41 * 41 / 2);
    }

    @Test
    void theTimeLimitStopsTheWorkers() {
        // Each expansion takes a millisecond: 68,921 of them cannot fit in 300 ms on any machine.
        ForwardingSystem<Grid.State> slow = new ForwardingSystem<>(new Grid(40)) {
            @Override
            public void successors(Grid.State s, List<Transition<Grid.State>> out) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.successors(s, out);
            }
        };
        ExploreResult<Grid.State> r = bfs(slow, ExploreOptions.builder().timeLimit(Duration.ofMillis(300)));
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.coverage().reason()).isEqualTo(StopReason.TIME);
        assertThat(r.stats().statesStored()).isLessThan(41 * 41 * 41);
    }

    @Test
    void aFailedAllocationInAWorkerGivesUnknownForMemory() {
        // Thrown in a level of hundreds of states, which the two workers share.
        ForwardingSystem<Grid.State> exhausting = new ForwardingSystem<>(new Grid(40)) {
            @Override
            public void successors(Grid.State s, List<Transition<Grid.State>> out) {
                if (s.a() + s.b() + s.c() >= 20) throw new OutOfMemoryError("simulated");
                super.successors(s, out);
            }
        };
        for (int workers : new int[] {2, 4}) {
            ExploreResult<Grid.State> r = Explorer.explore(exhausting, List.of(NEVER),
                    ExploreOptions.builder().strategy(Strategy.BFS).workers(workers).build());
            assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
            assertThat(r.coverage().reason()).isEqualTo(StopReason.MEMORY);
            assertThat(r.outcomes().get(0).note()).contains("stopped (memory)");
            // Levels up to the one whose expansion failed (depth 20 at the earliest) were stored.
            assertThat(r.coverage().depth()).isBetween(10, 25);
            assertThat(r.coverage().states()).isGreaterThan(1000);
        }
    }

    @Test
    void nearTheMemoryCeilingTheVisitedSetTurnsToFingerprints() {
        // Keys the visited set stores exactly, as the MMU model's, so that there is something to compact.
        ForwardingSystem<Grid.State> packed = new ForwardingSystem<>(new Grid(40)) {
            @Override
            public Object key(Grid.State s) {
                return new PackedKey(new byte[] {(byte) s.a(), (byte) s.b(), (byte) s.c()});
            }
        };
        Monitor<Grid.State> monitor = new Monitor<>(packed, List.of(NEVER));
        monitor.checking(true, false);
        Budget budget = new Budget(ExploreOptions.builder().memoryFraction(Double.MIN_VALUE).build(), "BFS",
                System.nanoTime());
        SearchReport r = ParallelBreadthFirstSearch.run(packed, monitor, budget, 2);
        assertThat(r.stopped()).isEqualTo(StopReason.MEMORY);
        assertThat(budget.compaction()).startsWith("hash compaction from ");
    }
}
