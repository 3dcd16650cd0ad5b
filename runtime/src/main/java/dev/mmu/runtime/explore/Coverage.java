package dev.mmu.runtime.explore;

/**
 * What an incomplete search covered, so that an UNKNOWN says how far it got.
 *
 * @param states distinct states stored
 * @param depth deepest path followed
 * @param preemptionBoundCompleted the largest preemption bound fully explored, -1 if none or not
 *     a preemption-bounded search
 * @param runs random or PCT runs completed, 0 for a systematic search
 * @param reason why it stopped; null when sampling ended without a budget running out
 */
public record Coverage(long states, int depth, int preemptionBoundCompleted, long runs, StopReason reason) {

    /** One line for reports, e.g. "stopped (max-states) after 1000 states, depth 12". */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(reason == null ? "sampled" : "stopped (" + reason.label() + ")");
        b.append(" after ").append(states).append(" states, depth ").append(depth);
        if (preemptionBoundCompleted >= 0) {
            b.append(", preemption bound ").append(preemptionBoundCompleted).append(" completed");
        }
        if (runs > 0) {
            b.append(", ").append(runs).append(" runs");
        }
        return b.toString();
    }
}
