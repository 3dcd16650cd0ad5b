package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ParallelBreadthFirstSearch} gives what {@link BreadthFirstSearch} gives (verdicts,
 * traces, notes, states, transitions, depth) at 2 and 4 workers, on random graphs large enough
 * for the workers to share levels: searches that complete, stop early once every verdict is
 * decided, or stop at a state budget.
 */
class ParallelSearchTest {

    /** A random graph of {@code n} states, out-degree 0..4, with back edges (cycles) and two threads. */
    static GraphSearchTest.Graph randomGraph(long seed, int n) {
        Random r = new Random(seed);
        GraphSearchTest.Graph g = new GraphSearchTest.Graph(2);
        for (int s = 0; s < n; s++) {
            int degree = r.nextInt(5);
            for (int d = 0; d < degree; d++) {
                int to = r.nextInt(10) == 0 ? r.nextInt(n) : Math.min(n - 1, s + 1 + r.nextInt(40));
                g.edge(s, r.nextInt(2), to);
            }
        }
        return g;
    }

    /** Expectations over state numbers: some decided early, some only by a complete search. */
    static List<Expectation<Integer>> expectations(long seed, int n) {
        Random r = new Random(seed * 31 + 7);
        int bad = r.nextInt(n);
        int goal = r.nextInt(n);
        return List.of(
                new Expectation.Never<>("never bad", (s, terminal) -> s == bad),
                new Expectation.Reachable<>("reachable goal", s -> s == goal),
                new Expectation.Final<>("final even", s -> s % 2 == 0),
                new Expectation.MaxMetric<>("max s % 97 <= 90", s -> s % 97, 90));
    }

    static String summary(ExploreResult<Integer> r) {
        StringBuilder b = new StringBuilder();
        for (Outcome<Integer> o : r.outcomes()) {
            b.append(o.verdict()).append(' ').append(o.text()).append(' ').append(o.note()).append(' ')
                    .append(o.hasTrace() ? o.trace().token() : "-").append(' ').append(o.maximum()).append('\n');
        }
        Stats s = r.stats();
        return b.append(s.statesStored()).append(' ').append(s.transitions()).append(' ').append(s.maxDepth()).toString();
    }

    private static ExploreResult<Integer> run(long seed, int n, List<Expectation<Integer>> expectations, int workers,
            long maxStates) {
        ExploreOptions options = ExploreOptions.builder().strategy(Strategy.BFS).workers(workers).maxStates(maxStates)
                .build();
        return Explorer.explore(randomGraph(seed, n), expectations, options);
    }

    @Test
    void sameFiguresAndTracesAtAnyNumberOfWorkers() {
        int decidedEarly = 0;
        for (long seed = 1; seed <= 40; seed++) {
            int n = 500 + (int) (seed * 97 % 4000);
            for (List<Expectation<Integer>> expectations : List.of(expectations(seed, n),
                    expectations(seed, n).subList(0, 2), List.<Expectation<Integer>>of())) {
                for (long maxStates : new long[] {10_000_000, n / 3}) {
                    String one = summary(run(seed, n, expectations, 1, maxStates));
                    assertThat(summary(run(seed, n, expectations, 2, maxStates))).as("seed %d, 2 workers", seed)
                            .isEqualTo(one);
                    assertThat(summary(run(seed, n, expectations, 4, maxStates))).as("seed %d, 4 workers", seed)
                            .isEqualTo(one);
                    if (expectations.size() == 2 && !one.contains("UNKNOWN")) decidedEarly++;
                }
            }
        }
        assertThat(decidedEarly).as("searches that stopped once every verdict was decided").isGreaterThan(5);
    }

    @Test
    void theReSearchForShortestTracesUsesTheWorkersToo() {
        for (long seed = 1; seed <= 10; seed++) {
            int n = 3000;
            List<String> summaries = new ArrayList<>();
            for (int workers : new int[] {1, 3}) {
                ExploreOptions options = ExploreOptions.builder().workers(workers).build();
                summaries.add(summary(Explorer.explore(randomGraph(seed, n), expectations(seed, n), options)));
            }
            assertThat(summaries.get(1)).isEqualTo(summaries.get(0));
        }
    }

    @Test
    void aFaultInTheModelReachesTheCallerAsItself() {
        GraphSearchTest.Graph g = randomGraph(3, 3000);
        TransitionSystem<Integer> faulty = new ForwardingSystem<>(g) {
            @Override
            public void successors(Integer s, List<Transition<Integer>> out) {
                if (s == 2000) throw new IllegalStateException("model fault at 2000");
                super.successors(s, out);
            }
        };
        ExploreOptions options = ExploreOptions.builder().strategy(Strategy.BFS).workers(4).build();
        try {
            Explorer.explore(faulty, List.of(), options);
        } catch (IllegalStateException e) {
            assertThat(e).hasMessage("model fault at 2000");
            return;
        }
        throw new AssertionError("state 2000 is reachable in this graph: expected the fault");
    }

