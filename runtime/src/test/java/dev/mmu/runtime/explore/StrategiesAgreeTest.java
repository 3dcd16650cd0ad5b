package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Final;
import dev.mmu.runtime.explore.Expectation.MaxMetric;
import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.Expectation.NoDeadlock;
import dev.mmu.runtime.explore.Expectation.Reachable;
import dev.mmu.runtime.explore.Expectation.Terminates;
import dev.mmu.runtime.explore.Expectation.Violation;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Counter;
import dev.mmu.runtime.explore.Toys.Deadlock;
import dev.mmu.runtime.explore.Toys.Peterson;
import dev.mmu.runtime.explore.Toys.Polite;
import dev.mmu.runtime.explore.Toys.Spinner;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Differential test: on every toy, DFS, BFS and a preemption bound large enough to prune nothing
 * give the same verdicts, and every trace replays to a state that explains its verdict.
 */
class StrategiesAgreeTest {

    private static final List<ExploreOptions> COMPLETE = List.of(
            ExploreOptions.builder().strategy(Strategy.DFS).build(),
            ExploreOptions.builder().strategy(Strategy.DFS).shortestCounterexample(false).build(),
            ExploreOptions.builder().strategy(Strategy.BFS).build(),
            ExploreOptions.builder().strategy(Strategy.PREEMPTION_BOUNDED).preemptionBound(50).build());

    private static <S> void agree(TransitionSystem<S> system, List<Expectation<S>> expectations,
            List<Verdict> expected, Consumer<ExploreResult<S>> check) {
        for (ExploreOptions options : COMPLETE) {
            ExploreResult<S> r = Explorer.explore(system, expectations, options);
            assertThat(r.outcomes()).as(options.strategy().name()).extracting(Outcome::verdict)
                    .containsExactlyElementsOf(expected);
            for (Outcome<S> o : r.outcomes()) {
                if (o.hasTrace()) {
                    assertThat(Explorer.replay(system, o.trace())).hasSize(o.trace().length() + 1);
                }
            }
            check.accept(r);
        }
    }

    @Test
    void counter() {
        Counter counter = new Counter(2, 2);
        agree(counter, List.of(
                new Final<>("x == 2", s -> s.x() == 2),
                new Never<>("lost update", (s, t) -> Counter.lostUpdate(s, counter)),
                new Reachable<>("x == 2", s -> s.x() == 2),
                new MaxMetric<>("x <= 2", Counter.State::x, 2),
                new Terminates<>("terminates"),
                new NoDeadlock<>("no deadlock")),
                List.of(Verdict.FAIL, Verdict.FAIL, Verdict.PASS, Verdict.PASS, Verdict.PASS, Verdict.PASS),
                r -> {
                    assertThat(r.outcomes().get(3).maximum()).hasValue(2);
                    assertThat(r.coverage()).isNull();
                });
    }

    @Test
    void peterson() {
        agree(new Peterson(true), List.of(
                new Never<>("mutex", (s, t) -> Peterson.bothInCriticalSection(s)),
                new Violation<>("regression", (s, t) -> Peterson.bothInCriticalSection(s)),
                new NoDeadlock<>("no deadlock")),
                List.of(Verdict.FAIL, Verdict.PASS, Verdict.PASS), r -> { });
    }

    @Test
    void deadlockSpinnerAndLivelock() {
        Deadlock deadlock = new Deadlock();
        agree(deadlock, List.of(new NoDeadlock<>("no deadlock"), new Terminates<>("terminates")),
                List.of(Verdict.FAIL, Verdict.PASS),
                r -> assertThat(deadlock.finished(last(deadlock, r.outcomes().get(0).trace()))).isFalse());
        // The spinner's cycle is unfair (the setter is enabled throughout): no livelock.
        agree(new Spinner(), List.of(new Terminates<>("terminates"), new Reachable<>("done", s -> s.pc0() == 2)),
                List.of(Verdict.PASS, Verdict.PASS), r -> { });
        Polite polite = new Polite();
        agree(polite, List.of(new Terminates<>("terminates"), new Reachable<>("done", s -> s.pc0() == 2)),
                List.of(Verdict.FAIL, Verdict.PASS), r -> {
                    Outcome<Polite.State> lasso = r.outcomes().get(0);
                    List<Polite.State> states = Explorer.replay(polite, lasso.trace());
                    assertThat(states.get(states.size() - 1)).isEqualTo(states.get(lasso.cycleStart()));
                });
    }

    private static <S> S last(TransitionSystem<S> system, Schedule trace) {
        List<S> states = Explorer.replay(system, trace);
        return states.get(states.size() - 1);
    }
}
