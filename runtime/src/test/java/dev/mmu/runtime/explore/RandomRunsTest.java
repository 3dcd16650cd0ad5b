package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.Expectation.Terminates;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Grid;
import dev.mmu.runtime.explore.Toys.LockedSpinner;
import dev.mmu.runtime.explore.Toys.Polite;
import dev.mmu.runtime.explore.Toys.Spinner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Random runs counted exactly, their fairness check, and the PCT scheduler's priorities. */
class RandomRunsTest {

    private static final Grid BIG = new Grid(60);
    private static final Never<Grid.State> NEVER = new Never<>("never a < 0", (s, t) -> s.a() < 0);

    private static ExploreResult<Grid.State> sample(ExploreOptions.Builder b) {
        return Explorer.explore(BIG, List.of(NEVER), b.strategy(Strategy.RANDOM).runs(30).seed(3).build());
    }

    @Test
    void everyRunIsCountedAndStopsAtMaxRunSteps() {
        Coverage c = sample(ExploreOptions.builder().maxRunSteps(5)).coverage();
        assertThat(c.runs()).isEqualTo(30);
        assertThat(c.depth()).isEqualTo(5);
        assertThat(c.reason()).isNull();
    }

    @Test
    void theCoverageSetStopsGrowingAtMaxStatesWithoutStoppingTheRuns() {
        Coverage c = sample(ExploreOptions.builder().maxStates(10)).coverage();
        assertThat(c.states()).isEqualTo(10);
        assertThat(c.runs()).isEqualTo(30);
        assertThat(c.reason()).isNull();
    }

    @Test
    void anExhaustedBudgetEndsTheRunsUncounted() {
        ExploreResult<Grid.State> r = sample(ExploreOptions.builder().timeLimit(Duration.ZERO));
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.coverage().reason()).isEqualTo(StopReason.TIME);
        assertThat(r.coverage().runs()).isZero();
    }

    /** Few states kept, so the runs never look closed and their own cycle check gives the verdict. */
    private static <S> Outcome<S> terminates(TransitionSystem<S> system) {
        return Explorer.explore(system, List.of(new Terminates<S>("terminates")),
                ExploreOptions.builder().strategy(Strategy.RANDOM).runs(50).seed(5).maxStates(2).build()).outcomes().get(0);
    }

    @Test
    void aSpinWhileTheSetterCouldRunIsNotALivelock() {
        // The spinner's self-loop is unfair to the setter, which is enabled throughout.
        assertThat(terminates(new Spinner()).verdict()).isEqualTo(Verdict.UNKNOWN);
    }

    @Test
    void aSpinWhileTheSetterIsLockedOutIsALivelock() {
        LockedSpinner system = new LockedSpinner();
        Outcome<LockedSpinner.State> o = terminates(system);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).contains("spinner steps in it; setter is disabled in one of its states");
        List<LockedSpinner.State> states = Explorer.replay(system, o.trace());
        assertThat(states.get(states.size() - 1)).isEqualTo(states.get(o.cycleStart()));
    }

    @Test
    void aLivelockOfBothThreadsNamesBoth() {
        Outcome<Polite.State> o = terminates(new Polite());
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).contains("polite0, polite1 step in it").doesNotContain("disabled");
    }

    private static int[] priorities(PctScheduler<?> s) {
        String text = s.toString();
        assertThat(text).startsWith("PCT depth ");
        String list = text.substring(text.indexOf('[') + 1, text.indexOf(']'));
        return Arrays.stream(list.split(", ")).mapToInt(Integer::parseInt).toArray();
    }

    private static List<Transition<Integer>> allThreads(int threads) {
        List<Transition<Integer>> enabled = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            enabled.add(new Transition<>(t, 0, t));
        }
        return enabled;
    }

    @Test
    void pctGivesEachThreadADistinctShuffledPriorityAboveTheChangePoints() {
        PctScheduler<Integer> s = new PctScheduler<>(new Random(1), 3, 2);
        Set<String> orders = new HashSet<>();
        for (int run = 0; run < 20; run++) {
            s.startRun(100);
            int[] p = priorities(s);
            orders.add(Arrays.toString(p));
            assertThat(Arrays.stream(p).sorted().toArray()).containsExactly(2, 3, 4);
        }
        assertThat(orders.size()).isGreaterThan(1);
    }

    @Test
    void pctRunsTheHighestPriorityThreadUntilAChangePointLowersIt() {
        PctScheduler<Integer> s = new PctScheduler<>(new Random(2), 3, 2);
        s.startRun(1); // the one change point is at step 1
        int[] before = priorities(s);
        int first = s.pick(allThreads(3)).thread();
        assertThat(before[first]).isEqualTo(4);
        int[] after = priorities(s);
        assertThat(after[first]).isEqualTo(1);
        int second = s.pick(allThreads(3)).thread();
        assertThat(before[second]).isEqualTo(3);
        assertThat(s.pick(allThreads(3)).thread()).isEqualTo(second);
    }
}
