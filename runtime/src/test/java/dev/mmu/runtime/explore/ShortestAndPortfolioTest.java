package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Final;
import dev.mmu.runtime.explore.Expectation.NoDeadlock;
import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.Expectation.Reachable;
import dev.mmu.runtime.explore.Toys.Counter;
import dev.mmu.runtime.explore.Toys.Deadlock;
import dev.mmu.runtime.explore.Toys.Grid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The BFS re-search aims at each kind's own goal; the portfolio only touches what is still UNKNOWN. */
class ShortestAndPortfolioTest {

    private static <S> List<S> replay(TransitionSystem<S> system, Outcome<S> o) {
        return Explorer.replay(system, o.trace());
    }

    @Test
    void aWrongFinalStateIsReSearchedAmongTerminalStates() {
        Counter counter = new Counter();
        Outcome<Counter.State> o = Explorer.explore(counter, List.of(new Final<>("final x == 2", s -> s.x() == 2)),
                ExploreOptions.defaults()).outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).isEqualTo("shortest (BFS)");
        List<Counter.State> states = replay(counter, o);
        assertThat(states).hasSize(5);
        assertThat(states.get(4).x()).isEqualTo(1);
    }

    @Test
    void aReachableWitnessIsReSearchedForItsGoalAlongWithAFailure() {
        // A failure triggers the re-search; the witness found meanwhile is shortened too.
        Grid grid = new Grid(4);
        Outcome<Grid.State> o = Explorer.explore(grid, List.of(new Reachable<>("a and b at 2", s -> s.a() == 2 && s.b() == 2),
                new Final<>("final false", s -> false)), ExploreOptions.defaults()).outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.PASS);
        assertThat(o.note()).isEqualTo("shortest (BFS)");
        assertThat(o.trace().length()).isEqualTo(2);
        Grid.State last = replay(grid, o).get(2);
        assertThat(last.a()).isEqualTo(2);
        assertThat(last.b()).isEqualTo(2);
    }

    @Test
    void aDeadlockIsReSearchedAmongStuckStates() {
        Deadlock system = new Deadlock();
        Outcome<Deadlock.State> o = Explorer.explore(system, List.of(new NoDeadlock<>("no deadlock")),
                ExploreOptions.defaults()).outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).isEqualTo("shortest (BFS)");
        assertThat(o.trace().length()).isEqualTo(2);
        Deadlock.State last = replay(system, o).get(2);
        List<Transition<Deadlock.State>> next = new ArrayList<>();
        system.successors(last, next);
        assertThat(next).isEmpty();
        assertThat(system.finished(last)).isFalse();
    }

    private static final Grid HUGE = new Grid(1000);
    private static final Never<Grid.State> NEVER = new Never<>("never a < 0", (s, t) -> s.a() < 0);

    @Test
    void thePortfolioCountsTheRunsOfAllFourSamplers() {
        Outcome<Grid.State> o = Explorer.explore(HUGE, List.of(NEVER), ExploreOptions.builder().maxStates(50).runs(10)
                .maxRunSteps(5).seed(7).portfolioFallback(true).build()).outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(o.note()).startsWith("stopped (max-states)")
                .endsWith("; portfolio: no violation in 40 random and PCT (depth 1-3) runs, seed 7");
    }

    @Test
    void thePortfolioKeepsAVerdictTheSearchAlreadyHad() {
        List<Outcome<Grid.State>> os = Explorer.explore(HUGE,
                List.of(new Reachable<>("a at 1", s -> s.a() == 1), NEVER),
                ExploreOptions.builder().maxStates(50).runs(10).maxRunSteps(5).seed(7).portfolioFallback(true)
                        .shortestCounterexample(false).build()).outcomes();
        assertThat(os.get(0).verdict()).isEqualTo(Verdict.PASS);
        assertThat(os.get(0).note()).doesNotContain("portfolio");
        assertThat(os.get(1).note()).contains("portfolio: no violation");
    }

    @Test
    void noPortfolioAfterTheTimeIsUpOrACancel() {
        Outcome<Grid.State> late = Explorer.explore(HUGE, List.of(NEVER), ExploreOptions.builder()
                .timeLimit(Duration.ZERO).portfolioFallback(true).build()).outcomes().get(0);
        assertThat(late.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(late.note()).startsWith("stopped (time)").doesNotContain("portfolio");

        CancelSignal cancel = new CancelSignal();
        cancel.cancel();
        Outcome<Grid.State> cancelled = Explorer.explore(HUGE, List.of(NEVER), ExploreOptions.builder()
                .cancel(cancel).portfolioFallback(true).build()).outcomes().get(0);
        assertThat(cancelled.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(cancelled.note()).startsWith("stopped (interrupted)").doesNotContain("portfolio");
    }

    /**
     * Thread 0 (a bystander) has one step; thread 1 counts to 3, one op a step while thread 0 may
     * still run, all three ops in one step once it has run (as step merging does). The fewest
     * steps to a == 3 go through the bystander's step (2 steps, 4 ops); the fewest kernel steps
     * do not (3 steps, 3 ops).
     */
    record Merging() implements TransitionSystem<Merging.State> {
        record State(boolean bystanderRan, int a) {}

        @Override
        public State initial() {
            return new State(false, 0);
        }

        @Override
        public void successors(State s, List<Transition<State>> out) {
            if (!s.bystanderRan()) out.add(new Transition<>(0, 0, new State(true, s.a())));
            if (s.a() < 3) out.add(new Transition<>(1, 0, new State(s.bystanderRan(), s.bystanderRan() ? 3 : s.a() + 1)));
        }

        @Override
        public int width(State s, Transition<State> t) {
            return t.target().a() - s.a() + (t.thread() == 0 ? 1 : 0);
        }

        @Override
        public boolean finished(State s) {
            return true;
        }

        @Override
        public int threadCount() {
            return 2;
        }

        @Override
        public String threadName(int thread) {
            return "t" + thread;
        }
    }

    @Test
    void aShortestTraceLeavesOutAThreadThatOnlyLetsOthersRunInFewerSteps() {
        Merging system = new Merging();
        for (ExploreOptions.Strategy strategy : List.of(ExploreOptions.Strategy.BFS, ExploreOptions.Strategy.DFS)) {
            Outcome<Merging.State> o = Explorer.explore(system, List.of(new Never<>("never a == 3", (s, terminal) -> s.a() == 3)),
                    ExploreOptions.defaults().toBuilder().strategy(strategy).build()).outcomes().get(0);
            assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
            assertThat(o.note()).isEqualTo("shortest (BFS)");
            assertThat(o.trace().token()).isEqualTo("1.1.1");
            assertThat(replay(system, o).get(3).a()).isEqualTo(3);
        }
    }
}
