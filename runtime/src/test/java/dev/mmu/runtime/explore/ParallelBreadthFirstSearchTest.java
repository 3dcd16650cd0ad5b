package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What {@link ParallelBreadthFirstSearch} promises besides BFS's figures: its workers expand
 * states, none calls the model once the search has returned, one worker is the judge alone, and
 * the progress lines are the one-threaded search's.
 */
class ParallelBreadthFirstSearchTest {
    private static final String WORKER = "mmu-bfs-worker";

    /** 0 -> 1..300 -> 301..600: a wide level for the workers to share. */
    private static GraphSearchTest.Graph wide() {
        GraphSearchTest.Graph g = new GraphSearchTest.Graph(2);
        for (int s = 1; s <= 300; s++) g.edge(0, s % 2, s).edge(s, 0, 300 + s);
        return g;
    }

    private static Monitor<Integer> monitor(TransitionSystem<Integer> system, List<Expectation<Integer>> expectations) {
        Monitor<Integer> m = new Monitor<>(system, expectations);
        m.checking(true, false);
        return m;
    }

    private static Budget budget() {
        return new Budget(ExploreOptions.builder().build(), "BFS", System.nanoTime());
    }

    private static String figures(SearchReport r) {
        return r.states() + " " + r.transitions() + " " + r.maxDepth() + " " + r.stopped();
    }

    @Test
    void oneWorkerIsTheJudgeAloneWithBfsFigures() {
        GraphSearchTest.Graph g = ParallelSearchTest.randomGraph(5, 2000);
        String bfs = figures(BreadthFirstSearch.run(g, monitor(g, List.of()), budget()));
        assertThat(figures(ParallelBreadthFirstSearch.run(g, monitor(g, List.of()), budget(), 1))).isEqualTo(bfs);
    }

    /** The judge's first own batch waits (up to 10 s) until another thread has expanded a state. */
    @Test
    void theWorkersExpandStates() {
        CountDownLatch worked = new CountDownLatch(1);
        TransitionSystem<Integer> system = new ForwardingSystem<>(wide()) {
            @Override
            public void successors(Integer s, List<Transition<Integer>> out) {
                if (Thread.currentThread().getName().equals(WORKER)) {
                    worked.countDown();
                } else if (s == 1) {
                    try {
                        worked.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                super.successors(s, out);
            }
        };
        SearchReport r = ParallelBreadthFirstSearch.run(system, monitor(system, List.of()), budget(), 2);
        assertThat(r.states()).isEqualTo(601);
        assertThat(worked.getCount()).as("a worker expanded a state").isZero();
    }

    /**
     * The search stops at its first bad state while a worker is in the middle of a batch of slow
     * states ahead of it: the search returns only after that batch, so nothing calls the model
     * afterwards (a caller may drop the model then).
     */
    @Test
    void noWorkerCallsTheModelOnceTheSearchHasReturned() throws InterruptedException {
        AtomicBoolean returned = new AtomicBoolean();
        AtomicInteger late = new AtomicInteger();
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        TransitionSystem<Integer> system = new ForwardingSystem<>(wide()) {
            @Override
            public void successors(Integer s, List<Transition<Integer>> out) {
                if (returned.get()) late.incrementAndGet();
                threads.add(Thread.currentThread().getName());
                if (s > 0) {
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                super.successors(s, out);
            }
        };
        List<Expectation<Integer>> bad = List.of(new Expectation.Never<>("never 20", (s, t) -> s == 20));
        SearchReport r = ParallelBreadthFirstSearch.run(system, monitor(system, bad), budget(), 2);
        returned.set(true);
        assertThat(r.states()).isLessThan(601);
        Thread.sleep(300);
        assertThat(late.get()).as("successors called after the search returned (threads: %s)", threads).isZero();
    }

    /** The clock moves 100 ms at each read: a progress line at every step, with the one-threaded figures. */
    @Test
    void theProgressLinesAreTheOneThreadedSearchs() {
        GraphSearchTest.Graph g = ParallelSearchTest.randomGraph(7, 3000);
        List<String> bfs = new ArrayList<>();
        BreadthFirstSearch.run(g, monitor(g, List.of()), stepping(bfs));
        List<String> parallel = new ArrayList<>();
        ParallelBreadthFirstSearch.run(g, monitor(g, List.of()), stepping(parallel), 2);
        assertThat(bfs).hasSizeGreaterThan(1000);
        assertThat(parallel).isEqualTo(bfs);
    }

    private static Budget stepping(List<String> lines) {
        long[] now = {0};
        Budget.Machine clock = new Budget.Machine(() -> now[0] += 100_000_000L, () -> 0, () -> { }, 1L << 40);
        ExploreOptions options = ExploreOptions.builder()
                .progress(p -> lines.add(p.states() + " " + p.transitions() + " " + p.depth() + " " + p.queueSize()))
                .build();
        return new Budget(options, "BFS", 0, clock);
    }
}
