package dev.mmu.runtime.explore;

/**
 * Figures about one exploration. All but the timing and memory figures are deterministic.
 *
 * @param statesStored distinct states kept in the visited set (or seen by sampling)
 * @param transitions transitions followed
 * @param maxDepth longest path from the initial state followed
 * @param elapsedMillis wall time of the whole {@link Explorer#explore} call
 * @param statesPerSecond states stored per second of the main search
 * @param approxBytesPerState the peak heap's growth during the main search divided by states stored
 * @param peakHeapBytes the largest used heap sampled
 */
public record Stats(
        long statesStored,
        long transitions,
        int maxDepth,
        long elapsedMillis,
        double statesPerSecond,
        long approxBytesPerState,
        long peakHeapBytes) {}
