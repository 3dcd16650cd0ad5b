package dev.mmu.interp.cli;

import dev.mmu.runtime.explore.ExploreOptions;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Command-line overrides of a scenario's explore { } block. */
final class ExploreFlags {
    @Option(names = "--strategy", description = "dfs, bfs, preemption_bounded, random or pct")
    ExploreOptions.Strategy strategy;

    @Option(names = "--preemptions", description = "preemption bound (CHESS)")
    Integer preemptions;

    @Option(names = "--max-states", description = "stop with UNKNOWN after this many states")
    Long maxStates;

    @Option(names = "--time", description = "stop with UNKNOWN after this many seconds")
    Long seconds;

    @Option(names = "--seed", description = "seed for random and PCT runs")
    Long seed;

    @Option(names = "--runs", description = "number of random or PCT runs")
    Integer runs;

    @Option(names = "--no-portfolio", description = "when a budget runs out, stop instead of trying random and PCT runs")
    boolean noPortfolio;
    @Option(names = "--hash-compaction",
            description = "store 64-bit state fingerprints: less memory, probabilistic verdicts")
    boolean hashCompaction;

    @Option(names = "--debug", description = "print stack traces of internal errors")
    boolean debug;

    @Option(names = {"-q", "--quiet"}, description = "no progress line")
    boolean quiet;

    /** Set by the command: Ctrl-C stops the search through it. */
    dev.mmu.runtime.explore.CancelSignal cancel;

    /** Set by commands that explore one scenario at a time: a progress line per scenario on a terminal. */
    boolean progress;

    private ProgressDisplay current;

    /** Ends the progress line of the last scenario, before its results are printed. */
    void closeProgress() {
        if (current != null) current.close();
        current = null;
    }

    ExploreOptions apply(ExploreOptions base) {
        ExploreOptions.Builder b = base.toBuilder();
        if (strategy != null) b.strategy(strategy);
        if (preemptions != null) b.preemptionBound(preemptions);
        if (maxStates != null) b.maxStates(maxStates);
        if (seconds != null) b.timeLimit(Duration.ofSeconds(seconds));
        if (seed != null) b.seed(seed);
        if (runs != null) b.runs(runs);
        if (hashCompaction) b.hashCompaction(true);
        if (noPortfolio) b.portfolioFallback(false);
        if (cancel != null) b.cancel(cancel);
        if (progress && !quiet && System.console() != null) {
            closeProgress();
            current = new ProgressDisplay("exploring", System.err);
            b.progress(current);
        }
        return b.build();
    }
}
