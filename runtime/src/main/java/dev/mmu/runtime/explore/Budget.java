package dev.mmu.runtime.explore;

import java.util.function.LongSupplier;

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
    /** Hash compaction starts at this share of the memory ceiling (leaves room for its table). */
    private static final double COMPACT_AT = 0.7;
    /** What a fingerprint costs in the visited set's table (8 bytes at 50-75% load). */
    private static final int FINGERPRINT_BYTES = 16;

    /**
     * What a budget reads of the machine: the clock, the heap in use, a collection (before a
     * second look at the heap) and the heap's maximum.
     */
    record Machine(LongSupplier nanoTime, LongSupplier usedHeap, Runnable gc, long maxHeap) {
        /** This JVM's. */
        static final Machine JVM = new Machine(System::nanoTime, Machine::jvmUsedHeap, System::gc,
                Runtime.getRuntime().maxMemory());

        private static long jvmUsedHeap() {
            Runtime r = Runtime.getRuntime();
            return r.totalMemory() - r.freeMemory();
        }
    }

    private final ExploreOptions options;
    private String phase;
    private final Machine machine;
    private final long startNanos;
    private final long explorationStart;
    private final long deadlineNanos;
    private final long memoryCeiling;
    private final long heapAtStart;
    private long ticks;
    private int clockEvery = 1;                 // steps between clock reads, adapted to the step's cost
    private long nextClockTick = 1;
    private long lastClockNanos;
    private long lastMemoryTick;
    private long lastMemoryNanos;
    private long nextProgressNanos;
    private long peakHeap;
    private StopReason stopped;
    private VisitedSet watched;
    private String compaction;

    /** @param explorationStart when the exploration began (System.nanoTime): the time limit counts from it */
    Budget(ExploreOptions options, String phase, long explorationStart) {
        this(options, phase, explorationStart, Machine.JVM);
    }

    Budget(ExploreOptions options, String phase, long explorationStart, Machine machine) {
        this.options = options;
        this.phase = phase;
        this.machine = machine;
        this.startNanos = machine.nanoTime().getAsLong();
        this.lastClockNanos = startNanos;
        this.lastMemoryNanos = startNanos;
        this.nextProgressNanos = startNanos + PROGRESS_EVERY_NANOS;
        this.explorationStart = explorationStart;
        this.deadlineNanos = options.timeLimit() == null ? Long.MAX_VALUE
                : explorationStart + options.timeLimit().toNanos();
        this.memoryCeiling = (long) (machine.maxHeap() * options.memoryFraction());
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
        long now = machine.nanoTime().getAsLong();
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
                    (now - explorationStart) / 1_000_000));
        }
        if (ticks - lastMemoryTick >= MEMORY_CHECK_EVERY || now - lastMemoryNanos >= MEMORY_CHECK_NANOS) {
            lastMemoryTick = ticks;
            lastMemoryNanos = now;
            if (watched != null && watched.exactKeys() > 0 && overCeiling(COMPACT_AT)) {
                compact(states);
            }
            if (memoryExhausted()) {
                return stop(StopReason.MEMORY);
            }
        }
        return null;
    }

    /**
     * The visited set to switch to hash compaction ({@link VisitedSet#compact}) when the heap
     * nears its ceiling, instead of stopping there with UNKNOWN.
     */
    void watch(VisitedSet visited) {
        watched = visited;
    }

    /** Why and from when the watched set stores fingerprints, with the estimate; null if it never switched. */
    String compaction() {
        return compaction;
    }

    /**
     * Switches to fingerprints and says so early, on the progress line too, with what the heap
     * held per state so far and how many states the fingerprints leave room for.
     */
    private void compact(long states) {
        long exact = states == 0 ? 0 : Math.max(0, usedHeap() - heapAtStart) / states;
        watched.compact();
        machine.gc().run();
        long room = Math.max(0, memoryCeiling - usedHeap()) / FINGERPRINT_BYTES;
        compaction = String.format("hash compaction from %,d states on (heap %d%% full at ~%,d B/state exact;"
                + " fingerprints leave room for ~%,d more states)", states,
                Math.round(100 * COMPACT_AT * options.memoryFraction()), exact, room);
        phase = phase + ", " + compaction;
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
        return machine.nanoTime().getAsLong() - deadlineNanos >= 0;
    }

    /** The reason the search stopped, or null if it was not stopped by this budget. */
    StopReason stopped() {
        return stopped;
    }

    long elapsedNanos() {
        return machine.nanoTime().getAsLong() - startNanos;
    }

    long peakHeap() {
        peakHeap = Math.max(peakHeap, usedHeap());
        return peakHeap;
    }

    /**
     * The peak heap's growth since this budget was made, per stored state: what a search of that
     * many states needed, garbage included. Not the heap at the end: once the search's visited set
     * is garbage, a collection then (the parallel collector's) left a few bytes per state.
     */
    long approxBytesPerState(long states) {
        return states == 0 ? 0 : Math.max(0, peakHeap() - heapAtStart) / states;
    }

    private StopReason stop(StopReason reason) {
        stopped = reason;
        return reason;
    }

    private boolean memoryExhausted() {
        return overCeiling(1);
    }

    /** Over that share of the ceiling twice, with a GC in between, so that garbage alone never counts. */
    private boolean overCeiling(double share) {
        long used = usedHeap();
        peakHeap = Math.max(peakHeap, used);
        long limit = (long) (memoryCeiling * share);
        if (used <= limit) {
            return false;
        }
        machine.gc().run();
        return usedHeap() > limit;
    }

    private long usedHeap() {
        return machine.usedHeap().getAsLong();
    }
}
