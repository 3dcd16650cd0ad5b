package dev.mmu.runtime.explore;

/**
 * Lets another thread (the CLI's Ctrl-C hook) stop a search; the explorer then returns the partial
 * result with verdicts UNKNOWN and reason {@link StopReason#INTERRUPTED}.
 */
public final class CancelSignal {

    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
