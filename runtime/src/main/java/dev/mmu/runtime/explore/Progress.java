package dev.mmu.runtime.explore;

/**
 * A snapshot for a progress bar.
 *
 * @param phase what is running, e.g. "DFS", "BFS re-search", "PCT depth 2"
 * @param states states stored so far
 * @param transitions transitions followed so far
 * @param depth current depth (DFS stack, BFS level, or run length)
 * @param queueSize pending work: DFS stack size or BFS queue length
 * @param elapsedMillis time since the exploration started (a search may run in several phases)
 */
public record Progress(String phase, long states, long transitions, int depth, long queueSize, long elapsedMillis) {}
