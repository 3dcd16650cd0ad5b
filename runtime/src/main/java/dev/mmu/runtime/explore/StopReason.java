package dev.mmu.runtime.explore;

/** Why a search stopped before it covered the whole state space. */
public enum StopReason {
    MAX_STATES("max-states"),
    TIME("time"),
    MEMORY("memory"),
    INTERRUPTED("interrupted");

    private final String label;

    StopReason(String label) {
        this.label = label;
    }

    /** The word used in reports, e.g. "max-states". */
    public String label() {
        return label;
    }
}
