package dev.mmu.interp.cli;

import dev.mmu.runtime.explore.CancelSignal;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C during a search: the shutdown hook asks the explorer to stop, waits until the command has
 * printed the partial result (verdict UNKNOWN), then ends the JVM with the command's exit code (a
 * signal would otherwise make it 130). The command calls {@link #done} however it ends, so that a
 * crash is never held up by the hook.
 */
final class Interrupts {
    /** How long the hook waits for a command that does not finish after being cancelled. */
    private static final long PATIENCE_SECONDS = 10;

    private final CancelSignal cancel = new CancelSignal();
    private final CountDownLatch printed = new CountDownLatch(1);
    private final Thread hook = new Thread(this::onInterrupt, "mmu-interrupt");
    private volatile int exitCode = ExitCode.UNKNOWN;

    static Interrupts install() {
        Interrupts i = new Interrupts();
        Runtime.getRuntime().addShutdownHook(i.hook);
        return i;
    }

    CancelSignal signal() {
        return cancel;
    }

    /** The command has printed its results and exits with {@code code}: the hook may let the JVM go. */
    void done(int code) {
        exitCode = code;
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
            if (printed.await(PATIENCE_SECONDS, TimeUnit.SECONDS)) {
                System.out.flush();
                System.err.flush();
                Runtime.getRuntime().halt(exitCode);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
