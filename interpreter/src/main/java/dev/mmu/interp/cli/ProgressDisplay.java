package dev.mmu.interp.cli;

import dev.mmu.runtime.explore.Progress;
import dev.mmu.runtime.explore.ProgressListener;
import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The live progress line on stderr while a scenario is explored: states, states/s, depth, queue
 * and elapsed time. Only on a terminal; silent in CI logs and with --quiet.
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
            bar = new ProgressBarBuilder().setTaskName(scenario).setStyle(ProgressBarStyle.ASCII)
                    .setInitialMax(-1).setUnit(" states", 1).showSpeed()
                    .setConsumer(new ConsoleProgressBarConsumer(err)).build();
        }
        bar.stepTo(p.states());
        bar.setExtraMessage(p.phase() + " depth " + p.depth() + " queue " + p.queueSize());
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
