package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Terminates;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * `expect terminates` under symmetry: the fair-cycle search expands one state per orbit and judges
 * fairness on the lifted graph. On toys of n interchangeable threads, each with a small local
 * value (sorted for the canonical form), and a shared value: the same verdicts as without
 * symmetry, lassos that replay and close on the real state, and fewer states expanded.
 */
class SymmetricFairCycleTest {

    /** n interchangeable threads: state = shared value, then each thread's local. */
    record State(int shared, List<Integer> locals) {}

    /**
     * step.apply(state, thread) is the thread's next state, or null when it is disabled; it must
     * treat every thread alike (it may read only the shared value, its own local and the multiset
     * of the others').
     */
    static final class Twins implements TransitionSystem<State> {
        final int n;
        final State initial;
        final BiFunction<State, Integer, State> step;

        Twins(int n, State initial, BiFunction<State, Integer, State> step) {
            this.n = n;
            this.initial = initial;
            this.step = step;
        }

        @Override public State initial() { return initial; }
        @Override public int threadCount() { return n; }
        @Override public String threadName(int t) { return "t" + t; }
        @Override public boolean finished(State s) { return true; }

        @Override
        public void successors(State s, List<Transition<State>> out) {
            for (int t = 0; t < n; t++) {
                State x = step.apply(s, t);
                if (x != null) out.add(new Transition<>(t, 0, x));
            }
        }

        @Override
        public State canonical(State s) {
            List<Integer> l = new ArrayList<>(s.locals());
            l.sort(null);
            return new State(s.shared(), List.copyOf(l));
        }

        @Override
        public int[] canonicalThreads(State s) {
            Integer[] order = new Integer[n];
            for (int t = 0; t < n; t++) order[t] = t;
            Arrays.sort(order, (a, b) -> Integer.compare(s.locals().get(a), s.locals().get(b))); // stable
            int[] to = new int[n];
            for (int i = 0; i < n; i++) to[order[i]] = i;
            return to;
        }
    }

    static State with(State s, int t, int local, int shared) {
        List<Integer> l = new ArrayList<>(s.locals());
        l.set(t, local);
        return new State(shared, List.copyOf(l));
    }

    static State start(int n) {
        return new State(0, java.util.Collections.nCopies(n, 0));
    }

    /**
     * Two threads passing a token: a thread whose local is 0 takes it (its local 1, the others' 0).
     * The only cycle alternates the threads, and each is disabled while it holds the token: fair,
     * so terminates FAILs. In the quotient it is a self-loop by one thread through a swap: a
     * search that did not lift it would report a lasso that does not close.
     */
    static Twins token(int n) {
        return new Twins(n, start(n), (s, t) -> {
            if (s.locals().get(t) != 0) return null;
            List<Integer> l = new ArrayList<>(java.util.Collections.nCopies(n, 0));
            l.set(t, 1);
            return new State(0, List.copyOf(l));
        });
    }

    /**
     * Each thread raises its flag (local 1), then waits (spins, local stays 1) while some other
     * thread's flag is down, then finishes (local 2). A thread spinning while another has not
     * raised its flag is an unfair cycle (the other is enabled and does not step): PASS.
     */
    static Twins flags(int n) {
        return new Twins(n, start(n), (s, t) -> {
            int me = s.locals().get(t);
            if (me == 0) return with(s, t, 1, s.shared());
            if (me == 2) return null;
            boolean othersUp = true;
            for (int u = 0; u < n; u++) if (u != t && s.locals().get(u) == 0) othersUp = false;
            return othersUp ? with(s, t, 2, s.shared()) : s;
        });
    }

    /**
     * Each thread counts its local 0 -> 1 -> 2 -> 0 forever, but only when the shared value is its
     * turn in a round robin kept as the shared counter of steps mod n ... which names threads, so
     * instead: a thread steps only while its local is the smallest (the laggard moves): every
     * thread steps in the long run, a fair cycle: FAIL, through permutations of the locals.
     */
    static Twins laggards(int n) {
        return new Twins(n, start(n), (s, t) -> {
            int me = s.locals().get(t);
            for (int u = 0; u < n; u++) if (s.locals().get(u) < me) return null;
            if (me == 2) { // all at 2: wrap everyone's count by moving this one to 0
                return with(s, t, 0, s.shared());
            }
            return with(s, t, me + 1, s.shared());
        });
    }

    /** A spinning thread and a bounded one: thread t spins (shared unchanged) only while shared is odd. */
    static Twins spinners(int n) {
        return new Twins(n, start(n), (s, t) -> {
            int me = s.locals().get(t);
            if (me < 2) return with(s, t, me + 1, (s.shared() + 1) % 2);
            return s.shared() == 1 ? s : null;
        });
    }

    /**
     * Every thread turns its own wheel (local 0..5, mod 6), always enabled: fair cycles everywhere
     * (FAIL); four threads make 1,296 real states, the lifted graph's arrays grow past their start.
     */
    static Twins wheels(int n) {
        return new Twins(n, start(n), (s, t) -> with(s, t, (s.locals().get(t) + 1) % 6, s.shared()));
    }

