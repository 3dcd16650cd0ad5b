package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Reachable;
import dev.mmu.runtime.explore.Expectation.Terminates;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Grid;
import dev.mmu.runtime.explore.Toys.LockedSpinner;
import dev.mmu.runtime.explore.Toys.Polite;
import dev.mmu.runtime.explore.Toys.Spinner;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Expectation.Terminates} under weak fairness: only fair cycles are livelocks. */
class FairCycleTest {

    private static <S> Outcome<S> terminates(TransitionSystem<S> system, ExploreOptions options) {
        ExploreResult<S> r = Explorer.explore(system, List.of(new Terminates<>("terminates")), options);
        return r.outcomes().get(0);
    }

    private static ExploreOptions with(Strategy strategy) {
        return ExploreOptions.builder().strategy(strategy).preemptionBound(2).build();
    }

    /** Replays the lasso and checks that its cycle is non-empty and returns to its start state. */
    private static <S> List<S> replayLasso(TransitionSystem<S> system, Outcome<S> o) {
        assertThat(o.isLasso()).isTrue();
        assertThat(o.cycleStart()).isLessThan(o.trace().length());
        List<S> states = Explorer.replay(system, o.trace());
        assertThat(states.get(states.size() - 1)).isEqualTo(states.get(o.cycleStart()));
        return states;
    }

