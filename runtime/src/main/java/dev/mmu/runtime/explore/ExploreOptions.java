package dev.mmu.runtime.explore;

import java.time.Duration;
import java.util.Objects;

/**
 * How to explore and how much to spend. Build with {@link #builder()}; {@link #defaults()} is an
 * exhaustive DFS with a shortest-counterexample re-search.
 *
 * @param strategy the search
 * @param maxStates stop (UNKNOWN) after storing this many states
 * @param timeLimit stop (UNKNOWN) after this long; null means no limit
 * @param memoryFraction stop (UNKNOWN) when used heap stays above this fraction of max heap
 *     after a GC
 * @param shortestCounterexample after a DFS failure, re-search with BFS for the shortest trace
 * @param preemptionBound the largest bound K for {@link Strategy#PREEMPTION_BOUNDED}
 * @param runs number of runs for {@link Strategy#RANDOM} and {@link Strategy#PCT}
 * @param seed the seed of random and PCT runs, printed in notes so a run can be repeated
 * @param pctDepth the bug depth d for {@link Strategy#PCT} (d - 1 priority change points)
 * @param maxRunSteps the longest random or PCT run
 * @param portfolioFallback when a systematic search runs out of budget, try random and PCT runs
 * @param symmetry key the visited sets on {@link TransitionSystem#canonical} states (symmetry
 *     reduction); applied by DFS, BFS, preemption bounding (where the system maps threads) and the
 *     fair-cycle search of {@code Terminates}; ignored by random and PCT runs
 * @param hashCompaction store a 64-bit fingerprint of each state instead of the state: far less
 *     memory, but a fingerprint collision can hide states, so verdicts that need every state
 *     (PASS of never/final, FAIL of reachable) become probabilistic; findings stay real traces
 * @param workers threads of the breadth-first searches ({@link ParallelBreadthFirstSearch}); any
 *     number gives the same verdicts, traces and counts
 * @param shard the part of the search this run explores ({@link Shard}), or null for all of it
 * @param partialOrder partial-order reduction ({@link PartialOrder}) where the system declares its
 *     {@link TransitionSystem#dependencies}: applied by DFS (with symmetry where the system renumbers
 *     threads into canonical states), ignored otherwise
 * @param cancel set by another thread to stop the search
 * @param progress called about ten times a second
 */
public record ExploreOptions(
        Strategy strategy,
        long maxStates,
        Duration timeLimit,
        double memoryFraction,
        boolean shortestCounterexample,
        int preemptionBound,
        int runs,
        long seed,
        int pctDepth,
        int maxRunSteps,
        boolean portfolioFallback,
        boolean symmetry,
        boolean hashCompaction,
        int workers,
        Shard shard,
        boolean partialOrder,
        CancelSignal cancel,
        ProgressListener progress) {

    /** The search the explorer runs. */
    public enum Strategy {
        /** Exhaustive depth-first search with a visited set (the default). */
        DFS,
        /** Exhaustive breadth-first search: every trace is a shortest one. */
        BFS,
        /** CHESS: iterative deepening on the number of preemptions, 0 .. preemptionBound. */
        PREEMPTION_BOUNDED,
        /** Uniformly random runs: can find bugs, never proves their absence. */
        RANDOM,
        /** Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010) at depth pctDepth. */
        PCT
    }

    /** The longest time budget: the deadline is kept in nanoseconds, and no search should outlive it. */
    public static final Duration MAX_TIME_LIMIT = Duration.ofDays(30);

    public ExploreOptions {
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(cancel, "cancel");
        Objects.requireNonNull(progress, "progress");
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1: " + workers);
        }
        if (maxStates < 1 || runs < 0 || preemptionBound < 0 || pctDepth < 1 || maxRunSteps < 1) {
            throw new IllegalArgumentException("maxStates, pctDepth and maxRunSteps must be positive;"
                    + " runs and preemptionBound must not be negative");
        }
        if (timeLimit != null && (timeLimit.isNegative() || timeLimit.compareTo(MAX_TIME_LIMIT) > 0)) {
            throw new IllegalArgumentException("timeLimit must be between 0 and " + MAX_TIME_LIMIT + ": " + timeLimit);
        }
        if (!(memoryFraction > 0 && memoryFraction <= 1)) {
            throw new IllegalArgumentException("memoryFraction must be in (0, 1]: " + memoryFraction);
        }
    }

    public static ExploreOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options, to change a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.strategy = strategy;
        b.maxStates = maxStates;
        b.timeLimit = timeLimit;
        b.memoryFraction = memoryFraction;
        b.shortestCounterexample = shortestCounterexample;
        b.preemptionBound = preemptionBound;
        b.runs = runs;
        b.seed = seed;
        b.pctDepth = pctDepth;
        b.maxRunSteps = maxRunSteps;
        b.portfolioFallback = portfolioFallback;
        b.symmetry = symmetry;
        b.hashCompaction = hashCompaction;
        b.workers = workers;
        b.shard = shard;
        b.partialOrder = partialOrder;
        b.cancel = cancel;
        b.progress = progress;
        return b;
    }

    /** Defaults: DFS, 10 million states, no time limit, 85% of heap, shortest traces on, partial-order reduction on. */
    public static final class Builder {
        private Strategy strategy = Strategy.DFS;
        private long maxStates = 10_000_000;
        private Duration timeLimit;
        private double memoryFraction = 0.85;
        private boolean shortestCounterexample = true;
        private int preemptionBound = 2;
        private int runs = 1000;
        private long seed = 1;
        private int pctDepth = 3;
        private int maxRunSteps = 10_000;
        private boolean portfolioFallback;
        private boolean symmetry;
        private boolean hashCompaction;
        private int workers = 1;
        private Shard shard;
        private boolean partialOrder = true;
        private CancelSignal cancel = new CancelSignal();
        private ProgressListener progress = ProgressListener.NONE;

        public Builder strategy(Strategy v) { strategy = v; return this; }
        public Builder maxStates(long v) { maxStates = v; return this; }
        public Builder timeLimit(Duration v) { timeLimit = v; return this; }
        public Builder memoryFraction(double v) { memoryFraction = v; return this; }
        public Builder shortestCounterexample(boolean v) { shortestCounterexample = v; return this; }
        public Builder preemptionBound(int v) { preemptionBound = v; return this; }
        public Builder runs(int v) { runs = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder pctDepth(int v) { pctDepth = v; return this; }
        public Builder maxRunSteps(int v) { maxRunSteps = v; return this; }
        public Builder portfolioFallback(boolean v) { portfolioFallback = v; return this; }
        public Builder symmetry(boolean v) { symmetry = v; return this; }
        public Builder hashCompaction(boolean v) { hashCompaction = v; return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder shard(Shard v) { shard = v; return this; }
        public Builder partialOrder(boolean v) { partialOrder = v; return this; }
        public Builder cancel(CancelSignal v) { cancel = v; return this; }
        public Builder progress(ProgressListener v) { progress = v; return this; }

        public ExploreOptions build() {
            return new ExploreOptions(strategy, maxStates, timeLimit, memoryFraction, shortestCounterexample,
                    preemptionBound, runs, seed, pctDepth, maxRunSteps, portfolioFallback, symmetry, hashCompaction,
                    workers, shard, partialOrder, cancel, progress);
        }
    }
}
