package dev.mmu.runtime.explore;

import java.util.OptionalLong;

/**
 * The verdict for one expectation, with its evidence.
 *
 * @param expectation the expectation judged
 * @param verdict PASS, FAIL or UNKNOWN
 * @param trace the counterexample or witness; null when there is none
 * @param note how the trace was found or why there is no verdict, e.g. "shortest (BFS)",
 *     "found at preemption bound 1", "max = 9, bound 5", "no violation in 1000 runs, seed 1"
 * @param cycleStart for a lasso (a {@link Expectation.Terminates} failure), the index in
 *     {@code trace} where the cycle starts; the state after the last step equals the state after
 *     {@code cycleStart} steps; -1 otherwise
 * @param maximum for {@link Expectation.MaxMetric}, the largest value seen
 */
public record Outcome<S>(
        Expectation<S> expectation,
        Verdict verdict,
        Schedule trace,
        String note,
        int cycleStart,
        OptionalLong maximum) {

    public String text() {
        return expectation.text();
    }

    public boolean hasTrace() {
        return trace != null;
    }

    public boolean isLasso() {
        return cycleStart >= 0;
    }
}
