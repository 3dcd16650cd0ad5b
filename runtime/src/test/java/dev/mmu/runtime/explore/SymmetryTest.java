package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Final;
import dev.mmu.runtime.explore.Expectation.MaxMetric;
import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.Expectation.NoDeadlock;
import dev.mmu.runtime.explore.Expectation.Reachable;
import dev.mmu.runtime.explore.Expectation.Terminates;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Counter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Differential test of symmetry reduction on a toy: three interchangeable incrementers (the
 * lost-update counter) with and without canonical keys give the same verdicts on every strategy,
 * real (replayable) traces, and fewer states when the reduction applies.
 */
class SymmetryTest {

    /** The counter with its incrementers sorted by (pc, tmp): every permutation maps steps to steps. */
    static final class SymmetricCounter implements TransitionSystem<Counter.State> {
        final Counter inner = new Counter(-1, 0, 3);

        @Override public Counter.State initial() { return inner.initial(); }
        @Override public void successors(Counter.State s, List<Transition<Counter.State>> out) { inner.successors(s, out); }
        @Override public boolean finished(Counter.State s) { return true; }
        @Override public int threadCount() { return inner.threadCount(); }
        @Override public String threadName(int t) { return inner.threadName(t); }

        @Override
        public Counter.State canonical(Counter.State s) {
            List<int[]> threads = new ArrayList<>();
            for (int t = 0; t < s.pc().size(); t++) {
                threads.add(new int[] {s.pc().get(t), s.tmp().get(t)});
            }
            threads.sort(Comparator.<int[]>comparingInt(a -> a[0]).thenComparingInt(a -> a[1]));
            return new Counter.State(s.x(), threads.stream().map(a -> a[0]).toList(),
                    threads.stream().map(a -> a[1]).toList());
        }

        /** The stable sort above puts thread t where the threads before it in (pc, tmp) order end. */
        @Override
        public int[] canonicalThreads(Counter.State s) {
            List<Integer> order = new ArrayList<>();
            for (int t = 0; t < s.pc().size(); t++) order.add(t);
            order.sort(Comparator.<Integer>comparingInt(t -> s.pc().get(t)).thenComparingInt(t -> s.tmp().get(t)));
            int[] to = new int[order.size()];
            for (int i = 0; i < to.length; i++) to[order.get(i)] = i;
            return to;
        }
    }

    /** The same counter without the thread mapping: preemption bounding cannot use its symmetry. */
    static final class UnmappedCounter extends ForwardingSystem<Counter.State> {
        UnmappedCounter() {
            super(new SymmetricCounter());
        }

        @Override
        public int[] canonicalThreads(Counter.State s) {
            return null;
        }
    }

    private static List<Expectation<Counter.State>> expectations() {
        return List.of(
                new Final<>("x == 3", s -> s.x() == 3),
                new Never<>("x > 3", (s, terminal) -> s.x() > 3),
                new Reachable<>("x == 1 at the end", s -> s.x() == 1 && s.pc().stream().allMatch(p -> p == 2)),
                new Reachable<>("x == 0 at the end", s -> s.x() == 0 && s.pc().stream().allMatch(p -> p == 2)),
                new MaxMetric<>("max x <= 3", s -> s.x(), 3),
                new NoDeadlock<>("no deadlock"));
    }

    @Test
    void sameVerdictsFewerStates() {
        SymmetricCounter system = new SymmetricCounter();
        for (Strategy strategy : List.of(Strategy.DFS, Strategy.BFS)) {
            ExploreOptions plain = ExploreOptions.builder().strategy(strategy).build();
            ExploreOptions reduced = plain.toBuilder().symmetry(true).build();
            ExploreResult<Counter.State> a = Explorer.explore(system, expectations(), plain);
            ExploreResult<Counter.State> b = Explorer.explore(system, expectations(), reduced);
            assertThat(b.outcomes()).extracting(Outcome::verdict)
                    .containsExactlyElementsOf(a.outcomes().stream().map(Outcome::verdict).toList());
            assertThat(a.outcomes()).extracting(Outcome::verdict)
                    .containsExactly(Verdict.FAIL, Verdict.PASS, Verdict.PASS, Verdict.FAIL, Verdict.PASS, Verdict.PASS);
            for (Outcome<Counter.State> o : b.outcomes()) {
                if (o.hasTrace()) {
                    assertThat(Explorer.replay(system, o.trace())).hasSize(o.trace().length() + 1);
                }
            }
            ExploreResult<Counter.State> fullA = Explorer.explore(system, List.of(), plain);
            ExploreResult<Counter.State> fullB = Explorer.explore(system, List.of(), reduced);
            assertThat(fullB.stats().statesStored()).as(strategy.name())
                    .isLessThan(fullA.stats().statesStored());
        }
    }

    @Test
    void onForTerminatesAndOffForPreemptionBoundingWithoutAThreadMapping() {
        SymmetricCounter system = new SymmetricCounter();
        ExploreOptions sym = ExploreOptions.builder().symmetry(true).build();
        ExploreOptions bounded = sym.toBuilder().strategy(Strategy.PREEMPTION_BOUNDED).preemptionBound(9).build();
        assertThat(Explorer.symmetric(system, List.of(new Terminates<>("t")), sym)).isTrue(); // SymmetricFairCycleTest
        assertThat(Explorer.symmetric(system, expectations(), sym)).isTrue();
        assertThat(Explorer.symmetric(system, expectations(), bounded)).isTrue();
        UnmappedCounter unmapped = new UnmappedCounter();
        assertThat(Explorer.symmetric(unmapped, expectations(), bounded)).isFalse();
        long plain = Explorer.explore(unmapped, List.of(), bounded.toBuilder().symmetry(false).build())
                .stats().statesStored();
        assertThat(Explorer.explore(unmapped, List.of(), bounded).stats().statesStored()).isEqualTo(plain);
    }

    /**
     * Under preemption bounding a node is (state, thread that ran last): keyed on the orbit, with
     * the last thread named as in the canonical state. Same verdicts at every bound, fewer nodes.
     */
    @Test
    void preemptionBoundingKeysNodesOnTheOrbit() {
        SymmetricCounter system = new SymmetricCounter();
        for (int k = 0; k <= 3; k++) {
            ExploreOptions plain = ExploreOptions.builder().strategy(Strategy.PREEMPTION_BOUNDED).preemptionBound(k).build();
            ExploreOptions reduced = plain.toBuilder().symmetry(true).build();
            ExploreResult<Counter.State> a = Explorer.explore(system, expectations(), plain);
            ExploreResult<Counter.State> b = Explorer.explore(system, expectations(), reduced);
            assertThat(b.outcomes()).as("bound " + k).extracting(Outcome::verdict)
                    .containsExactlyElementsOf(a.outcomes().stream().map(Outcome::verdict).toList());
            for (Outcome<Counter.State> o : b.outcomes()) {
                if (o.hasTrace()) assertThat(Explorer.replay(system, o.trace())).hasSize(o.trace().length() + 1);
            }
            assertThat(Explorer.explore(system, List.of(), reduced).stats().statesStored()).as("bound " + k)
                    .isLessThan(Explorer.explore(system, List.of(), plain).stats().statesStored());
        }
    }
}
