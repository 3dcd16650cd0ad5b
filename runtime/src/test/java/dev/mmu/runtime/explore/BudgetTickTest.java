package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The budget's own decisions, tick by tick, without a search around it. */
class BudgetTickTest {

    private static Budget budget(ExploreOptions.Builder b) {
        return new Budget(b.build(), "search", System.nanoTime());
    }

    @Test
    void maxStatesStopsOnlyAboveTheLimit() {
        Budget b = budget(ExploreOptions.builder().maxStates(10));
        assertThat(b.tick(10, 0, 0, 0)).isNull();
        assertThat(b.stopped()).isNull();
        assertThat(b.tick(11, 0, 0, 0)).isEqualTo(StopReason.MAX_STATES);
        assertThat(b.stopped()).isEqualTo(StopReason.MAX_STATES);
    }

    @Test
    void cancellationStopsAtTheNextTick() {
        CancelSignal cancel = new CancelSignal();
        Budget b = budget(ExploreOptions.builder().cancel(cancel));
        assertThat(b.tick(1, 0, 0, 0)).isNull();
        cancel.cancel();
        assertThat(b.tick(2, 0, 0, 0)).isEqualTo(StopReason.INTERRUPTED);
        assertThat(b.stopped()).isEqualTo(StopReason.INTERRUPTED);
    }

    @Test
    void aZeroTimeLimitStopsAtTheFirstTick() {
        Budget b = budget(ExploreOptions.builder().timeLimit(Duration.ZERO));
        assertThat(b.timeIsUp()).isTrue();
        assertThat(b.tick(1, 0, 0, 0)).isEqualTo(StopReason.TIME);
        assertThat(b.stopped()).isEqualTo(StopReason.TIME);
    }

    @Test
    void aLongTimeLimitIsNotUp() {
        Budget b = budget(ExploreOptions.builder().timeLimit(Duration.ofDays(1)));
        assertThat(b.timeIsUp()).isFalse();
        for (int i = 1; i <= 10_000; i++) {
            assertThat(b.tick(i, i, 1, 1)).isNull();
        }
    }

    @Test
    void timeLimitCountsFromTheExplorationStart() throws InterruptedException {
        long start = System.nanoTime();
        Thread.sleep(60);
        Budget b = new Budget(ExploreOptions.builder().timeLimit(Duration.ofMillis(50)).build(), "re-search", start);
        assertThat(b.timeIsUp()).isTrue();
        assertThat(b.tick(1, 0, 0, 0)).isEqualTo(StopReason.TIME);
    }

    @Test
    void aTimeLimitEndsATickingLoopNearItsDeadline() {
        // t0 before the budget starts its clock: on a loaded machine the budget's own start came
        // 10 ms before a t0 taken after it, and the loop "ended early" (90 ms, CI)
        long t0 = System.nanoTime();
        Budget b = budget(ExploreOptions.builder().timeLimit(Duration.ofMillis(100)));
        long ticks = 0;
        StopReason r = null;
        while (r == null) {
            r = b.tick(1, 0, 0, 0);
            ticks++;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r).isEqualTo(StopReason.TIME);
        assertThat(ms).isBetween(95L, 2_000L);
        assertThat(ticks).isGreaterThan(1000);
    }

    @Test
    void progressIsReportedAboutTenTimesASecondWithThePhase() throws InterruptedException {
        List<Progress> seen = new ArrayList<>();
        Budget b = budget(ExploreOptions.builder().progress(seen::add));
        assertThat(b.tick(1, 2, 3, 4)).isNull();
        assertThat(seen).isEmpty();
        Thread.sleep(120);
        assertThat(b.elapsedNanos()).isGreaterThanOrEqualTo(120_000_000L);
        // the clock is read within two steps after a slow one
        for (int i = 0; i < 2 && seen.isEmpty(); i++) {
            assertThat(b.tick(5, 6, 7, 8)).isNull();
        }
        assertThat(seen).hasSize(1);
        Progress p = seen.get(0);
        assertThat(p.phase()).isEqualTo("search");
        assertThat(p.states()).isEqualTo(5);
        assertThat(p.transitions()).isEqualTo(6);
        assertThat(p.depth()).isEqualTo(7);
        assertThat(p.queueSize()).isEqualTo(8);
        assertThat(p.elapsedMillis()).isBetween(120L, 60_000L);
        assertThat(b.tick(9, 9, 9, 9)).isNull();
        assertThat(seen).hasSize(1);
    }

