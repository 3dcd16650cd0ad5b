package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The budget's sampling of the clock and the heap on a machine the test drives: when it reads the
 * clock (about once a millisecond: every step when steps are slow, every 1,024 when they are
 * fast), when it looks at the heap (every 4,096 steps or 20 ms), when a collection is run, and
 * what it says when it turns the visited set to fingerprints.
 */
class BudgetMachineTest {
    private static final long MS = 1_000_000L;

    /** A clock and a heap that move only when the test says; each read and collection is recorded at its step. */
    static final class Fake {
        long step;
        long now;
        long heap;
        /** Heap values after each collection, in order; none: a collection frees nothing. */
        final Deque<Long> afterGc = new ArrayDeque<>();
        final List<Long> clockReads = new ArrayList<>();
        final List<Long> heapReads = new ArrayList<>();
        int collections;

        Budget.Machine machine(long maxHeap) {
            return new Budget.Machine(() -> {
                clockReads.add(step);
                return now;
            }, () -> {
                heapReads.add(step);
                return heap;
            }, () -> {
                collections++;
                if (!afterGc.isEmpty()) heap = afterGc.poll();
            }, maxHeap);
        }

        /** Ticks steps from..to (inclusive), the clock moving by `nanos` before each; the first stop, or null. */
        StopReason run(Budget b, long from, long to, long nanos) {
            for (step = from; step <= to; step++) {
                now += nanos;
                StopReason r = b.tick(step, 0, 0, 0);
                if (r != null) return r;
            }
            return null;
        }

        List<Long> clockReadsFrom(long from) {
            return clockReads.stream().filter(s -> s >= from).toList();
        }

        List<Long> heapReadsFrom(long from, long to) {
            return heapReads.stream().filter(s -> s >= from && s <= to).toList();
        }
    }

    private static Budget budget(Fake f, ExploreOptions.Builder options, long maxHeap) {
        f.step = 0;
        return new Budget(options.build(), "search", 0, f.machine(maxHeap));
    }

    /** The reads k, k + d, k + 2d, ... up to `to`. */
    private static List<Long> every(long from, long d, long to) {
        return LongStream.iterate(from, s -> s <= to, s -> s + d).boxed().toList();
    }

    @Test
    void theClockIsReadLessOftenWhileStepsAreFastAndEveryStepOnceTheyAreSlow() {
        Fake f = new Fake();
        f.now = 5 * MS; // the clock's origin is no instant of the budget's
        Budget b = budget(f, ExploreOptions.builder(), 1L << 40);
        // Fast steps (the clock stands still): the spacing doubles from 1 to 1,024 steps, and stays there
        assertThat(f.run(b, 1, 5_000, 0)).isNull();
        assertThat(f.clockReadsFrom(1)).containsExactly(1L, 3L, 7L, 15L, 31L, 63L, 127L, 255L, 511L, 1023L, 2047L,
                3071L, 4095L);
        // Slow steps (3 ms each): the spacing halves at each read, down to every step
        f.clockReads.clear();
        assertThat(f.run(b, 5_001, 6_200, 3 * MS)).isNull();
        List<Long> slow = new ArrayList<>(List.of(5119L, 5631L, 5887L, 6015L, 6079L, 6111L, 6127L, 6135L, 6139L, 6141L));
        slow.addAll(every(6142, 1, 6200));
        assertThat(f.clockReadsFrom(1)).isEqualTo(slow);
        // Fast again: it doubles again from one step
        f.clockReads.clear();
        assertThat(f.run(b, 6_201, 6_300, 0)).isNull();
        assertThat(f.clockReadsFrom(1)).containsExactly(6201L, 6203L, 6207L, 6215L, 6231L, 6263L);
        assertThat(b.elapsedNanos()).isEqualTo(f.now - 5 * MS);
    }

    @Test
    void theHeapIsLookedAtEvery4096StepsOrEvery20Milliseconds() {
        Fake f = new Fake();
        Budget b = budget(f, ExploreOptions.builder(), 1L << 40);
        f.heapReads.clear(); // the heap at the start
        // Fast steps: at the first clock read 4,096 steps after the last look
        assertThat(f.run(b, 1, 12_000, 0)).isNull();
        assertThat(f.heapReadsFrom(1, 12_000)).containsExactly(5119L, 9215L);
        // Slow steps of 10 ms, once the clock is read at every one of them: every 20 ms, every other step
        assertThat(f.run(b, 12_001, 13_400, 10 * MS)).isNull();
        List<Long> slow = f.heapReadsFrom(13_350, 13_400);
        assertThat(slow).hasSize(25);
        for (int i = 1; i < slow.size(); i++) assertThat(slow.get(i) - slow.get(i - 1)).isEqualTo(2);
        assertThat(f.collections).as("no collection while the heap is below its ceiling").isZero();
    }

