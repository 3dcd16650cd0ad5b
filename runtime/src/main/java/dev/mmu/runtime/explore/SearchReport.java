package dev.mmu.runtime.explore;

/**
 * What one search pass did, before timing is added: the raw material of {@link Stats} and
 * {@link Coverage}.
 *
 * @param states distinct states (or search nodes) stored
 * @param transitions transitions followed
 * @param maxDepth deepest path followed
 * @param stopped why a budget stopped the pass, or null
 * @param exhaustive whether the pass covered every reachable state (stopping early because all
 *     verdicts were decided also counts: nothing left could change them)
 * @param preemptionBoundCompleted largest bound fully explored, -1 when not bounded
 * @param runs completed random or PCT runs, 0 for systematic search
 */
record SearchReport(
        long states,
        long transitions,
        int maxDepth,
        StopReason stopped,
        boolean exhaustive,
        int preemptionBoundCompleted,
        long runs) {

    Coverage coverage() {
        return new Coverage(states, maxDepth, preemptionBoundCompleted, runs, stopped);
    }
}
