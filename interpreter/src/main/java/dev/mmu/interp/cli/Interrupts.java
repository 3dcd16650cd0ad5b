package dev.mmu.interp.cli;

import dev.mmu.runtime.explore.CancelSignal;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C during a search: the shutdown hook asks the explorer to stop, then waits (a few seconds at
 * most) until the command has printed the partial result, verdict UNKNOWN.
 */
final class Interrupts {
    private final CancelSignal cancel = new CancelSignal();
    private final CountDownLatch printed = new CountDownLatch(1);
    private final Thread hook = new Thread(this::onInterrupt, "mmu-interrupt");

    static Interrupts install() {
        Interrupts i = new Interrupts();
        Runtime.getRuntime().addShutdownHook(i.hook);
        return i;
    }

    CancelSignal signal() {
        return cancel;
    }

    /** The command has printed its results: the hook may let the JVM go. */
    void done() {
        printed.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is already running; it will see the latch
        }
    }

    private void onInterrupt() {
        cancel.cancel();
        try {
            printed.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