    /** BFS stops at the first bad state of a level; a fault further along that level is never met. */
    @Test
    void aFaultBeyondWhereTheSearchStopsIsNotRaised() {
        GraphSearchTest.Graph g = new GraphSearchTest.Graph(2);
        for (int s = 1; s <= 200; s++) {
            g.edge(0, s % 2, s).edge(s, 0, 200 + s);
        }
        TransitionSystem<Integer> faulty = new ForwardingSystem<>(g) {
            @Override
            public void successors(Integer s, List<Transition<Integer>> out) {
                if (s == 150) throw new IllegalStateException("model fault at 150");
                super.successors(s, out);
            }
        };
        List<Expectation<Integer>> bad = List.of(new Expectation.Never<>("never 3", (s, t) -> s == 3));
        List<String> summaries = new ArrayList<>();
        for (int workers : new int[] {1, 2, 4}) {
            ExploreOptions options = ExploreOptions.builder().strategy(Strategy.BFS).workers(workers).build();
            summaries.add(summary(Explorer.explore(faulty, bad, options)));
        }
        assertThat(summaries.get(0)).startsWith("FAIL never 3");
        assertThat(summaries).containsOnly(summaries.get(0));
    }

    /** States 0 -> 1..200 -> 201..400: two wide levels the workers expand ahead of the judge. */
    private static GraphSearchTest.Graph twoLevels() {
        GraphSearchTest.Graph g = new GraphSearchTest.Graph(2);
        for (int s = 1; s <= 200; s++) {
            g.edge(0, s % 2, s).edge(s, 0, 200 + s);
        }
        return g;
    }

    private static List<String> atOneTwoAndFourWorkers(TransitionSystem<Integer> system,
            List<Expectation<Integer>> expectations) {
        List<String> summaries = new ArrayList<>();
        for (int workers : new int[] {1, 2, 4}) {
            ExploreOptions options = ExploreOptions.builder().strategy(Strategy.BFS).workers(workers).build();
            try {
                summaries.add(summary(Explorer.explore(system, expectations, options)));
            } catch (IllegalStateException e) {
                summaries.add("raised " + e.getMessage());
            }
        }
        return summaries;
    }

    /** The workers compute the keys: a fault in one is raised where BFS meets it, and only if it does. */
    @Test
    void aFaultInAKeyIsRaisedOnlyWhereTheOneThreadedSearchMeetsIt() {
        TransitionSystem<Integer> faulty = new ForwardingSystem<>(twoLevels()) {
            @Override
            public Object key(Integer s) {
                if (s == 202) throw new IllegalStateException("key fault at 202");
                return super.key(s);
            }
        };
        assertThat(atOneTwoAndFourWorkers(faulty, List.of())).containsExactly(
                "raised key fault at 202", "raised key fault at 202", "raised key fault at 202");
        // BFS stops once state 1 generates 201, before it expands state 2; a worker expands 1 and 2
        // in one batch (the first batch of a level starts at its first state).
        List<String> stopped = atOneTwoAndFourWorkers(faulty, List.of(new Expectation.Never<>("never 201", (s, t) -> s == 201)));
        assertThat(stopped.get(0)).startsWith("FAIL never 201");
        assertThat(stopped).containsOnly(stopped.get(0));
    }

    /**
     * The workers evaluate every condition of a state; BFS evaluates only those of undecided
     * expectations. A condition that faults where BFS no longer evaluates it changes nothing, and
     * the state's other conditions are still judged there (the terminal state 350 is the first
     * that is not below 350).
     */
    @Test
    void aConditionFaultingWhereTheOneThreadedSearchSkipsItChangesNothing() {
        List<Expectation<Integer>> expectations = List.of(
                new Expectation.Never<>("never 5", (s, t) -> {
                    if (s == 350) throw new IllegalStateException("condition fault at 350");
                    return s == 5;
                }),
                new Expectation.Final<>("final below 350", s -> s < 350));
        List<String> summaries = atOneTwoAndFourWorkers(twoLevels(), expectations);
        assertThat(summaries.get(0)).startsWith("FAIL never 5").contains("FAIL final below 350");
        assertThat(summaries).containsOnly(summaries.get(0));
    }
}