    @Test
    void aTinyMemoryFractionStopsWithMemory() {
        Budget b = budget(ExploreOptions.builder().memoryFraction(Double.MIN_VALUE).timeLimit(Duration.ofSeconds(30)));
        StopReason r = null;
        for (int i = 1; r == null; i++) {
            r = b.tick(i, 0, 0, 0);
        }
        assertThat(r).isEqualTo(StopReason.MEMORY);
        assertThat(b.stopped()).isEqualTo(StopReason.MEMORY);
    }

    /**
     * Before the heap reaches its ceiling the watched visited set turns to fingerprints, and the
     * budget says so with its estimate; a set of fingerprints only (the
     * user's hash compaction) is left alone.
     */
    @Test
    void nearTheCeilingTheVisitedSetTurnsToFingerprints() {
        Budget b = budget(ExploreOptions.builder().memoryFraction(Double.MIN_VALUE).timeLimit(Duration.ofSeconds(30)));
        VisitedSet visited = new VisitedSet();
        visited.add(new PackedKey(new byte[] {1, 2, 3}));
        b.watch(visited);
        assertThat(b.compaction()).isNull();
        StopReason r = null;
        for (int i = 1; r == null; i++) {
            r = b.tick(i, 0, 0, 0);
        }
        assertThat(visited.compacted()).isTrue();
        assertThat(visited.size()).isEqualTo(1);
        assertThat(visited.add(new PackedKey(new byte[] {1, 2, 3}))).isFalse();
        assertThat(b.compaction()).startsWith("hash compaction from ").contains(" B/state exact", "room for ~");

        Budget user = budget(ExploreOptions.builder().memoryFraction(Double.MIN_VALUE).timeLimit(Duration.ofSeconds(30)));
        VisitedSet fingerprints = new VisitedSet();
        fingerprints.add(42L);
        user.watch(fingerprints);
        for (int i = 1; user.tick(i, 0, 0, 0) == null; i++) {
            // until the memory check stops it
        }
        assertThat(user.compaction()).isNull();
        assertThat(fingerprints.compacted()).isFalse();
    }

    @Test
    void theWholeHeapNeverStopsForMemory() {
        Budget b = budget(ExploreOptions.builder().memoryFraction(1.0));
        for (int i = 1; i <= 20_000; i++) {
            assertThat(b.tick(i, 0, 0, 0)).isNull();
        }
    }

    @Test
    void outOfMemoryIsRecorded() {
        Budget b = budget(ExploreOptions.builder());
        assertThat(b.outOfMemory()).isEqualTo(StopReason.MEMORY);
        assertThat(b.stopped()).isEqualTo(StopReason.MEMORY);
    }

    @Test
    void heapGrowthIsSharedOutPerState() {
        System.gc();
        Budget b = budget(ExploreOptions.builder());
        assertThat(b.approxBytesPerState(0)).isZero();
        byte[] held = new byte[64 << 20];
        long perState = b.approxBytesPerState(4);
        assertThat(held).isNotEmpty();
        assertThat(perState).isBetween(12L << 20, 40L << 20);
        assertThat(b.peakHeap()).isGreaterThanOrEqualTo(64L << 20);
    }

    @Test
    void heapFreedAfterThePeakStillCountsPerState() {
        System.gc();
        Budget b = budget(ExploreOptions.builder());
        byte[][] held = {new byte[64 << 20]};
        assertThat(b.peakHeap()).isGreaterThanOrEqualTo(64L << 20);
        held[0] = null; // the search's visited set, garbage once it ends
        System.gc();
        long perState = b.approxBytesPerState(4);
        assertThat(perState).isGreaterThanOrEqualTo(12L << 20)
                .as("the growth since the start, not the whole heap").isLessThan(b.peakHeap() / 4);
    }
}
