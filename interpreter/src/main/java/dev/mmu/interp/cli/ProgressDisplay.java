package dev.mmu.interp.cli;

import dev.mmu.runtime.explore.Progress;
import dev.mmu.runtime.explore.ProgressListener;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * The live progress line on stderr while a scenario is explored, worded as TLC's: distinct states,
 * transitions, depth, pending work, states/s and elapsed time; no percentage, since the size of a
 * state space is not known in advance. It is erased when the search ends. Only on a terminal;
 * silent in CI logs and with --quiet.
 */
final class ProgressDisplay implements ProgressListener, AutoCloseable {
    private final String scenario;
    private final PrintStream err;
    private ProgressBar bar;

    ProgressDisplay(String scenario, PrintStream err) {
        this.scenario = scenario;
        this.err = err;
    }

    @Override
    public void onProgress(Progress p) {
        if (bar == null) {
            // The library keeps the line refreshed and erased; the text is ours (see line()).
            bar = new ProgressBarBuilder().setTaskName(scenario).setInitialMax(-1).clearDisplayOnFinish()
                    .setRenderer((state, width) -> fit(state.getExtraMessage(), width))
                    .setConsumer(new ConsoleProgressBarConsumer(err)).build();
        }
        bar.stepTo(p.states());
        bar.setExtraMessage(line(scenario, p));
    }

    /** "NAME: DFS 1,234 distinct states, 5,678 transitions, depth 12, stack 9, 40,000 states/s, 0:03". */
    static String line(String scenario, Progress p) {
        long rate = p.elapsedMillis() > 0 ? p.states() * 1000 / p.elapsedMillis() : 0;
        long s = p.elapsedMillis() / 1000;
        String pending = p.phase().startsWith("DFS") ? "stack" : "queue";
        return String.format(Locale.ROOT, "%s: %s %,d distinct states, %,d transitions, depth %d, %s %,d, "
                        + "%,d states/s, %d:%02d", scenario, p.phase(), p.states(), p.transitions(), p.depth(), pending,
                p.queueSize(), rate, s / 60, s % 60);
    }

    private static String fit(String text, int width) {
        if (text == null) return "";
        return width > 1 && text.length() >= width ? text.substring(0, width - 2) + "…" : text;
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
