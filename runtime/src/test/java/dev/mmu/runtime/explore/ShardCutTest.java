package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where {@link ShardedSystem} cuts the search, and the expectations {@link ShardedSystemTest}'s
 * graphs cannot fail: deadlocks (a cut state of another part is no deadlock) and regression
 * {@code Violation}s.
 */
class ShardCutTest {

    /** A binary tree of 2^15 - 1 states: 2^d states at distance d. */
    private static GraphSearchTest.Graph tree() {
        GraphSearchTest.Graph g = new GraphSearchTest.Graph(2);
        for (int s = 0; 2 * s + 2 < 1 << 15; s++) {
            g.edge(s, 0, 2 * s + 1).edge(s, 1, 2 * s + 2);
        }
        return g;
    }

    @Test
    void theCutIsTheFirstDistanceWith32StatesPerPart() {
        assertThat(ShardedSystem.cutDepth(tree(), 1)).isZero();
        assertThat(ShardedSystem.cutDepth(tree(), 2)).isEqualTo(6); // 64 states
        assertThat(ShardedSystem.cutDepth(tree(), 3)).isEqualTo(7); // 128 >= 96 > 64
        assertThat(ShardedSystem.cutDepth(tree(), 4)).isEqualTo(7);
        // A state reached along two paths of one length counts once.
        GraphSearchTest.Graph diamonds = new GraphSearchTest.Graph(2);
        for (int s = 0; s < 100; s++) {
            diamonds.edge(s, 0, s + 1).edge(s, 1, s + 1);
        }
        assertThat(ShardedSystem.cutDepth(diamonds, 2)).as("the states run out first").isEqualTo(101);
    }

    /** A random graph whose terminal states with a number divisible by 150 are stuck. */
    private static TransitionSystem<Integer> withDeadlocks(long seed, int n) {
        return new ForwardingSystem<>(ParallelSearchTest.randomGraph(seed, n)) {
            @Override
            public boolean finished(Integer s) {
                return s % 150 != 0;
            }
        };
    }

    @Test
    void thePartsFindTheDeadlocksAndViolationsOfTheWhole() {
        int deadlocks = 0;
        int clean = 0;
        for (long seed = 1; seed <= 30; seed++) {
            int n = 300 + (int) (seed * 71 % 900);
            TransitionSystem<Integer> g = withDeadlocks(seed, n);
            int bad = (int) (seed * 37 % n);
            List<Expectation<Integer>> expectations = List.of(new Expectation.NoDeadlock<>("no deadlock"),
                    new Expectation.Violation<>("violation", (s, t) -> s == bad));
            ExploreOptions whole = ExploreOptions.builder().build();
            List<Outcome<Integer>> reference = Explorer.explore(g, expectations, whole).outcomes();
            for (int count = 2; count <= 3; count++) {
                boolean deadlock = false;
                boolean violation = false;
                for (int index = 1; index <= count; index++) {
                    ExploreOptions part = whole.toBuilder().shard(new Shard(index, count)).build();
                    List<Outcome<Integer>> o = Explorer.explore(g, expectations, part).outcomes();
                    deadlock |= o.get(0).verdict() == Verdict.FAIL;
                    violation |= o.get(1).verdict() == Verdict.PASS;
                    if (o.get(0).verdict() == Verdict.FAIL) {
                        List<Integer> path = Explorer.replay(g, o.get(0).trace());
                        int last = path.get(path.size() - 1);
                        List<Transition<Integer>> out = new ArrayList<>();
                        g.successors(last, out);
                        assertThat(out).as("seed %d: a part's deadlock is one of the whole", seed).isEmpty();
                        assertThat(g.finished(last)).isFalse();
                    }
                }
                assertThat(deadlock).as("seed %d, %d parts", seed, count)
                        .isEqualTo(reference.get(0).verdict() == Verdict.FAIL);
                assertThat(violation).as("seed %d, %d parts", seed, count)
                        .isEqualTo(reference.get(1).verdict() == Verdict.PASS);
                if (deadlock) deadlocks++;
                else clean++;
            }
        }
        assertThat(deadlocks).isGreaterThan(5);
        assertThat(clean).isGreaterThan(5);
    }
}