    private static ExploreResult<State> check(Twins system, boolean symmetry) {
        ExploreOptions o = ExploreOptions.builder().symmetry(symmetry).build();
        return Explorer.explore(system, List.of(new Terminates<>("terminates")), o);
    }

    /**
     * The search itself: one state per orbit stored and expanded (token(3): all free, and one
     * holder; 3 + 2 steps), and the state the lasso's cycle starts at is the real one the stem
     * reaches, not its orbit's stored state.
     */
    @Test
    void theSearchStoresOneStatePerOrbitAndTheLassosRealEntry() {
        Twins system = token(3);
        Monitor<State> monitor = new Monitor<>(system, List.of(new Terminates<>("t")));
        SearchReport r = FairCycleSearch.run(system, monitor,
                new Budget(ExploreOptions.builder().build(), "fair cycles", System.nanoTime()), true);
        assertThat(r.states()).isEqualTo(2);
        assertThat(r.transitions()).isEqualTo(5);
        Monitor.Finding<State> f = monitor.finding(0);
        assertThat(f.found).isTrue();
        List<State> states = Explorer.replay(system, f.trace);
        assertThat(f.state).isEqualTo(states.get(f.cycleStart)).isEqualTo(states.get(states.size() - 1));
    }

    /** A budget stops the quotient's BFS or the lifting: UNKNOWN, as without symmetry. */
    @Test
    void aBudgetStopsItWithUnknown() {
        for (long max : new long[] {2, 40}) {
            ExploreOptions o = ExploreOptions.builder().symmetry(true).maxStates(max).portfolioFallback(false).build();
            ExploreResult<State> r = Explorer.explore(wheels(3), List.of(new Terminates<>("terminates")), o);
            assertThat(r.outcomes().get(0).verdict()).as("max " + max).isEqualTo(Verdict.UNKNOWN);
        }
        // the search itself (the main pass above stops first)
        Monitor<State> monitor = new Monitor<>(wheels(3), List.of(new Terminates<>("t")));
        SearchReport r = FairCycleSearch.run(wheels(3), monitor, new Budget(
                ExploreOptions.builder().maxStates(10).build(), "fair cycles", System.nanoTime()), true);
        assertThat(r.stopped()).isEqualTo(StopReason.MAX_STATES);
        assertThat(monitor.finding(0).found).isFalse();
    }

    @Test
    void symmetryIsAppliedToTerminates() {
        Twins system = token(2);
        assertThat(Explorer.symmetric(system, List.of(new Terminates<>("t")), ExploreOptions.builder().symmetry(true).build()))
                .isTrue();
    }

    @Test
    void sameVerdictsAsWithoutSymmetryAndLassosThatClose() {
        record Toy(String name, Twins system, Verdict verdict) {}
        List<Toy> toys = new ArrayList<>();
        for (int n = 2; n <= 4; n++) {
            toys.add(new Toy("token " + n, token(n), Verdict.FAIL));
            toys.add(new Toy("flags " + n, flags(n), Verdict.PASS));
            toys.add(new Toy("laggards " + n, laggards(n), Verdict.FAIL));
            toys.add(new Toy("spinners " + n, spinners(n), null));
        }
        toys.add(new Toy("wheels 4", wheels(4), Verdict.FAIL));
        boolean fewer = false;
        for (Toy toy : toys) {
            ExploreResult<State> plain = check(toy.system(), false);
            ExploreResult<State> sym = check(toy.system(), true);
            Outcome<State> a = plain.outcomes().get(0);
            Outcome<State> b = sym.outcomes().get(0);
            if (toy.verdict() != null) assertThat(a.verdict()).as(toy.name() + " without symmetry").isEqualTo(toy.verdict());
            assertThat(b.verdict()).as(toy.name()).isEqualTo(a.verdict());
            if (b.hasTrace()) {
                List<State> states = Explorer.replay(toy.system(), b.trace());
                assertThat(states).as(toy.name()).hasSize(b.trace().length() + 1);
                assertThat(states.get(states.size() - 1)).as(toy.name() + ": the lasso closes on the real state")
                        .isEqualTo(states.get(b.cycleStart()));
                // every thread enabled all along the cycle steps in it
                List<State> cycle = states.subList(b.cycleStart(), states.size() - 1);
                for (int t = 0; t < toy.system().n; t++) {
                    int thread = t;
                    boolean stepped = b.trace().steps().subList(b.cycleStart(), b.trace().length()).stream()
                            .anyMatch(st -> st.thread() == thread);
                    boolean alwaysEnabled = cycle.stream().allMatch(s -> toy.system().step.apply(s, thread) != null);
                    assertThat(stepped || !alwaysEnabled).as(toy.name() + ": thread " + t + " treated fairly").isTrue();
                }
            }
            assertThat(sym.stats().statesStored()).as(toy.name()).isLessThanOrEqualTo(plain.stats().statesStored());
            fewer |= sym.stats().statesStored() < plain.stats().statesStored();
        }
        assertThat(fewer).isTrue();
    }
}