    @Test
    void onlyTheHeapThatOutlivesACollectionCounts() {
        Fake f = new Fake();
        f.heap = 100;
        Budget b = budget(f, ExploreOptions.builder().memoryFraction(1.0), 1_000);
        f.heap = 1_000; // at the ceiling, not over it: no collection, no stop
        assertThat(f.run(b, 1, 1, 20 * MS)).isNull();
        assertThat(f.heapReads).hasSize(2);
        assertThat(f.collections).isZero();
        f.heap = 1_001; // over it, but garbage: the collection brings it back to the ceiling
        f.afterGc.add(1_000L);
        assertThat(f.run(b, 2, 2, 20 * MS)).isNull();
        assertThat(f.collections).isOne();
        f.heap = 1_001; // over it, and a collection frees less than that
        f.afterGc.add(1_001L);
        assertThat(f.run(b, 3, 3, 20 * MS)).isEqualTo(StopReason.MEMORY);
        assertThat(b.stopped()).isEqualTo(StopReason.MEMORY);
        assertThat(b.peakHeap()).isEqualTo(1_001);
    }

    /**
     * At 70% of the ceiling the watched set turns to fingerprints: the note gives the bytes per
     * state the exact keys took (the heap's growth since the start) and the fingerprints the room
     * left after a collection holds (16 bytes each).
     */
    @Test
    void theCompactionNoteGivesTheExactKeysCostAndTheRoomLeft() {
        Fake f = new Fake();
        f.heap = 100_000;
        // A ceiling of 1,000,000 bytes: half of a 2,000,000-byte heap
        Budget b = budget(f, ExploreOptions.builder().memoryFraction(0.5), 2_000_000);
        VisitedSet visited = new VisitedSet();
        visited.add(new PackedKey(new byte[] {1, 2, 3}));
        b.watch(visited);
        f.heap = 699_999; // below 70%: nothing yet
        assertThat(f.run(b, 7, 7, 20 * MS)).isNull();
        assertThat(b.compaction()).isNull();
        f.heap = 800_000;
        f.afterGc.add(800_000L); // the check's collection frees nothing
        f.afterGc.add(840_000L); // the one after compaction: the fingerprints' table
        assertThat(f.run(b, 7, 7, 20 * MS)).isNull();
        assertThat(visited.compacted()).isTrue();
        assertThat(b.compaction()).isEqualTo("hash compaction from 7 states on (heap 35% full at ~100,000 B/state exact;"
                + " fingerprints leave room for ~10,000 more states)");

        Fake none = new Fake();
        Budget before = budget(none, ExploreOptions.builder().memoryFraction(0.5), 2_000_000);
        VisitedSet early = new VisitedSet();
        early.add(new PackedKey(new byte[] {4}));
        before.watch(early);
        none.heap = 800_000;
        assertThat(none.run(before, 0, 0, 20 * MS)).isNull();
        assertThat(before.compaction()).as("no state stored yet").contains("at ~0 B/state exact");
    }

    @Test
    void theDeadlineAndTheProgressLineCountTheirOwnInstant() {
        Fake f = new Fake();
        List<Progress> seen = new ArrayList<>();
        Budget b = budget(f, ExploreOptions.builder().timeLimit(Duration.ofMillis(150)).progress(seen::add), 1L << 40);
        assertThat(f.run(b, 1, 1, 100 * MS)).isNull();
        assertThat(seen).as("100 ms after the start").hasSize(1);
        assertThat(seen.get(0).elapsedMillis()).isEqualTo(100);
        assertThat(b.timeIsUp()).isFalse();
        assertThat(b.expired()).isNull();
        f.now += 50 * MS;
        assertThat(b.timeIsUp()).as("at the deadline").isTrue();
        assertThat(b.expired()).isEqualTo(StopReason.TIME);
        assertThat(f.run(b, 2, 2, 0)).isEqualTo(StopReason.TIME);
    }

    /** What the workers of a parallel search poll: cancellation first, then the deadline; a stop they saw is recorded. */
    @Test
    void theWorkersSeeACancelOrTheDeadlineAndTheirStopIsRecorded() {
        Fake f = new Fake();
        CancelSignal cancel = new CancelSignal();
        Budget b = budget(f, ExploreOptions.builder().timeLimit(Duration.ofMillis(10)).cancel(cancel), 1L << 40);
        assertThat(b.expired()).isNull();
        f.now = 10 * MS;
        assertThat(b.expired()).isEqualTo(StopReason.TIME);
        cancel.cancel();
        assertThat(b.expired()).isEqualTo(StopReason.INTERRUPTED);
        assertThat(b.stopped()).as("polling records nothing").isNull();
        assertThat(b.stopFor(StopReason.TIME)).isEqualTo(StopReason.TIME);
        assertThat(b.stopped()).isEqualTo(StopReason.TIME);
    }

    /** This JVM's heap in use is never more than the heap it holds. */
    @Test
    void theJvmsHeapInUseIsWithinTheHeapItHolds() {
        Budget b = new Budget(ExploreOptions.builder().build(), "search", System.nanoTime());
        long peak = b.peakHeap();
        assertThat(peak).isPositive().isLessThanOrEqualTo(Runtime.getRuntime().totalMemory());
    }
}
