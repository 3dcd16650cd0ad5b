package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link PartialOrder}'s rules one at a time, on one state whose dependencies are set by hand:
 * which set it explores (the fewest awake steps among persistent, invisible sets that close no
 * cycle), what the children's sleep sets keep, and when a visited state is expanded again.
 */
class PartialOrderUnitTest {

    /** State 0 with steps of threads 0, 1, 2 (thread 2 has two choices) to states 10 + i. */
    private static class OneState implements TransitionSystem<Integer>, Dependencies<Integer> {
        long[] persistent = {0b111, 0b111, 0b111};
        boolean[] visible = new boolean[3];
        /** Pairs of threads that do not commute. */
        long[] dependent = new long[3];

        @Override public Integer initial() { return 0; }
        @Override public void successors(Integer s, List<Transition<Integer>> out) {
            if (s != 0) return;
            out.add(new Transition<>(0, 0, 10));
            out.add(new Transition<>(1, 0, 11));
            out.add(new Transition<>(2, 0, 12));
            out.add(new Transition<>(2, 1, 13));
        }
        @Override public boolean finished(Integer s) { return true; }
        @Override public int threadCount() { return 3; }
        @Override public String threadName(int thread) { return "t" + thread; }

        @Override
        public Expansion<Integer> expand(Integer s) {
            List<Transition<Integer>> out = new ArrayList<>();
            successors(s, out);
            return new Expansion<>() {
                @Override public List<Transition<Integer>> transitions() { return out; }
                @Override public boolean independent(int a, int b) { return (dependent[a] >> b & 1) == 0; }
                @Override public boolean visible(int thread) { return visible[thread]; }
                @Override public long persistent(int seed) { return persistent[seed]; }
            };
        }

        void dependent(int a, int b) {
            dependent[a] |= 1L << b;
            dependent[b] |= 1L << a;
        }
    }

    private static List<String> steps(PartialOrder.Reduced<Integer> r) {
        return r.explore.stream().map(t -> t.step().token()).toList();
    }

    @Test
    void theSmallestPersistentSetIsExplored() {
        OneState s = new OneState();
        s.persistent = new long[] {0b011, 0b010, 0b111};
        PartialOrder<Integer> po = new PartialOrder<>(s, s);
        PartialOrder.Reduced<Integer> r = po.expand(0, 0);
        assertThat(steps(r)).containsExactly("1");
        assertThat(r.reduced).isTrue();
        assertThat(r.keys).containsExactly(11);
        assertThat(po.reducedStates()).isEqualTo(1);
        assertThat(po.note()).isEqualTo("partial-order reduction: fewer steps at 1 states");
    }

    @Test
    void aSetIsSizedByItsSteps() {
        // {2} has two steps (two choices), {0, 1} two as well: the first found is kept.
        OneState s = new OneState();
        s.persistent = new long[] {0b011, 0b011, 0b100};
        PartialOrder.Reduced<Integer> r = new PartialOrder<>(s, s).expand(0, 0);
        assertThat(steps(r)).containsExactly("0", "1");
        // Thread 0 asleep: {0, 1} has one awake step, fewer than {2}'s two.
        assertThat(steps(new PartialOrder<>(s, s).expand(0, 0b001))).containsExactly("1");
    }

    @Test
    void aVisibleSetIsNotTaken() {
        OneState s = new OneState();
        s.persistent = new long[] {0b011, 0b010, 0b111};
        s.visible[1] = true;
        PartialOrder<Integer> po = new PartialOrder<>(s, s);
        PartialOrder.Reduced<Integer> r = po.expand(0, 0);
        assertThat(steps(r)).as("{0, 1} holds the visible thread 1 too").containsExactly("0", "1", "2", "2:1");
        assertThat(r.reduced).isFalse();
        assertThat(po.reducedStates()).isZero();
    }

    @Test
    void aSetWithAStepOntoTheStackIsNotTaken() {
        OneState s = new OneState();
        s.persistent = new long[] {0b001, 0b010, 0b111};
        PartialOrder<Integer> po = new PartialOrder<>(s, s);
        po.pushed(10);
        assertThat(steps(po.expand(0, 0))).containsExactly("1");
        po.pushed(11);
        assertThat(steps(po.expand(0, 0))).containsExactly("0", "1", "2", "2:1");
        po.pushed(11); // on the stack twice (expanded again while there): one pop leaves it there
        po.popped(11);
        assertThat(steps(po.expand(0, 0))).containsExactly("0", "1", "2", "2:1");
        po.popped(11);
        assertThat(steps(po.expand(0, 0))).containsExactly("1");
        po.popped(10);
        assertThat(steps(po.expand(0, 0))).containsExactly("0");
    }

