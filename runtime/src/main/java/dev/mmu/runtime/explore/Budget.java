package dev.mmu.runtime.explore;

/**
 * Decides when a search must stop (states, time, memory, cancellation) and throttles progress
 * reports. The searches call {@link #tick} once per step. The clock is read about once a
 * millisecond: every step when steps are slow (a huge state), every 1,024 when they are fast, so a
 * budget costs nothing measurable and still ends the search near its deadline. Every phase of one
 * exploration (search, fair cycles, re-search, portfolio) shares the one deadline.
 */
final class Budget {

    private static final int MAX_CLOCK_EVERY = 1 << 10;
    private static final long CLOCK_NANOS = 1_000_000L;
    private static final int MEMORY_CHECK_EVERY = 1 << 12;
    private static final long MEMORY_CHECK_NANOS = 20_000_000L;
    private static final long PROGRESS_EVERY_NANOS = 100_000_000L;

    private final ExploreOptions options;
    private final String phase;
    private final Runtime runtime = Runtime.getRuntime();
    private final long startNanos = System.nanoTime();
    private final long deadlineNanos;
    private final long memoryCeiling;
    private final long heapAtStart;
    private long ticks;
    private int clockEvery = 1;                 // steps between clock reads, adapted to the step's cost
    private long nextClockTick = 1;
    private long lastClockNanos = startNanos;
    private long lastMemoryTick;
    private long lastMemoryNanos = startNanos;
    private long nextProgressNanos = startNanos + PROGRESS_EVERY_NANOS;
    private long peakHeap;
    private StopReason stopped;

    /** @param explorationStart when the exploration began (System.nanoTime): the time limit counts from it */
    Budget(ExploreOptions options, String phase, long explorationStart) {
        this.options = options;
        this.phase = phase;
        this.deadlineNanos = options.timeLimit() == null ? Long.MAX_VALUE
                : explorationStart + options.timeLimit().toNanos();
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
        if (ticks < nextClockTick) {
            return null;
        }
        long now = System.nanoTime();
        long since = now - lastClockNanos;
        if (since < CLOCK_NANOS / 2 && clockEvery < MAX_CLOCK_EVERY) {
            clockEvery *= 2;
        } else if (since > CLOCK_NANOS * 2 && clockEvery > 1) {
            clockEvery /= 2;
        }
        lastClockNanos = now;
        nextClockTick = ticks + clockEvery;
        if (now - deadlineNanos >= 0) {
            return stop(StopReason.TIME);
        }
        if (now - nextProgressNanos >= 0) {
            nextProgressNanos = now + PROGRESS_EVERY_NANOS;
            options.progress().onProgress(new Progress(phase, states, transitions, depth, queueSize,
                    (now - startNanos) / 1_000_000));
        }
        if (ticks - lastMemoryTick >= MEMORY_CHECK_EVERY || now - lastMemoryNanos >= MEMORY_CHECK_NANOS) {
            lastMemoryTick = ticks;
            lastMemoryNanos = now;
            if (memoryExhausted()) {
                return stop(StopReason.MEMORY);
            }
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

    /**
     * Cancellation or the deadline, read now and safe from any thread: what the workers of a
     * parallel search poll, since only one thread may {@link #tick}. Null to go on.
     */
    StopReason expired() {
        if (options.cancel().isCancelled()) {
            return StopReason.INTERRUPTED;
        }
        return timeIsUp() ? StopReason.TIME : null;
    }

    /** Records a stop a parallel search's workers saw ({@link #expired}). */
    StopReason stopFor(StopReason reason) {
        return stop(reason);
    }

    /** Whether the exploration's deadline has passed: a later phase then has no time to run. */
    boolean timeIsUp() {
        return System.nanoTime() - deadlineNanos >= 0;
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
