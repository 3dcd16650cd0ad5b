package dev.mmu.runtime.explore;

/**
 * One step: thread {@code thread} ran, taking scheduler choice {@code choice} (0 unless the step
 * branches, e.g. need_resched yes/no), reaching {@code target}.
 */
public record Transition<S>(int thread, int choice, S target) {

    /** The (thread, choice) pair that names this step in a {@link Schedule}. */
    public Schedule.Step step() {
        return new Schedule.Step(thread, choice);
    }
}
