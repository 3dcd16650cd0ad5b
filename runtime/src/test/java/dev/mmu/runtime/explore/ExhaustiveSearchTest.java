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
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** DFS and BFS verdicts and traces on systems whose answers are known by hand. */
class ExhaustiveSearchTest {

    private static <S> Outcome<S> only(TransitionSystem<S> system, Expectation<S> e, ExploreOptions options) {
        ExploreResult<S> result = Explorer.explore(system, List.of(e), options);
        assertThat(result.outcomes()).hasSize(1);
        return result.outcomes().get(0);
    }

    private static <S> Outcome<S> only(TransitionSystem<S> system, Expectation<S> e) {
        return only(system, e, ExploreOptions.defaults());
    }

    private static <S> S lastState(TransitionSystem<S> system, Schedule trace) {
        List<S> states = Explorer.replay(system, trace);
        return states.get(states.size() - 1);
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"DFS", "BFS"})
    void lostUpdateFailsWithTheKnownShortestSchedule(Strategy strategy) {
        Counter counter = new Counter();
        Outcome<Counter.State> o = only(counter, new Final<>("final x == 2", s -> s.x() == 2),
                ExploreOptions.builder().strategy(strategy).build());
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        // Both read 0, then both write 1: four steps, the shortest possible.
        assertThat(o.trace().token()).isEqualTo("0.1.0.1");
        assertThat(o.note()).contains("shortest (BFS)");
        assertThat(lastState(counter, o.trace()).x()).isEqualTo(1);
    }

    @Test
    void dfsFailureIsReSearchedWithBfsForTheShortestTrace() {
        // The bystander is thread 0, so DFS runs it first and its steps pad the DFS trace.
        Counter counter = new Counter(0, 2);
        Never<Counter.State> never = new Never<>("never lost update", (s, t) -> Counter.lostUpdate(s, counter));

        Outcome<Counter.State> dfsOnly = only(counter, never,
                ExploreOptions.builder().shortestCounterexample(false).build());
        assertThat(dfsOnly.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(dfsOnly.trace().token()).isEqualTo("0.0.1.2.1.2");
        assertThat(dfsOnly.note()).isEqualTo("found by DFS");

        Outcome<Counter.State> shortest = only(counter, never);
        assertThat(shortest.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(shortest.trace().token()).isEqualTo("1.2.1.2");
        assertThat(shortest.note()).isEqualTo("shortest (BFS)");
        assertThat(Counter.lostUpdate(lastState(counter, shortest.trace()), counter)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"DFS", "BFS"})
    void petersonKeepsMutualExclusion(Strategy strategy) {
        ExploreResult<Peterson.State> r = Explorer.explore(new Peterson(false), List.of(
                new Never<>("never both in cs", (s, t) -> Peterson.bothInCriticalSection(s)),
                new NoDeadlock<>("no deadlock"),
                new Terminates<>("terminates")),
                ExploreOptions.builder().strategy(strategy).build());
        assertThat(r.outcomes()).extracting(Outcome::verdict).containsOnly(Verdict.PASS);
        assertThat(r.outcomes()).allSatisfy(o -> assertThat(o.hasTrace()).isFalse());
        assertThat(r.coverage()).isNull();
        assertThat(r.verdict()).isEqualTo(Verdict.PASS);
    }

    @Test
    void brokenPetersonViolatesMutualExclusion() {
        Peterson broken = new Peterson(true);
        ExploreResult<Peterson.State> r = Explorer.explore(broken, List.of(
                new Never<>("never both in cs", (s, t) -> Peterson.bothInCriticalSection(s)),
                new Violation<>("regression: both in cs", (s, t) -> Peterson.bothInCriticalSection(s))),
                ExploreOptions.defaults());
        Outcome<Peterson.State> never = r.outcomes().get(0);
        Outcome<Peterson.State> violation = r.outcomes().get(1);
        assertThat(never.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(violation.verdict()).isEqualTo(Verdict.PASS);
        // flag, flag, enter, enter: four steps.
        assertThat(never.trace().length()).isEqualTo(4);
        assertThat(violation.trace()).isEqualTo(never.trace());
        assertThat(Peterson.bothInCriticalSection(lastState(broken, never.trace()))).isTrue();
        assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
    }

    @Test
    void violationFailsWhenTheBugDoesNotReproduce() {
        Outcome<Peterson.State> o = only(new Peterson(false),
                new Violation<>("regression: both in cs", (s, t) -> Peterson.bothInCriticalSection(s)));
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.hasTrace()).isFalse();
        assertThat(o.note()).contains("no such state is reachable");
    }

    @Test
    void fairCycleFailsTerminatesWithALasso() {
        Polite polite = new Polite();
        Outcome<Polite.State> o = only(polite, new Terminates<>("terminates"));
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.isLasso()).isTrue();
        // Both announce, then hand the turn over and back: stem "0.1", cycle "0.1".
        assertThat(o.trace().token()).isEqualTo("0.1.0.1");
        assertThat(o.cycleStart()).isEqualTo(2);
        assertThat(o.note()).contains("cycle starts at step 2");
        List<Polite.State> states = Explorer.replay(polite, o.trace());
        assertThat(states.get(states.size() - 1)).isEqualTo(states.get(o.cycleStart()));
    }

    @Test
    void bfsStrategyStillFindsTheCycle() {
        Polite polite = new Polite();
        Outcome<Polite.State> o = only(polite, new Terminates<>("terminates"),
                ExploreOptions.builder().strategy(Strategy.BFS).build());
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        List<Polite.State> states = Explorer.replay(polite, o.trace());
        assertThat(states.get(states.size() - 1)).isEqualTo(states.get(o.cycleStart()));
    }

    @Test
    void acyclicSystemTerminates() {
        Outcome<Counter.State> o = only(new Counter(2, 3), new Terminates<>("terminates"));
        assertThat(o.verdict()).isEqualTo(Verdict.PASS);
        assertThat(o.cycleStart()).isEqualTo(-1);
    }

    @Test
    void locksInOppositeOrderDeadlock() {
        Deadlock system = new Deadlock();
        Outcome<Deadlock.State> o = only(system, new NoDeadlock<>("no deadlock"));
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        // Thread 0 takes A, thread 1 takes B: both wait forever.
        assertThat(o.trace().token()).isEqualTo("0.1");
        Deadlock.State stuck = lastState(system, o.trace());
        assertThat(stuck).isEqualTo(new Deadlock.State(1, 1, 0, 1));
        assertThat(system.finished(stuck)).isFalse();
    }

    @Test
    void reachableKeepsAWitness() {
        Counter counter = new Counter();
        Outcome<Counter.State> o = only(counter, new Reachable<>("x == 2 reachable", s -> s.x() == 2));
        assertThat(o.verdict()).isEqualTo(Verdict.PASS);
        assertThat(o.trace().length()).isEqualTo(4);
        assertThat(lastState(counter, o.trace()).x()).isEqualTo(2);
    }

    @Test
    void unreachableGoalFails() {
        Outcome<Counter.State> o = only(new Counter(), new Reachable<>("x == 3 reachable", s -> s.x() == 3));
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.hasTrace()).isFalse();
    }

    @Test
    void maxMetricReportsTheMaximumAndATraceToIt() {
        Counter counter = new Counter();
        Outcome<Counter.State> over = only(counter, new MaxMetric<>("max x <= 1", Counter.State::x, 1));
        assertThat(over.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(over.maximum()).hasValue(2);
        assertThat(over.note()).contains("max = 2, bound 1");
        assertThat(lastState(counter, over.trace()).x()).isEqualTo(2);
        assertThat(over.trace().length()).isEqualTo(4);

        Outcome<Counter.State> within = only(counter, new MaxMetric<>("max x <= 2", Counter.State::x, 2));
        assertThat(within.verdict()).isEqualTo(Verdict.PASS);
        assertThat(within.maximum()).hasValue(2);
        assertThat(lastState(counter, within.trace()).x()).isEqualTo(2);
    }

    @Test
    void violatedInitialStateHasTheEmptyTrace() {
        Outcome<Counter.State> o = only(new Counter(), new Never<>("never x == 0", (s, t) -> s.x() == 0));
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.trace().length()).isZero();
    }

    @Test
    void sameInputsGiveTheSameTracesAndCounts() {
        Counter counter = new Counter(0, 3);
        List<Expectation<Counter.State>> expectations = List.of(
                new Never<>("never lost update", (s, t) -> Counter.lostUpdate(s, counter)),
                new MaxMetric<>("max x", Counter.State::x, 5),
                new Reachable<>("x == 2", s -> s.x() == 2));
        ExploreResult<Counter.State> a = Explorer.explore(counter, expectations, ExploreOptions.defaults());
        ExploreResult<Counter.State> b = Explorer.explore(counter, expectations, ExploreOptions.defaults());
        for (int i = 0; i < expectations.size(); i++) {
            assertThat(b.outcomes().get(i).trace().token()).isEqualTo(a.outcomes().get(i).trace().token());
            assertThat(b.outcomes().get(i).note()).isEqualTo(a.outcomes().get(i).note());
        }
        assertThat(b.stats().statesStored()).isEqualTo(a.stats().statesStored());
        assertThat(b.stats().transitions()).isEqualTo(a.stats().transitions());
        assertThat(b.stats().maxDepth()).isEqualTo(a.stats().maxDepth());
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"DFS", "BFS"})
    void statsCountTheWholeSpace(Strategy strategy) {
        // 3 counters in {0,1,2}: 27 states; per counter 3 transitions (0->1, 0->2, 1->2) times
        // the 9 values of the other two: 81 transitions.
        ExploreResult<Toys.Grid.State> r = Explorer.explore(new Toys.Grid(2),
                List.of(new Never<>("never", (s, t) -> false)),
                ExploreOptions.builder().strategy(strategy).build());
        assertThat(r.stats().statesStored()).isEqualTo(27);
        assertThat(r.stats().transitions()).isEqualTo(81);
        // DFS goes down by +1 steps first (6 deep); BFS's last level is (2,2,2) at distance 3.
        assertThat(r.stats().maxDepth()).isEqualTo(strategy == Strategy.DFS ? 6 : 3);
        assertThat(r.stats().statesPerSecond()).isPositive();
    }

    @Test
    void noExpectationsStillExploresEverything() {
        ExploreResult<Toys.Grid.State> r = Explorer.explore(new Toys.Grid(2), List.of(), ExploreOptions.defaults());
        assertThat(r.outcomes()).isEmpty();
        assertThat(r.stats().statesStored()).isEqualTo(27);
        assertThat(r.verdict()).isEqualTo(Verdict.PASS);
    }
}
