package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each soundness condition of {@link PartialOrder} on a toy system built so that a reduction
 * without it gets the verdict wrong: the reduced search must still find the bad state.
 */
class PartialOrderTest {

    /**
     * States are two counters (a, b) in 0..1. Thread 0 and thread 1 each flip or set their own
     * counter: they never conflict, so {@code persistent(t)} is {t} alone.
     */
    private abstract static class TwoCounters implements TransitionSystem<List<Integer>>, Dependencies<List<Integer>> {
        @Override
        public List<Integer> initial() {
            return List.of(0, 0);
        }

        /** Thread t's step from s, or null if it has none. */
        abstract List<Integer> step(List<Integer> s, int t);

        /** Whether thread t's step changes what the expectation reads. */
        abstract boolean visible(int t);

        @Override
        public void successors(List<Integer> s, List<Transition<List<Integer>>> out) {
            for (int t = 0; t < 2; t++) {
                List<Integer> n = step(s, t);
                if (n != null) out.add(new Transition<>(t, 0, n));
            }
        }

        @Override
        public boolean finished(List<Integer> s) {
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

        @Override
        public Dependencies<List<Integer>> dependencies() {
            return this;
        }

        @Override
        public Expansion<List<Integer>> expand(List<Integer> s) {
            List<Transition<List<Integer>>> out = new ArrayList<>();
            successors(s, out);
            return new Expansion<>() {
                @Override
                public List<Transition<List<Integer>>> transitions() {
                    return out;
                }

                @Override
                public boolean independent(int a, int b) {
                    return a != b;
                }

                @Override
                public boolean visible(int thread) {
                    return TwoCounters.this.visible(thread);
                }

                @Override
                public long persistent(int seed) {
                    return 1L << seed;
                }
            };
        }
    }

    private static <S> Outcome<S> check(TransitionSystem<S> system, Expectation<S> e, boolean partialOrder) {
        ExploreOptions o = ExploreOptions.builder().partialOrder(partialOrder).shortestCounterexample(false).build();
        return Explorer.explore(system, List.of(e), o).outcomes().get(0);
    }

    /**
     * The ignoring problem: thread 0 flips its counter forever (an invisible cycle), thread 1 sets
     * its counter once (visible). {0} is persistent everywhere, so a reduction without the cycle
     * proviso never runs thread 1 and passes "never b == 1". The proviso expands the state whose
     * step closes the cycle fully.
     */
    @Test
    void theCycleProvisoRunsAThreadAnInvisibleCycleWouldIgnore() {
        TwoCounters system = new TwoCounters() {
            @Override
            List<Integer> step(List<Integer> s, int t) {
                if (t == 0) return List.of(1 - s.get(0), s.get(1));
                return s.get(1) == 0 ? List.of(s.get(0), 1) : null;
            }

            @Override
            boolean visible(int t) {
                return t == 1;
            }
        };
        Expectation<List<Integer>> never = new Expectation.Never<>("never b == 1", (s, terminal) -> s.get(1) == 1);
        assertThat(check(system, never, false).verdict()).isEqualTo(Verdict.FAIL);
        Outcome<List<Integer>> reduced = check(system, never, true);
        assertThat(reduced.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(reduced.note()).contains("partial-order reduction");
    }

    /**
     * Sleep sets and the cycle proviso together: thread 0 flips its counter forever (invisible),
     * thread 1 counts b up to 2 (visible). At a = 1 the flip back closes the cycle, so the state is
     * fully expanded and thread 1 runs; had thread 0 then gone to sleep in the state b == 1
     * ("its order was explored": but only into the state on the stack, whose exploration had left
     * thread 1 out), b == 1 would have explored nothing and "never b == 2" would PASS.
     */
    @Test
    void aThreadWhoseStepClosedACycleDoesNotSleep() {
        TwoCounters system = new TwoCounters() {
            @Override
            List<Integer> step(List<Integer> s, int t) {
                if (t == 0) return List.of(1 - s.get(0), s.get(1));
                return s.get(1) < 2 ? List.of(s.get(0), s.get(1) + 1) : null;
            }

            @Override
            boolean visible(int t) {
                return t == 1;
            }
        };
        Expectation<List<Integer>> never = new Expectation.Never<>("never b == 2", (s, terminal) -> s.get(1) == 2);
        assertThat(check(system, never, false).verdict()).isEqualTo(Verdict.FAIL);
        assertThat(check(system, never, true).verdict()).isEqualTo(Verdict.FAIL);
    }

    /**
     * Visibility: each thread sets its own counter once; the bad state is b == 1 while a == 0
     * (thread 1 ran first). {0} is persistent, and a reduction that took it because thread 0
     * commutes with thread 1 would only see (1,0) and (1,1). Both steps write what the
     * expectation reads, so the state is fully expanded.
     */
    @Test
    void aVisibleStepIsNeverTheOnlyOneExplored() {
        TwoCounters system = new TwoCounters() {
            @Override
            List<Integer> step(List<Integer> s, int t) {
                if (s.get(t) == 1) return null;
                List<Integer> n = new ArrayList<>(s);
                n.set(t, 1);
                return n;
            }

            @Override
            boolean visible(int t) {
                return true;
            }
        };
        Expectation<List<Integer>> never = new Expectation.Never<>("never b == 1 && a == 0",
                (s, terminal) -> s.get(1) == 1 && s.get(0) == 0);
        assertThat(check(system, never, false).verdict()).isEqualTo(Verdict.FAIL);
        assertThat(check(system, never, true).verdict()).isEqualTo(Verdict.FAIL);
    }

    /** Where nothing is visible and there is no cycle, one order is enough: fewer transitions, the same states. */
    @Test
    void independentInvisibleStepsRunInOneOrder() {
        TwoCounters system = new TwoCounters() {
            @Override
            List<Integer> step(List<Integer> s, int t) {
                if (s.get(t) == 1) return null;
                List<Integer> n = new ArrayList<>(s);
                n.set(t, 1);
                return n;
            }

            @Override
            boolean visible(int t) {
                return false;
            }
        };
        ExploreOptions plain = ExploreOptions.builder().partialOrder(false).build();
        ExploreResult<List<Integer>> full = Explorer.explore(system, List.of(), plain);
        ExploreResult<List<Integer>> reduced = Explorer.explore(system, List.of(), ExploreOptions.defaults());
        assertThat(full.stats().statesStored()).isEqualTo(4);
        assertThat(reduced.stats().statesStored()).isEqualTo(3); // (0,0) (1,0) (1,1): (0,1) is skipped
        Expectation<List<Integer>> fin = new Expectation.Final<>("final a + b == 2", s -> s.get(0) + s.get(1) == 2);
        assertThat(check(system, fin, true).verdict()).isEqualTo(Verdict.PASS);
    }
}