    private static Set<Integer> cycleThreads(Outcome<?> o) {
        Set<Integer> threads = new HashSet<>();
        for (int i = o.cycleStart(); i < o.trace().length(); i++) {
            threads.add(o.trace().get(i).thread());
        }
        return threads;
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"DFS", "BFS", "PREEMPTION_BOUNDED"})
    void spinningWhileAnEnabledThreadNeverRunsIsNotALivelock(Strategy strategy) {
        // The spinner's self-loop is a cycle, but the setter is enabled throughout and never runs.
        Spinner spinner = new Spinner();
        Outcome<Spinner.State> o = terminates(spinner, with(strategy));
        assertThat(o.verdict()).isEqualTo(Verdict.PASS);
        assertThat(o.hasTrace()).isFalse();
        // The cycle is there: the spinner can spin in state (1, false, 0).
        Spinner.State spinning = new Spinner.State(1, false, 0);
        List<Transition<Spinner.State>> out = new ArrayList<>();
        spinner.successors(spinning, out);
        assertThat(out).anySatisfy(t -> assertThat(t.target()).isEqualTo(spinning));
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"DFS", "BFS", "PREEMPTION_BOUNDED"})
    void politeThreadsLivelockWithBothSteppingInTheCycle(Strategy strategy) {
        Polite polite = new Polite();
        Outcome<Polite.State> o = terminates(polite, with(strategy));
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        List<Polite.State> states = replayLasso(polite, o);
        assertThat(cycleThreads(o)).containsExactlyInAnyOrder(0, 1);
        // Both polite threads are in their loop all along the cycle.
        for (Polite.State s : states.subList(o.cycleStart(), states.size())) {
            assertThat(s.pc0()).isEqualTo(1);
            assertThat(s.pc1()).isEqualTo(1);
        }
        // Shortest stem: both announce (2 steps); the cycle: hand over, hand back.
        assertThat(o.cycleStart()).isEqualTo(2);
        assertThat(o.trace().length() - o.cycleStart()).isEqualTo(2);
        assertThat(o.note()).startsWith("fair cycle (weak fairness): polite0, polite1 step in it")
                .contains("shortest stem (BFS)").endsWith("cycle starts at step 2");
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"DFS", "BFS", "PREEMPTION_BOUNDED"})
    void spinningWhileTheOtherThreadIsBlockedIsALivelock(Strategy strategy) {
        LockedSpinner system = new LockedSpinner();
        Outcome<LockedSpinner.State> o = terminates(system, with(strategy));
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        List<LockedSpinner.State> states = replayLasso(system, o);
        assertThat(cycleThreads(o)).containsExactly(0);
        // The setter has no transition in some state of the cycle (here: in all of them).
        for (LockedSpinner.State s : states.subList(o.cycleStart(), states.size())) {
            List<Transition<LockedSpinner.State>> out = new ArrayList<>();
            system.successors(s, out);
            assertThat(out).noneMatch(t -> t.thread() == 1);
        }
        assertThat(o.trace().token()).isEqualTo("0.0");
        assertThat(o.note()).startsWith("fair cycle (weak fairness): spinner steps in it; setter is disabled");
    }

    @Test
    void randomRunsReportOnlyFairCycles() {
        ExploreOptions random = ExploreOptions.builder().strategy(Strategy.RANDOM).runs(50).seed(7).build();
        Polite polite = new Polite();
        Outcome<Polite.State> o = terminates(polite, random);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        replayLasso(polite, o);
        assertThat(cycleThreads(o)).containsExactlyInAnyOrder(0, 1);
        assertThat(o.note()).contains("fair cycle (weak fairness)");
    }

    /** Thread 0 spins until thread 1, always enabled, has counted to {@code limit} and set a flag. */
    private record SlowSetter(int limit) implements TransitionSystem<SlowSetter.State> {

        record State(boolean done0, int count) {}

        @Override
        public State initial() {
            return new State(false, 0);
        }

        @Override
        public void successors(State s, List<Transition<State>> out) {
            if (!s.done0()) {
                out.add(new Transition<>(0, 0, new State(s.count() > limit, s.count())));
            }
            if (s.count() <= limit) {
                out.add(new Transition<>(1, 0, new State(s.done0(), s.count() + 1)));
            }
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
            return thread == 0 ? "spinner" : "counter";
        }
    }

    @Test
    void randomRunsSkipUnfairCyclesOfTheirOwn() {
        // Runs of 20 steps never cover the 200 states, so the runs' own cycles are all there is;
        // every run spins in some state (unfair: the counter is enabled) within 50 runs.
        ExploreOptions random = ExploreOptions.builder().strategy(Strategy.RANDOM).runs(50).seed(7)
                .maxRunSteps(20).portfolioFallback(false).build();
        SlowSetter system = new SlowSetter(100);
        ExploreResult<SlowSetter.State> r = Explorer.explore(system, List.of(new Terminates<>("terminates"),
                new Reachable<>("spun", s -> false)), random);
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.outcomes().get(1).verdict()).isEqualTo(Verdict.UNKNOWN);
        // Exhaustively, too, there is no fair cycle.
        assertThat(terminates(system, ExploreOptions.defaults()).verdict()).isEqualTo(Verdict.PASS);
    }

    /** One thread walking 0 .. length, then spinning at length: a graph as deep as it is long. */
    private record Chain(int length) implements TransitionSystem<Integer> {

        @Override
        public Integer initial() {
            return 0;
        }

        @Override
        public void successors(Integer s, List<Transition<Integer>> out) {
            out.add(new Transition<>(0, 0, Math.min(s + 1, length)));
        }

        @Override
        public boolean finished(Integer s) {
            return true;
        }

        @Override
        public int threadCount() {
            return 1;
        }

        @Override
        public String threadName(int thread) {
            return "walker";
        }
    }

    @Test
    void aDeepGraphNeedsNoRecursion() {
        // Tarjan and the walks are iterative: a recursive version would overflow the Java stack here.
        Chain chain = new Chain(200_000);
        Outcome<Integer> o = terminates(chain, ExploreOptions.defaults());
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.cycleStart()).isEqualTo(200_000);
        assertThat(o.trace().length()).isEqualTo(200_001);
        replayLasso(chain, o);
    }

    @Test
    void aBudgetRunningOutInTheFairCycleSearchGivesUnknown() {
        // Terminates alone: the DFS pass has nothing to check, so only the fair-cycle pass explores.
        Grid grid = new Grid(40);
        ExploreOptions options = ExploreOptions.builder().maxStates(1_000).portfolioFallback(false).build();
        ExploreResult<Grid.State> r = Explorer.explore(grid, List.of(new Terminates<>("terminates")), options);
        Outcome<Grid.State> o = r.outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(o.note()).startsWith("fair-cycle search stopped (max-states)");
        assertThat(r.coverage()).isNotNull();
        assertThat(r.coverage().reason()).isEqualTo(StopReason.MAX_STATES);

        // With room, the same search completes: Grid only counts up, so it terminates.
        ExploreOptions roomy = ExploreOptions.builder().maxStates(100_000).build();
        assertThat(terminates(grid, roomy).verdict()).isEqualTo(Verdict.PASS);
    }

    @Test
    void aCancelledFairCycleSearchGivesUnknown() {
        CancelSignal cancel = new CancelSignal();
        cancel.cancel();
        ExploreOptions cancelled = ExploreOptions.builder().cancel(cancel).portfolioFallback(false).build();
        Outcome<Polite.State> o = terminates(new Polite(), cancelled);
        assertThat(o.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(o.note()).contains("interrupted");
    }
}
