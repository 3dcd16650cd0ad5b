package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.MaxMetric;
import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.Expectation.Terminates;
import dev.mmu.runtime.explore.Toys.Counter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the monitor asks of a search (cycles, an early stop) and the verdicts it gives. */
class MonitorTest {

    private static final Counter COUNTER = new Counter();
    private static final Terminates<Counter.State> TERMINATES = new Terminates<>("terminates");
    private static final Never<Counter.State> X_IS_1 = new Never<>("never x == 1", (s, t) -> s.x() == 1);
    private static final Never<Counter.State> WATCH_X_IS_2 = new Never<>("never x == 2", (s, t) -> s.x() == 2, true);

    private static Counter.State x(int x) {
        return new Counter.State(x, List.of(0, 0), List.of(0, 0));
    }

    @Test
    void cyclesAreWantedOnlyWhileATerminatesIsOpenAndCyclesAreChecked() {
        assertThat(new Monitor<>(COUNTER, List.of(X_IS_1)).wantsCycles()).isFalse();
        Monitor<Counter.State> m = new Monitor<>(COUNTER, List.of(X_IS_1, TERMINATES));
        assertThat(m.wantsCycles()).isTrue();
        m.checking(true, false);
        assertThat(m.wantsCycles()).isFalse();
        m.checking(false, true);
        m.onCycle(x(0), Schedule::empty, () -> Schedule.parse("0.1"), "fair cycle");
        assertThat(m.wantsCycles()).isFalse();
        assertThat(m.outcome(1, Monitor.Scope.complete()).isLasso()).isTrue();
    }

    @Test
    void cyclesAreIgnoredWhileOnlyStatesAreChecked() {
        Monitor<Counter.State> m = new Monitor<>(COUNTER, List.of(TERMINATES));
        m.checking(true, false);
        m.onCycle(x(0), Schedule::empty, () -> Schedule.parse("0.1"), "fair cycle");
        assertThat(m.finding(0).found).isFalse();
        m.checking(false, true);
        assertThat(m.allDecided()).isFalse();
    }

    @Test
    void statesAreIgnoredWhileOnlyCyclesAreChecked() {
        Monitor<Counter.State> m = new Monitor<>(COUNTER, List.of(X_IS_1));
        m.checking(false, true);
        m.onState(x(1), false, Schedule::empty);
        assertThat(m.finding(0).found).isFalse();
        m.checking(true, false);
        m.onState(x(1), false, Schedule::empty);
        assertThat(m.finding(0).found).isTrue();
        assertThat(m.allDecided()).isTrue();
    }

    @Test
    void aMaximumIsNeverDecidedEarlyAndEqualToItsBoundPasses() {
        Monitor<Counter.State> m = new Monitor<>(COUNTER,
                List.of(new MaxMetric<Counter.State>("max x <= 2", Counter.State::x, 2)));
        m.onState(x(2), false, Schedule::empty);
        m.onState(x(1), false, Schedule::empty);
        assertThat(m.allDecided()).isFalse();
        Outcome<Counter.State> o = m.outcome(0, Monitor.Scope.complete());
        assertThat(o.verdict()).isEqualTo(Verdict.PASS);
        assertThat(o.maximum()).hasValue(2);
        assertThat(o.note()).isEqualTo("max = 2, bound 2");
        m.onState(x(3), false, Schedule::empty);
        assertThat(m.outcome(0, Monitor.Scope.partial("stopped")).verdict()).isEqualTo(Verdict.FAIL);
        assertThat(m.outcome(0, Monitor.Scope.partial("stopped")).note()).startsWith("max = 3, bound 2 (at least; stopped)");
    }

    @Test
    void aStatesPassBesideTerminatesAloneRunsToTheEnd() {
        // The watches (lockdep, kernel_warning) are judged in the states pass; `terminates`, which
        // that pass does not check, must not let it stop after the first state.
        Monitor<Counter.State> m = new Monitor<>(COUNTER, List.of(TERMINATES, WATCH_X_IS_2));
        m.checking(true, false);
        m.onState(x(0), false, Schedule::empty);
        assertThat(m.allDecided()).isFalse();
        // Even once the cycles pass has found the lasso.
        m.checking(false, true);
        m.onCycle(x(0), Schedule::empty, () -> Schedule.parse("0.1"), "fair cycle");
        m.checking(true, false);
        assertThat(m.allDecided()).isFalse();
    }

    @Test
    void aWatchDoesNotKeepADecidedSearchGoing() {
        Monitor<Counter.State> m = new Monitor<>(COUNTER, List.of(X_IS_1, WATCH_X_IS_2));
        m.onState(x(1), false, Schedule::empty);
        assertThat(m.allDecided()).isTrue();
    }

    @Test
    void noExpectationsMeansRunToTheEnd() {
        assertThat(new Monitor<Counter.State>(COUNTER, List.of()).allDecided()).isFalse();
        assertThat(new Monitor<>(COUNTER, List.of(WATCH_X_IS_2)).allDecided()).isFalse();
    }

    /** A watch (lockdep) keeps no search going, fails where it is found and otherwise passes. */
    @Test
    void aWatchDecidesNothingAndPassesUnlessFound() {
        Monitor<Counter.State> m = new Monitor<>(COUNTER, List.of(X_IS_1, WATCH_X_IS_2));
        m.onState(x(1), false, Schedule::empty);
        assertThat(m.allDecided()).isTrue();
        Outcome<Counter.State> o = m.outcome(1, Monitor.Scope.partial("stopped early"));
        assertThat(o.verdict()).isEqualTo(Verdict.PASS);
        assertThat(o.note()).isEqualTo("in the states searched");
        m.onState(x(2), false, Schedule::empty);
        assertThat(m.outcome(1, Monitor.Scope.partial("stopped early")).verdict()).isEqualTo(Verdict.FAIL);
    }
}
