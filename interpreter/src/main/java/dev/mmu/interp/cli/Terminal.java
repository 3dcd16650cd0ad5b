package dev.mmu.interp.cli;

import dev.mmu.interp.report.TraceTable;

/** How wide the text output may be: $COLUMNS, else the terminal's width, else 100. */
final class Terminal {
    private static Integer columns;

    private Terminal() {}

    static synchronized int columns() {
        if (columns == null) columns = measure();
        return columns;
    }

    private static int measure() {
        try {
            int c = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "").strip());
            if (c > 0) return c;
        } catch (NumberFormatException unset) {
            // not exported by the shell: ask the terminal
        }
        if (System.console() == null) return TraceTable.DEFAULT_WIDTH;
        // jline comes with the progress bar; a dumb terminal (no tty) reports width 0.
        try (var t = org.jline.terminal.TerminalBuilder.builder().system(true).dumb(true).build()) {
            return t.getWidth() > 0 ? t.getWidth() : TraceTable.DEFAULT_WIDTH;
        } catch (java.io.IOException | RuntimeException e) {
            return TraceTable.DEFAULT_WIDTH;
        }
    }
}
