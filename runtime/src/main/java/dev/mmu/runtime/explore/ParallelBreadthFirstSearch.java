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
 * also evaluate the expectations' conditions; they are judged in id order on one thread (while the
 * other workers already expand the next level), with the counts the sequential search had at each
 * state, so that an early stop (every verdict decided, a state budget) reports its figures too, and
 * a fault of the model is raised at the state where the sequential search meets it. The successor function must be safe to call from several
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
    private ParentLinks links = new ParentLinks();

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
            int stored = links.count();
            int deepest = stored == 0 ? 0 : links.depth(stored - 1);
            Arrays.fill(segments, null);
            links = null;
            return new SearchReport(stored, 0, deepest, budget.outOfMemory(), false, -1, 0);
        }
    }

    private SearchReport search(ExecutorService pool) {
        S initial = system.initial();
        Object key = system.key(initial);
        segmentOf(key).visited.add(key);
        links.add(-1, null);
        Level level = new Level(List.of(initial), 0);
        level.start(pool);
        long transitions = 0;
        while (true) {
            StopReason expired = level.finish();
            if (expired != null) {
                return report(level.lo + level.size(), transitions, budget.stopFor(expired));
            }
            int n = level.size();
            int[] discovered = new int[n];
            List<S> next = new ArrayList<>();
            for (Candidate<S> c : inOrder(level.lo, discovered)) {
                links.add((int) (c.place >>> 32), c.via);
                next.add(c.via.target());
            }
            // The workers expand the next level while this one is judged; if the judging stops the
            // search, their work is dropped (a fault they met there included: BFS never got there).
            Level following = next.isEmpty() ? null : new Level(next, level.lo + n);
            if (following != null) {
                following.start(pool);
            }
            long states = level.lo + n;
            StopReason stopped = null;
            boolean decided = false;
            int child = 0; // next.get(child) is the first new state of the state judged
            for (int i = 0; i < n && !decided && stopped == null; i++) {
                int id = level.lo + i;
                decided = monitor.allDecided();
                stopped = decided ? null : budget.tick(states, transitions, links.depth(id), states - id - 1);
                if (!decided && stopped == null) {
                    if (level.faults[i] != null) {
                        abandon(following);
                        throw level.faults[i]; // where BreadthFirstSearch meets it
                    }
                    monitor.onChecked(level.frontier.get(i), level.checked[i], () -> links.traceTo(id));
                    for (int end = child + discovered[i]; child < end; child++) { // as BreadthFirstSearch generates them
                        int childId = level.lo + n + child;
                        monitor.onGenerated(next.get(child), () -> links.traceTo(childId));
                    }
                    states += discovered[i];
                    transitions += level.successors[i];
                }
            }
            if (decided || stopped != null || following == null || monitor.allDecided()) {
                abandon(following);
                return report(states, transitions, stopped);
            }
            level = following;
        }
    }

    private static void abandon(ParallelBreadthFirstSearch<?>.Level level) {
        if (level != null) {
            level.abandon();
        }
    }

    /**
     * One BFS level being expanded: the workers claim chunks of its frontier; for each state they
     * record its successor count, its evaluated conditions, or the fault its expansion raised.
     */
    private final class Level {
        final List<S> frontier;
        final int lo;
        final int[] successors;
        final Monitor.Checked[] checked;
        final RuntimeException[] faults;
        final AtomicInteger nextChunk = new AtomicInteger();
        final AtomicReference<StopReason> expired = new AtomicReference<>();
        volatile boolean dropped;
        final List<Future<?>> helpers = new ArrayList<>();

        Level(List<S> frontier, int lo) {
            this.frontier = frontier;
            this.lo = lo;
            this.successors = new int[frontier.size()];
            this.checked = new Monitor.Checked[frontier.size()];
            this.faults = new RuntimeException[frontier.size()];
        }

        int size() {
            return frontier.size();
        }

        /** Hands the level to the other workers (not when it is too small to share). */
        void start(ExecutorService pool) {
            if (pool != null && size() >= INLINE_BELOW) {
                for (int w = 1; w < workers; w++) {
                    helpers.add(pool.submit(this::work));
                }
            }
        }

        /** Works on the level on this thread too, until it is done; why the workers stopped early, or null. */
        StopReason finish() {
            Error failed = null;
            try {
                work();
            } catch (Error e) {
                dropped = true; // the others stop at their next chunk
                failed = e;
            }
            Throwable helperFailed = null;
            for (Future<?> f : helpers) {
                Throwable t = outcome(f);
                if (helperFailed == null) {
                    helperFailed = t;
                }
            }
            if (failed != null) {
                throw failed;
            }
            if (helperFailed instanceof RuntimeException e) {
                throw e;
            }
            if (helperFailed instanceof Error e) {
                throw e;
            }
            return expired.get();
        }

        /** Stops the other workers and waits for them; what they found is dropped. */
        void abandon() {
            dropped = true;
            for (Future<?> f : helpers) {
                outcome(f);
            }
        }

        private void work() {
            List<Transition<S>> out = new ArrayList<>();
            for (int from; !dropped && expired.get() == null && (from = nextChunk.getAndAdd(CHUNK)) < size(); ) {
                StopReason why = budget.expired();
                if (why != null) {
                    expired.set(why);
                    return;
                }
                for (int i = from; i < Math.min(from + CHUNK, size()); i++) {
                    try {
                        out.clear();
                        system.successors(frontier.get(i), out);
                        successors[i] = out.size();
                        checked[i] = monitor.check(frontier.get(i), out.isEmpty());
                        for (int j = 0; j < out.size(); j++) {
                            offer(out.get(j), (long) (lo + i) << 32 | j);
                        }
                    } catch (RuntimeException e) {
                        faults[i] = e; // thrown when the judging reaches this state, as BFS would
                    }
                }
            }
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
        int maxDepth = states == 0 ? 0 : links.depth((int) states - 1);
        return new SearchReport(states, transitions, maxDepth, stopped, stopped == null, -1, 0);
    }
}
