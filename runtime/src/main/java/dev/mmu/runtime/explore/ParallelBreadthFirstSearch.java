package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link BreadthFirstSearch} on several threads, with its verdicts, traces and counts at any
 * number of workers. Level by level: the workers expand the frontier (successors, keys, the
 * visited-set test), and each new state keeps the earliest place it was generated at (parent id,
 * successor index), which is where the sequential search first met it; sorting the new states by
 * that place gives them the sequential search's ids, hence its parents and traces. The workers
 * also evaluate the expectations' conditions; they are judged in id order on one thread, with the
 * counts the sequential search had at each state, so that an early stop (every verdict decided, a
 * state budget) reports its figures too. The successor function must be safe to call from several
 * threads on shared states (the MMU model's copy-on-write states are: a step only writes its copy).
 */
final class ParallelBreadthFirstSearch<S> {

    /** Frontiers smaller than this are expanded on the calling thread: handing them out costs more. */
    private static final int INLINE_BELOW = 64;
    /** States a worker claims at a time. */
    private static final int CHUNK = 16;

    /** A state first generated in the level being expanded, at the earliest place seen so far. */
    private static final class Candidate<S> {
        long place;
        Transition<S> via;

        Candidate(long place, Transition<S> via) {
            this.place = place;
            this.via = via;
        }
    }

    /** One part of the visited set, with the states it gained in the current level; locked by itself. */
    private static final class Segment<S> {
        final VisitedSet visited = new VisitedSet();
        final HashMap<Object, Candidate<S>> fresh = new HashMap<>();
    }

    private final TransitionSystem<S> system;
    private final Monitor<S> monitor;
    private final Budget budget;
    private final int workers;
    private final Segment<S>[] segments;
    private final int segmentShift;
    private int count;
    private int[] parent = new int[1024];
    private int[] thread = new int[1024];
    private int[] choice = new int[1024];
    private int[] depth = new int[1024];

    @SuppressWarnings("unchecked")
    private ParallelBreadthFirstSearch(TransitionSystem<S> system, Monitor<S> monitor, Budget budget, int workers) {
        this.system = system;
        this.monitor = monitor;
        this.budget = budget;
        this.workers = workers;
        int bits = workers == 1 ? 0 : 32 - Integer.numberOfLeadingZeros(workers * 16 - 1);
        this.segments = new Segment[1 << bits];
        for (int i = 0; i < segments.length; i++) {
            segments[i] = new Segment<>();
        }
        this.segmentShift = 32 - bits;
    }

    static <S> SearchReport run(TransitionSystem<S> system, Monitor<S> monitor, Budget budget, int workers) {
        ParallelBreadthFirstSearch<S> search = new ParallelBreadthFirstSearch<>(system, monitor, budget, workers);
        ExecutorService pool = workers == 1 ? null : Executors.newFixedThreadPool(workers - 1, r -> {
            Thread t = new Thread(r, "mmu-bfs-worker");
            t.setDaemon(true);
            return t;
        });
        try {
            return search.run(pool);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    private SearchReport run(ExecutorService pool) {
        try {
            return search(pool);
        } catch (OutOfMemoryError e) {
            // As BreadthFirstSearch: drop the visited set before the partial result is built.
            int stored = count;
            int deepest = stored == 0 ? 0 : depth[stored - 1];
            Arrays.fill(segments, null);
            parent = thread = choice = depth = null;
            return new SearchReport(stored, 0, deepest, budget.outOfMemory(), false, -1, 0);
        }
    }

    private SearchReport search(ExecutorService pool) {
        S initial = system.initial();
        Object key = system.key(initial);
        segmentOf(key).visited.add(key);
        assign(-1, null);
        List<S> frontier = List.of(initial);
        long transitions = 0;
        while (true) {
            int lo = count - frontier.size();
            int n = frontier.size();
            int[] successors = new int[n];
            Monitor.Checked[] checked = new Monitor.Checked[n];
            StopReason expired = expand(pool, frontier, lo, successors, checked);
            if (expired != null) {
                return report(lo + n, transitions, budget.stopFor(expired));
            }
            int[] discovered = new int[n];
            List<S> next = new ArrayList<>();
            for (Candidate<S> c : inOrder(lo, discovered)) {
                assign((int) (c.place >>> 32), c.via);
                next.add(c.via.target());
            }
            long states = lo + n;
            for (int i = 0; i < n; i++) {
                int id = lo + i;
                if (monitor.allDecided()) {
                    return report(states, transitions, null);
                }
                StopReason stopped = budget.tick(states, transitions, depth[id], states - id - 1);
                if (stopped != null) {
                    return report(states, transitions, stopped);
                }
                monitor.onChecked(frontier.get(i), checked[i], () -> traceTo(id));
                states += discovered[i];
                transitions += successors[i];
            }
            if (next.isEmpty() || monitor.allDecided()) {
                return report(states, transitions, null);
            }
            frontier = next;
        }
    }

    /**
     * The level's new states in the order of their places, by parent (a counting sort: parents
     * are the frontier's ids), then by successor index; counts each parent's new states.
     */
    private List<Candidate<S>> inOrder(int lo, int[] discovered) {
        int total = 0;
        for (Segment<S> segment : segments) {
            for (Candidate<S> c : segment.fresh.values()) {
                discovered[(int) (c.place >>> 32) - lo]++;
                total++;
            }
        }
        int[] at = new int[discovered.length];
        for (int i = 1; i < at.length; i++) {
            at[i] = at[i - 1] + discovered[i - 1];
        }
        @SuppressWarnings("unchecked")
        Candidate<S>[] sorted = new Candidate[total];
        for (Segment<S> segment : segments) {
            for (Candidate<S> c : segment.fresh.values()) {
                sorted[at[(int) (c.place >>> 32) - lo]++] = c;
            }
            segment.fresh.clear();
        }
        for (int i = 0, from = 0; i < discovered.length; from += discovered[i++]) {
            Arrays.sort(sorted, from, from + discovered[i], Comparator.comparingLong(c -> c.place));
        }
        return Arrays.asList(sorted);
    }

    /**
     * Expands the frontier on the workers, evaluating the expectations' conditions on each state
     * too; returns why they stopped early, or null.
     */
    private StopReason expand(ExecutorService pool, List<S> frontier, int lo, int[] successors,
            Monitor.Checked[] checked) {
        AtomicInteger nextChunk = new AtomicInteger();
        AtomicReference<StopReason> expired = new AtomicReference<>();
        Runnable work = () -> {
            List<Transition<S>> out = new ArrayList<>();
            for (int from; expired.get() == null && (from = nextChunk.getAndAdd(CHUNK)) < frontier.size(); ) {
                StopReason why = budget.expired();
                if (why != null) {
                    expired.set(why);
                    return;
                }
                for (int i = from; i < Math.min(from + CHUNK, frontier.size()); i++) {
                    out.clear();
                    system.successors(frontier.get(i), out);
                    successors[i] = out.size();
                    checked[i] = monitor.check(frontier.get(i), out.isEmpty());
                    for (int j = 0; j < out.size(); j++) {
                        offer(out.get(j), (long) (lo + i) << 32 | j);
                    }
                }
            }
        };
        if (pool == null || frontier.size() < INLINE_BELOW) {
            work.run();
        } else {
            List<Future<?>> helpers = new ArrayList<>();
            for (int w = 1; w < workers; w++) {
                helpers.add(pool.submit(work));
            }
            Throwable failed = null;
            try {
                work.run();
            } catch (RuntimeException | Error e) {
                expired.set(StopReason.INTERRUPTED); // the others stop at their next chunk
                failed = e;
            }
            for (Future<?> f : helpers) {
                Throwable t = outcome(f);
                if (failed == null) {
                    failed = t;
                }
            }
            if (failed instanceof RuntimeException r) {
                throw r;
            }
            if (failed instanceof Error e) {
                throw e;
            }
        }
        return expired.get();
    }

    /** The successor {@code t}, generated at {@code place}: new, an earlier place of a new state, or old. */
    private void offer(Transition<S> t, long place) {
        Object key = system.key(t.target());
        Segment<S> segment = segmentOf(key);
        synchronized (segment) {
            Candidate<S> c = segment.fresh.get(key);
            if (c != null) {
                if (place < c.place) {
                    c.place = place;
                    c.via = t; // with symmetry, equal keys may be different states: keep the first one's
                }
            } else if (segment.visited.add(key)) {
                segment.fresh.put(key, new Candidate<>(place, t));
            }
        }
    }

    private Segment<S> segmentOf(Object key) {
        return segments[segmentShift == 32 ? 0 : (key.hashCode() * 0x85EBCA6B) >>> segmentShift];
    }

    /** What a worker threw (a model fault, out of memory), or null; waits for it to end. */
    private static Throwable outcome(Future<?> f) {
        try {
            f.get();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new IllegalStateException("interrupted while waiting for a search worker", e);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    private SearchReport report(long states, long transitions, StopReason stopped) {
        int maxDepth = states == 0 ? 0 : depth[(int) states - 1];
        return new SearchReport(states, transitions, maxDepth, stopped, stopped == null, -1, 0);
    }

    private void assign(int from, Transition<S> t) {
        int id = count++;
        if (id == parent.length) {
            int n = id * 2;
            parent = Arrays.copyOf(parent, n);
            thread = Arrays.copyOf(thread, n);
            choice = Arrays.copyOf(choice, n);
            depth = Arrays.copyOf(depth, n);
        }
        parent[id] = from;
        thread[id] = t == null ? 0 : t.thread();
        choice[id] = t == null ? 0 : t.choice();
        depth[id] = from < 0 ? 0 : depth[from] + 1;
    }

    private Schedule traceTo(int id) {
        Schedule.Step[] steps = new Schedule.Step[depth[id]];
        for (int at = id; parent[at] >= 0; at = parent[at]) {
            steps[depth[at] - 1] = new Schedule.Step(thread[at], choice[at]);
        }
        return new Schedule(Arrays.asList(steps));
    }
}
