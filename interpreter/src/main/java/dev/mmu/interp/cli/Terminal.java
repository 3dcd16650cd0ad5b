package dev.mmu.interp.cli;

import dev.mmu.interp.report.TraceTable;

/** How wide the text output may be: $COLUMNS, else the terminal's width, else 100. */
final class Terminal {
    private static Integer measured; // 0: neither $COLUMNS nor a terminal says

    private Terminal() {}

    static int columns() {
        return measured() > 0 ? measured() : TraceTable.DEFAULT_WIDTH;
    }

    /**
     * The width diagnostics are fitted to: only a known one, since tools that read
     * `file:line:col: error: message` from a pipe (editors, CI problem matchers) want it on one line.
     */
    static int diagnosticColumns() {
        return measured() > 0 ? measured() : Integer.MAX_VALUE;
    }

    private static synchronized int measured() {
        if (measured == null) measured = measure();
        return measured;
    }

    private static int measure() {
        try {
            int c = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "").strip());
            if (c > 0) return c;
        } catch (NumberFormatException unset) {
            // not exported by the shell: ask the terminal
        }
        if (System.console() == null) return 0;
        // jline comes with the progress bar; a dumb terminal (no tty) reports width 0.
        try (var t = org.jline.terminal.TerminalBuilder.builder().system(true).dumb(true).build()) {
            return Math.max(0, t.getWidth());
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }
}
