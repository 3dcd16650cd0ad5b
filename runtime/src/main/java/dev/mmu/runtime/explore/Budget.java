package dev.mmu.runtime.explore;

/**
 * Decides when a search must stop (states, time, memory, cancellation) and throttles progress
 * reports. The searches call {@link #tick} once per step; the costly checks run only every few
 * thousand calls, so that a budget costs nothing measurable.
 */
final class Budget {

    private static final int TIME_CHECK_EVERY = 1 << 10;
    private static final int MEMORY_CHECK_EVERY = 1 << 12;
    private static final long PROGRESS_EVERY_NANOS = 100_000_000L;

    private final ExploreOptions options;
    private final String phase;
    private final Runtime runtime = Runtime.getRuntime();
    private final long startNanos = System.nanoTime();
    private final long deadlineNanos;
    private final long memoryCeiling;
    private final long heapAtStart;
    private long ticks;
    private long nextProgressNanos = startNanos + PROGRESS_EVERY_NANOS;
    private long peakHeap;
    private StopReason stopped;

    Budget(ExploreOptions options, String phase) {
        this.options = options;
        this.phase = phase;
        this.deadlineNanos = options.timeLimit() == null ? Long.MAX_VALUE
                : startNanos + Math.max(0, options.timeLimit().toNanos());
        this.memoryCeiling = (long) (runtime.maxMemory() * options.memoryFraction());
        this.heapAtStart = usedHeap();
        this.peakHeap = heapAtStart;
    }

    /**
     * Called once per step of a search.
     *
     * @return why the search must stop now, or null to go on
     */
    StopReason tick(long states, long transitions, int depth, long queueSize) {
        ticks++;
        if (options.cancel().isCancelled()) {
            return stop(StopReason.INTERRUPTED);
        }
        if (states > options.maxStates()) {
            return stop(StopReason.MAX_STATES);
        }
        if (ticks % TIME_CHECK_EVERY == 0) {
            long now = System.nanoTime();
            if (now - deadlineNanos >= 0) {
                return stop(StopReason.TIME);
            }
            if (now - nextProgressNanos >= 0) {
                nextProgressNanos = now + PROGRESS_EVERY_NANOS;
                options.progress().onProgress(new Progress(phase, states, transitions, depth, queueSize,
                        (now - startNanos) / 1_000_000));
            }
        }
        if (ticks % MEMORY_CHECK_EVERY == 0 && memoryExhausted()) {
            return stop(StopReason.MEMORY);
        }
        return null;
    }

    /**
     * Records that an allocation failed between two memory samples. The search must drop its
     * visited set and stack before reporting, so that the partial result can still be built.
     */
    StopReason outOfMemory() {
        return stop(StopReason.MEMORY);
    }

    /** The reason the search stopped, or null if it was not stopped by this budget. */
    StopReason stopped() {
        return stopped;
    }

    long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    long peakHeap() {
        peakHeap = Math.max(peakHeap, usedHeap());
        return peakHeap;
    }

    /** Heap growth since this budget was made, per stored state; rough, GC may run meanwhile. */
    long approxBytesPerState(long states) {
        return states == 0 ? 0 : Math.max(0, usedHeap() - heapAtStart) / states;
    }

    private StopReason stop(StopReason reason) {
        stopped = reason;
        return reason;
    }

    /** Over the ceiling twice, with a GC in between, so that garbage alone never stops a search. */
    private boolean memoryExhausted() {
        long used = usedHeap();
        peakHeap = Math.max(peakHeap, used);
        if (used <= memoryCeiling) {
            return false;
        }
        System.gc();
        return usedHeap() > memoryCeiling;
    }

    private long usedHeap() {
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
