package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.Expectation.Terminates;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The search rules that toys with symmetric threads do not reach, on explicit graphs drawn by
 * hand: the preemption-bounded search's "revisit a node reached with fewer preemptions", and the
 * fair-cycle search's lasso built from several walks inside one component.
 */
class GraphSearchTest {

    /** States 0..n-1, state 0 initial; edges in the order given (per state), each with its thread. */
    static final class Graph implements TransitionSystem<Integer> {
        private final int threads;
        private final List<int[]> edges = new ArrayList<>();

        Graph(int threads) {
            this.threads = threads;
        }

        Graph edge(int from, int thread, int to) {
            edges.add(new int[] {from, thread, to});
            return this;
        }

        @Override
        public Integer initial() {
            return 0;
        }

        @Override
        public void successors(Integer s, List<Transition<Integer>> out) {
            int choice = 0;
            for (int[] e : edges) {
                if (e[0] == s) out.add(new Transition<>(e[1], choice++, e[2]));
            }
        }

        @Override
        public boolean finished(Integer s) {
            return true;
        }

        @Override
        public int threadCount() {
            return threads;
        }

        @Override
        public String threadName(int thread) {
            return "t" + thread;
        }
    }

    static final int BUG = 9;

    /**
     * Node (X=3, last thread 1) is first reached with one preemption (0 -t0-> 1 -t1-> 3 while t0 is
     * still enabled in 1), then with none (0 -t1-> 2 -t1-> 3). From X the bug costs one more
     * preemption (t0 while t1 is enabled). Within bound 1 only the second visit can reach it.
     */
    static Graph revisit() {
        return new Graph(2)
                .edge(0, 0, 1).edge(0, 1, 2)
                .edge(1, 0, 4).edge(1, 1, 3)
                .edge(2, 1, 3)
                .edge(3, 0, BUG).edge(3, 1, 5);
    }

    static Outcome<Integer> neverBug(Graph g, int bound) {
        ExploreOptions o = ExploreOptions.builder().strategy(Strategy.PREEMPTION_BOUNDED).preemptionBound(bound).build();
        return Explorer.explore(g, List.of(new Never<Integer>("never bug", (s, terminal) -> s == BUG)), o)
                .outcomes().get(0);
    }

    @Test
    void aNodeReachedAgainWithFewerPreemptionsIsExploredAgain() {
        Outcome<Integer> o = neverBug(revisit(), 1);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).isEqualTo("found at preemption bound 1");
        assertThat(Explorer.replay(revisit(), o.trace())).containsExactly(0, 2, 3, BUG);
    }

    @Test
    void theBugNeedsOnePreemptionNotZero() {
        assertThat(neverBug(revisit(), 0).verdict()).isEqualTo(Verdict.PASS);
        assertThat(neverBug(revisit(), 0).note()).isEqualTo("for preemption bound <= 0");
    }

    @Test
    void aSwitchAwayFromADisabledThreadIsNoPreemption() {
        // t0 runs 0 -> 1 and is then disabled; t1 takes over and reaches the bug: bound 0 suffices.
        Graph g = new Graph(2).edge(0, 0, 1).edge(0, 1, 2).edge(1, 1, BUG);
        Outcome<Integer> o = neverBug(g, 0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).isEqualTo("found at preemption bound 0");
    }

    @Test
    void aCycleIsNotFollowedForever() {
        Graph g = new Graph(2).edge(0, 0, 1).edge(1, 0, 0).edge(1, 1, 2).edge(2, 1, BUG);
        assertThat(neverBug(g, 3).verdict()).isEqualTo(Verdict.FAIL);
    }

    static Outcome<Integer> terminates(Graph g) {
        return Explorer.explore(g, List.of(new Terminates<Integer>("terminates")), ExploreOptions.builder().build())
                .outcomes().get(0);
    }

    /** The threads that step in the lasso's cycle, after checking it is a real cycle. */
    static Set<Integer> lassoThreads(Graph g, Outcome<Integer> o) {
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.isLasso()).isTrue();
        List<Integer> states = Explorer.replay(g, o.trace());
        assertThat(states.get(states.size() - 1)).isEqualTo(states.get(o.cycleStart()));
        Set<Integer> threads = new HashSet<>();
        for (int i = o.cycleStart(); i < o.trace().length(); i++) threads.add(o.trace().get(i).thread());
        return threads;
    }

    /**
     * Stem 0 -> 1, component {1, 2, 3, 4}: t0 steps 1 -> 2 -> 3, t1 steps 3 -> 4 only, t2 steps
     * 4 -> 1 only; t1 and t2 also leave it (to 5, 6). Every thread is enabled somewhere and steps
     * inside, so the cycle must walk to each thread's edge in turn.
     */
    @Test
    void theLassoWalksToEveryThreadsEdgeInsideTheComponent() {
        Graph g = new Graph(3)
                .edge(0, 0, 1)
                .edge(1, 0, 2).edge(2, 0, 3).edge(2, 1, 5).edge(3, 1, 4).edge(4, 2, 1).edge(4, 2, 6);
        Outcome<Integer> o = terminates(g);
        assertThat(lassoThreads(g, o)).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(o.cycleStart()).isEqualTo(1);
        assertThat(o.trace().length()).isEqualTo(5); // stem 0 -> 1, cycle 1 -> 2 -> 3 -> 4 -> 1
        assertThat(o.note()).contains("t0, t1, t2 step in it");
    }

    /** t2 never steps in the component {1, 2, 3} but is disabled in 2 and 3: still a fair cycle. */
    @Test
    void aThreadDisabledInOneStateOfTheCycleNeedNotStep() {
        Graph g = new Graph(3)
                .edge(0, 0, 1)
                .edge(1, 0, 2).edge(1, 2, 7).edge(2, 1, 3).edge(3, 0, 1);
        Outcome<Integer> o = terminates(g);
        assertThat(lassoThreads(g, o)).containsExactlyInAnyOrder(0, 1);
        assertThat(o.note()).contains("t0, t1 step in it").contains("t2 is disabled in one of its states");
    }

    /** t2 is enabled in every state of the component and never steps in it: weak fairness excludes the cycle. */
    @Test
    void aCycleThatStarvesAnAlwaysEnabledThreadIsNotALivelock() {
        Graph g = new Graph(3)
                .edge(0, 0, 1)
                .edge(1, 0, 2).edge(1, 2, 7).edge(2, 1, 3).edge(2, 2, 7).edge(3, 0, 1).edge(3, 2, 7);
        assertThat(terminates(g).verdict()).isEqualTo(Verdict.PASS);
    }

    /** A first component with only an unfair cycle does not hide a fair one found later. */
    @Test
    void everyComponentIsJudged() {
        Graph g = new Graph(2)
                .edge(0, 0, 0).edge(0, 1, 1) // t1 always enabled in {0}, never steps in it: unfair
                .edge(1, 0, 2).edge(2, 1, 1); // {1, 2}: both step
        Outcome<Integer> o = terminates(g);
        assertThat(lassoThreads(g, o)).containsExactlyInAnyOrder(0, 1);
        assertThat(o.cycleStart()).isEqualTo(1);
    }

    @Test
    void aSelfLoopOfTheOnlyThreadIsALivelockAndNoInternalEdgeIsNone() {
        Outcome<Integer> spin = terminates(new Graph(1).edge(0, 0, 1).edge(1, 0, 1));
        assertThat(spin.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(spin.trace().length()).isEqualTo(2);
        assertThat(terminates(new Graph(1).edge(0, 0, 1).edge(1, 0, 2)).verdict()).isEqualTo(Verdict.PASS);
    }
}
