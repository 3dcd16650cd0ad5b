package dev.mmu.runtime.explore;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@link BreadthFirstSearch} on several threads, with its verdicts, traces and counts at any
 * number of workers, as a pipeline. The queue's states are handed out in batches, in id order;
 * the workers expand them (successors, their keys, the expectations' conditions), the costly part
 * (about 70% of the one-threaded search on the MMU model: steps, encodings, symmetry). One thread,
 * the judge, takes the finished batches in id order and replays the one-threaded loop on them:
 * the budget's tick, the judging, the visited-set test, the new ids, in the same order with the
 * same figures, so the ids, parents, traces, early stops and counts are the one-threaded ones by
 * construction; the visited set stays one set touched by one thread (its collapse and sibling
 * caches work as in the one-threaded search; it may switch to hash compaction). When its next
 * batch is not ready the judge expands one itself. No barrier between levels: a state is handed
 * out as soon as its parent's batch is judged. The successor function must be safe to call from
 * several threads on shared states (the MMU model's copy-on-write states are: a step only writes
 * its copy).
 */
final class ParallelBreadthFirstSearch<S> {

    /** Queue states a worker expands as one batch: a batch costs a lock and a wake-up, its states ~0.5 ms on the MMU model. */
    private static final int BATCH = 64;
    /** The judge's own batches, when it has to wait: small, so that it is soon back to judging what the others did. */
    private static final int JUDGE_BATCH = 8;
    /** Batches handed out ahead of the judge, per worker: enough to ride out a slow batch, few states held. */
    private static final int AHEAD_PER_WORKER = 32;

    /** Consecutive queue states and what expanding them gave; filled by one thread, then {@link #done}. */
    private final class Batch {
        final List<S> parents;
        /** ends[i]: the end of parent i's successors in {@link #out} and {@link #keys}. */
        final int[] ends;
        final List<Transition<S>> out = new ArrayList<>();
        final List<Object> keys = new ArrayList<>();
        final Monitor.Checked[] checked;
        /**
         * The model's fault in expanding parent {@link #faultAt} (its successors or one of their
         * keys), thrown where the one-threaded search meets it: expanding that parent, before it
         * judges anything of it (it cannot stop between judging a parent and expanding it).
         */
        RuntimeException fault;
        int faultAt = -1;
        /** An error (out of memory) that ended the batch. */
        Error error;
        boolean done; // guarded by lock

        Batch(List<S> parents) {
            this.parents = parents;
            this.ends = new int[parents.size()];
            this.checked = new Monitor.Checked[parents.size()];
        }

        int size() {
            return parents.size();
        }

        /** Expands the parents; a fault stops the batch at its state, an error the whole batch. */
        void expand() {
            try {
                List<Transition<S>> successors = new ArrayList<>();
                for (int i = 0; i < size() && fault == null; i++) {
                    S s = parents.get(i);
                    successors.clear();
                    try {
                        system.successors(s, successors);
                        for (Transition<S> t : successors) {
                            keys.add(system.key(t.target()));
                            out.add(t);
                        }
                    } catch (RuntimeException e) {
                        fault = e;
                        faultAt = i;
                        break;
                    }
                    ends[i] = out.size();
                    try {
                        checked[i] = monitor.check(s, successors.isEmpty());
                    } catch (RuntimeException e) {
                        // It evaluates every condition; the judge evaluates them lazily, as BFS (null: judge them there).
                    }
                }
            } catch (Error e) {
                error = e;
            }
        }
    }

    private final TransitionSystem<S> system;
    private final Monitor<S> monitor;
    private final Budget budget;
    private final int workers;
    private final int ahead;
    private VisitedSet ids = new VisitedSet();
    private ParentLinks links = new ParentLinks();
    private long transitions;

    private final Object lock = new Object();
    // Guarded by lock: the queue's states not yet handed out, the batches handed out and not yet
    // judged (in id order), and whether the search is over.
    private final ArrayDeque<S> queue = new ArrayDeque<>();
    private final ArrayDeque<Batch> pending = new ArrayDeque<>();
    private boolean over;

    private ParallelBreadthFirstSearch(TransitionSystem<S> system, Monitor<S> monitor, Budget budget, int workers) {
        this.system = system;
        this.monitor = monitor;
        this.budget = budget;
        this.workers = workers;
        this.ahead = AHEAD_PER_WORKER * workers;
    }

    static <S> SearchReport run(TransitionSystem<S> system, Monitor<S> monitor, Budget budget, int workers) {
        ParallelBreadthFirstSearch<S> search = new ParallelBreadthFirstSearch<>(system, monitor, budget, workers);
        ExecutorService pool = workers == 1 ? null : Executors.newFixedThreadPool(workers - 1, r -> {
            Thread t = new Thread(r, "mmu-bfs-worker");
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> helpers = new ArrayList<>();
        try {
            for (int w = 1; w < workers; w++) {
                helpers.add(pool.submit(search::help));
            }
            return search.run();
        } finally {
            search.end();
            for (Future<?> f : helpers) {
                waitFor(f); // no worker calls the model once the search has returned
            }
            if (pool != null) {
                pool.shutdown();
            }
        }
    }

    private SearchReport run() {
        try {
            return search();
        } catch (OutOfMemoryError e) {
            // As BreadthFirstSearch: drop the visited set and the queue before the partial result is built.
            end();
            int stored = links.count();
            int deepest = stored == 0 ? 0 : links.depth(stored - 1);
            ids = null;
            synchronized (lock) {
                queue.clear();
                pending.clear();
            }
            links = null;
            return new SearchReport(stored, transitions, deepest, budget.outOfMemory(), false, -1, 0);
        }
    }

    private SearchReport search() {
        budget.watch(ids);
        S initial = system.initial();
        ids.add(system.key(initial));
        links.add(-1, null);
        synchronized (lock) {
            queue.add(initial);
        }
        StopReason stopped = null;
        int head = 0; // the next id to judge, as BreadthFirstSearch's head
        List<S> added = new ArrayList<>();
        while (!monitor.allDecided() && stopped == null) {
            Batch b = nextBatch();
            if (b == null) {
                break; // the queue is empty: every state was expanded
            }
            if (b.error != null) {
                throw b.error;
            }
            added.clear();
            for (int i = 0; i < b.size() && !monitor.allDecided(); i++) {
                int id = head++;
                int count = links.count();
                stopped = budget.tick(count, transitions, links.depth(id), count - head);
                if (stopped != null) {
                    break;
                }
                judge(b, i, id, added);
            }
            synchronized (lock) {
                queue.addAll(added);
                lock.notifyAll();
            }
        }
        int count = links.count();
        int maxDepth = count == 0 ? 0 : links.depth(count - 1);
        return new SearchReport(count, transitions, maxDepth, stopped, stopped == null, -1, 0);
    }

    /** BreadthFirstSearch's loop body for parent i of b, with what the worker computed. */
    private void judge(Batch b, int i, int id, List<S> added) {
        S s = b.parents.get(i);
        int from = i == 0 ? 0 : b.ends[i - 1];
        if (i == b.faultAt) {
            throw b.fault;
        }
        if (b.checked[i] != null) {
            monitor.onChecked(s, b.checked[i], () -> links.traceTo(id));
        } else {
            // The conditions faulted on the worker: evaluated here, as BFS does, a fault only where BFS meets it.
            monitor.onState(s, from == b.ends[i], () -> links.traceTo(id));
        }
        for (int j = from; j < b.ends[i]; j++) {
            transitions++;
            Transition<S> t = b.out.get(j);
            if (ids.add(b.keys.get(j))) {
                int child = links.add(id, t);
                added.add(t.target());
                monitor.onGenerated(t.target(), () -> links.traceTo(child));
            }
        }
    }

    /**
     * The judge's next batch, expanded: the first pending one, or the next states of the queue;
     * expands other batches meanwhile when it has to wait. Null when the queue is empty and
     * nothing is pending: the search is complete.
     */
    private Batch nextBatch() {
        while (true) {
            Batch mine;
            Batch first;
            synchronized (lock) {
                first = pending.peekFirst();
                if (first != null && first.done) {
                    pending.removeFirst();
                    lock.notifyAll(); // room ahead for the workers
                    return first;
                }
                mine = handOut(JUDGE_BATCH);
                if (first == null && mine == null) {
                    return null;
                }
                if (mine == null) {
                    waitOnLock();
                    continue;
                }
            }
            mine.expand();
            finished(mine);
        }
    }

    /** A worker other than the judge: expands batches until the search is over. */
    private void help() {
        while (true) {
            Batch b;
            synchronized (lock) {
                while ((b = handOut(BATCH)) == null) {
                    if (over) {
                        return;
                    }
                    waitOnLock();
                }
            }
            b.expand();
            finished(b);
            if (b.error != null) {
                return; // the judge throws it when it gets there
            }
        }
    }

    /** The next batch of the queue (under the lock), now pending; null if the queue is empty or enough is ahead. */
    private Batch handOut(int most) {
        if (over || queue.isEmpty() || pending.size() >= ahead) {
            return null;
        }
        int n = Math.min(most, queue.size());
        List<S> parents = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            parents.add(queue.poll()); // expanded from here on: only its key stays, in ids
        }
        Batch b = new Batch(parents);
        pending.addLast(b);
        return b;
    }

    private void finished(Batch b) {
        synchronized (lock) {
            b.done = true;
            lock.notifyAll();
        }
    }

    /** Stops the workers at their next batch. */
    private void end() {
        synchronized (lock) {
            over = true;
            lock.notifyAll();
        }
    }

    private void waitOnLock() {
        try {
            lock.wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a search worker", e);
        }
    }

    private static void waitFor(Future<?> f) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // A worker's error reached the judge through its batch, or the search ended first.
        }
    }
}
