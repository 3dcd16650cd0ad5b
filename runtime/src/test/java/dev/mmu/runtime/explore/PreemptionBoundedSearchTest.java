package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Final;
import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.Expectation.NoDeadlock;
import dev.mmu.runtime.explore.Expectation.Terminates;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Counter;
import dev.mmu.runtime.explore.Toys.Peterson;
import dev.mmu.runtime.explore.Toys.Polite;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreemptionBoundedSearchTest {

    private static ExploreOptions bound(int k) {
        return ExploreOptions.builder().strategy(Strategy.PREEMPTION_BOUNDED).preemptionBound(k).build();
    }

    private static final Final<Counter.State> X_IS_2 = new Final<>("final x == 2", s -> s.x() == 2);

    @Test
    void lostUpdateNeedsOnePreemption() {
        Counter counter = new Counter();
        // Bound 0 runs the threads one after the other: no lost update.
        Outcome<Counter.State> serial = Explorer.explore(counter, List.of(X_IS_2), bound(0)).outcomes().get(0);
        assertThat(serial.verdict()).isEqualTo(Verdict.PASS);
        assertThat(serial.note()).isEqualTo("for preemption bound <= 0");

        Outcome<Counter.State> one = Explorer.explore(counter, List.of(X_IS_2), bound(1)).outcomes().get(0);
        assertThat(one.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(one.note()).isEqualTo("found at preemption bound 1");
        // 0 reads, 1 preempts and runs to the end, 0 writes (1 is done: no preemption).
        assertThat(one.trace().token()).isEqualTo("0.1.1.0");
        List<Counter.State> states = Explorer.replay(counter, one.trace());
        assertThat(states.get(states.size() - 1).x()).isEqualTo(1);
    }

    @Test
    void reportsTheLowestBoundThatFindsTheBug() {
        Outcome<Counter.State> o = Explorer.explore(new Counter(), List.of(X_IS_2), bound(3)).outcomes().get(0);
        assertThat(o.note()).isEqualTo("found at preemption bound 1");
    }

    @Test
    void boundThatPrunesNothingGivesAnUnqualifiedPass() {
        ExploreResult<Peterson.State> r = Explorer.explore(new Peterson(false), List.of(
                new Never<>("never both in cs", (s, t) -> Peterson.bothInCriticalSection(s)),
                new NoDeadlock<>("no deadlock")), bound(20));
        assertThat(r.outcomes()).extracting(Outcome::verdict).containsOnly(Verdict.PASS);
        assertThat(r.outcomes()).extracting(Outcome::note).containsOnly("");
        assertThat(r.coverage()).isNull();
    }

    @Test
    void judgesFairCyclesInTheWholeGraphWhateverTheBound() {
        // The livelock needs a switch each turn; Terminates is judged by the unbounded fair-cycle search.
        Polite polite = new Polite();
        Outcome<Polite.State> o = Explorer.explore(polite, List.of(new Terminates<>("terminates")), bound(0))
                .outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        List<Polite.State> states = Explorer.replay(polite, o.trace());
        assertThat(states.get(states.size() - 1)).isEqualTo(states.get(o.cycleStart()));
    }

    @Test
    void choicesOfTheSameThreadAreNotPreemptions() {
        // Grid threads never block, so any switch is a preemption; choices (step 1 or 2) are not.
        // At bound 0, thread 0 runs to its limit first; reaching a == 2 by one 2-step needs no switch.
        ExploreResult<Toys.Grid.State> r = Explorer.explore(new Toys.Grid(2),
                List.of(new Never<>("never a == 2 while b == 0 and c == 0",
                        (s, t) -> s.a() == 2 && s.b() == 0 && s.c() == 0)), bound(0));
        Outcome<Toys.Grid.State> o = r.outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).isEqualTo("found at preemption bound 0");
        assertThat(o.trace().token()).isEqualTo("0.0");

        // (1,1,0) needs a switch from 0 to 1 while 0 could still step: one preemption.
        Never<Toys.Grid.State> needsSwitch = new Never<>("never a == 1 and b == 1",
                (s, t) -> s.a() == 1 && s.b() == 1 && s.c() == 0);
        assertThat(Explorer.explore(new Toys.Grid(2), List.of(needsSwitch), bound(0)).outcomes().get(0).verdict())
                .isEqualTo(Verdict.PASS);
        assertThat(Explorer.explore(new Toys.Grid(2), List.of(needsSwitch), bound(1)).outcomes().get(0).note())
                .isEqualTo("found at preemption bound 1");
    }
}