    @Test
    void sleepingThreadsAreNotExplored() {
        OneState s = new OneState();
        PartialOrder.Reduced<Integer> r = new PartialOrder<>(s, s).expand(0, 0b101);
        assertThat(steps(r)).containsExactly("1");
        assertThat(r.reduced).isTrue();
        assertThat(r.keys).containsExactly((Object) null); // fully expanded: no proviso keys
    }

    @Test
    void aChildSleepsOnTheEarlierThreadsItCommutesWith() {
        OneState s = new OneState();
        s.dependent(1, 2);
        PartialOrder.Reduced<Integer> r = new PartialOrder<>(s, s).expand(0, 0);
        assertThat(r.sleepAfter(0)).isZero();
        assertThat(r.sleepAfter(1)).isEqualTo(0b001);
        assertThat(r.sleepAfter(2)).as("thread 1 does not commute with 2").isEqualTo(0b001);
        assertThat(r.sleepAfter(3)).as("an earlier choice of the same thread does not sleep").isEqualTo(0b001);
    }

    @Test
    void theParentsSleepSetCarriesOverWhereItCommutes() {
        OneState s = new OneState();
        s.dependent(0, 2);
        PartialOrder.Reduced<Integer> r = new PartialOrder<>(s, s).expand(0, 0b001);
        assertThat(steps(r)).containsExactly("1", "2", "2:1");
        assertThat(r.sleepAfter(0)).isEqualTo(0b001);
        assertThat(r.sleepAfter(1)).isEqualTo(0b010);
        assertThat(r.sleepAfter(2)).isEqualTo(0b010);
    }

    @Test
    void aThreadThatSteppedOntoTheStackDoesNotSleep() {
        OneState s = new OneState();
        PartialOrder<Integer> po = new PartialOrder<>(s, s);
        PartialOrder.Reduced<Integer> r = po.expand(0, 0);
        po.pushed(10);
        assertThat(r.sleepAfter(0)).isZero();
        po.reached(r, 0, 10);
        assertThat(r.sleepAfter(1)).isZero();
        po.reached(r, 1, 99); // not on the stack
        assertThat(r.sleepAfter(2)).isEqualTo(0b010);
    }

    @Test
    void aVisitedStateIsExpandedAgainOnlyForAStepAsleepEveryTimeBefore() {
        PartialOrder<Integer> po = new PartialOrder<>(new OneState(), new OneState());
        assertThat(po.expandAgain(5, 0, 0)).as("never expanded with a sleep set").isFalse();
        po.firstVisit(5, 0, 0b011);
        assertThat(po.expandAgain(5, 0, 0b111)).isFalse();
        assertThat(po.expandAgain(5, 0, 0b011)).isFalse();
        assertThat(po.expandAgain(5, 0, 0b001)).isTrue();
        assertThat(po.expandAgain(5, 0, 0b001)).as("now expanded with {0}").isFalse();
        assertThat(po.expandAgain(5, 0, 0b100)).isTrue();
        assertThat(po.expandAgain(5, 0, 0b001)).as("expanded with an empty sleep set: everything ran").isFalse();
        po.firstVisit(6, 0, 0);
        assertThat(po.expandAgain(6, 0, 0)).isFalse();
    }

    /**
     * Under symmetry a key stands for a canonical state, and a state reached again may be a twin
     * whose threads are numbered otherwise: its sleep set is compared in the canonical numbering.
     * State 6 is state 5 with threads 0 and 1 swapped (both keyed 5 by the caller).
     */
    @Test
    void underSymmetryATwinsSleepSetIsComparedInTheCanonicalNumbering() {
        OneState s = new OneState() {
            @Override public int[] canonicalThreads(Integer st) {
                return st == 6 ? new int[] {1, 0, 2} : new int[] {0, 1, 2};
            }
        };
        PartialOrder<Integer> po = new PartialOrder<>(s, s, true);
        po.firstVisit(5, 5, 0b001);
        assertThat(po.expandAgain(5, 6, 0b010)).as("the twin's thread 1 is thread 0 of state 5: asleep there too").isFalse();
        assertThat(po.expandAgain(5, 6, 0b001)).as("the twin's thread 0 is thread 1 of state 5, which was awake").isTrue();
        assertThat(po.expandAgain(5, 5, 0b011)).as("expanded with no thread asleep in the canonical numbering").isFalse();
        PartialOrder<Integer> plain = new PartialOrder<>(s, s);
        plain.firstVisit(5, 5, 0b001);
        assertThat(plain.expandAgain(5, 6, 0b001)).as("without symmetry a key is one state").isFalse();
    }
}
