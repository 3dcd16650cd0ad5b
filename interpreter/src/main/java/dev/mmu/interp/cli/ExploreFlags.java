package dev.mmu.interp.cli;

import dev.mmu.interp.ast.ExploreSetting;
import dev.mmu.runtime.explore.ExploreOptions;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** Command-line overrides of a scenario's explore { } block. */
final class ExploreFlags {
    @Option(names = "--strategy", paramLabel = "NAME", converter = StrategyName.class,
            description = "dfs (a file's `exhaustive`), bfs, preemption_bounded, random or pct")
    ExploreOptions.Strategy strategy;

    /** The runtime's strategy names, and the file's `exhaustive` for dfs, in any case. */
    static final class StrategyName implements ITypeConverter<ExploreOptions.Strategy> {
        @Override
        public ExploreOptions.Strategy convert(String value) {
            String name = value.toUpperCase(Locale.ROOT);
            if (name.equals("EXHAUSTIVE")) return ExploreOptions.Strategy.DFS;
            for (ExploreOptions.Strategy s : ExploreOptions.Strategy.values()) {
                if (s.name().equals(name)) return s;
            }
            throw new TypeConversionException("expected dfs (or exhaustive), bfs, preemption_bounded, random or pct,"
                    + " found '" + value + "'");
        }
    }

    @Option(names = "--preemptions", paramLabel = "N", description = "preemption bound (CHESS)")
    Integer preemptions;

    @Option(names = "--max-states", paramLabel = "N", description = "stop with UNKNOWN after this many states")
    Long maxStates;

    @Option(names = "--time", paramLabel = "DURATION",
            description = "stop with UNKNOWN after this long, for the whole check of a scenario: 30s, 500ms, 2m "
                    + "(a bare number is seconds)")
    String time;

    @Option(names = "--seed", paramLabel = "N", description = "seed for random and PCT runs")
    Long seed;

    @Option(names = "--runs", paramLabel = "N", description = "number of random or PCT runs")
    Integer runs;

    @Option(names = "--no-portfolio", description = "when a budget runs out, stop instead of trying random and PCT runs")
    boolean noPortfolio;
    @Option(names = "--hash-compaction",
            description = "store 64-bit state fingerprints: less memory, probabilistic verdicts")
    boolean hashCompaction;

    @Option(names = "--workers", paramLabel = "N",
            description = "threads of the breadth-first searches (--strategy bfs and the shortest-trace re-search);"
                    + " any number gives the same verdicts, traces and counts (default: the processors, divided by --jobs in test)")
    Integer workers;
    @Option(names = "--no-por",
            description = "no partial-order reduction: explore every interleaving (to compare)")
    boolean noPartialOrder;

    @Option(names = "--debug", description = "print stack traces of internal errors")
    boolean debug;

    @Option(names = {"-q", "--quiet"}, description = "no progress line")
    boolean quiet;

    /** Set by the command: Ctrl-C stops the search through it. */
    dev.mmu.runtime.explore.CancelSignal cancel;

    /** Set by the command: the workers when --workers is not given. */
    int defaultWorkers = 1;

    /** Set by `mmu check --shard`: the part of each search to explore. */
    dev.mmu.runtime.explore.Shard shard;

    /** Set by commands that explore one scenario at a time: a progress line per scenario on a terminal. */
    boolean progress;

    private ProgressDisplay current;

    /** Ends the progress line of the last scenario, before its results are printed. */
    void closeProgress() {
        if (current != null) current.close();
        current = null;
    }

    /** What is wrong with the flags, or null: a bad budget is bad input, not a fault in the search. */
    String problem() {
        if (preemptions != null && preemptions < 0) {
            return "--preemptions must be 0 or more, found " + preemptions;
        }
        if (maxStates != null && maxStates < 1) {
            return "--max-states must be 1 or more, found " + maxStates;
        }
        if (workers != null && workers < 1) {
            return "--workers must be 1 or more, found " + workers;
        }
        if (runs != null && runs < 0) {
            return "--runs must be 0 or more, found " + runs;
        }
        if (time != null) {
            long millis = timeMillis();
            if (millis < 0) {
                return "--time takes a duration such as 30s, 500ms or 2m, found '" + time + "'";
            }
            if (millis == 0 || millis > ExploreOptions.MAX_TIME_LIMIT.toMillis()) {
                return "--time must be above 0 and at most " + ExploreOptions.MAX_TIME_LIMIT.toDays() + " days, found "
                        + time;
            }
        }
        return null;
    }

    private long timeMillis() {
        return ExploreSetting.Time.millis(time.matches("[0-9][0-9_]*") ? time + "s" : time);
    }

    ExploreOptions apply(ExploreOptions base) {
        ExploreOptions.Builder b = base.toBuilder();
        if (strategy != null) b.strategy(strategy);
        if (preemptions != null) b.preemptionBound(preemptions);
        if (maxStates != null) b.maxStates(maxStates);
        if (time != null) b.timeLimit(Duration.ofMillis(timeMillis()));
        if (seed != null) b.seed(seed);
        if (runs != null) b.runs(runs);
        if (hashCompaction) b.hashCompaction(true);
        b.workers(workers != null ? workers : defaultWorkers);
        if (shard != null) b.shard(shard);
        if (noPortfolio) b.portfolioFallback(false);
        if (noPartialOrder) b.partialOrder(false);
        if (cancel != null) b.cancel(cancel);
        if (progress && !quiet && System.console() != null) {
            closeProgress();
            current = new ProgressDisplay("exploring", System.err);
            b.progress(current);
        }
        return b.build();
    }
}
