package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * The entry point: explores a {@link TransitionSystem} and judges a list of {@link Expectation}s.
 *
 * <p>Verdict rules. A state expectation ({@code Never}, {@code Final}, {@code NoDeadlock}) FAILs
 * on the first finding and PASSes only when the search covered every reachable state.
 * {@code Terminates} FAILs on a weakly fair cycle and PASSes when the {@link FairCycleSearch} of
 * the whole reachable graph found none; DFS, BFS and preemption bounding all run that search
 * (unbounded), random and PCT runs only report fair cycles of their own runs. {@code Reachable}
 * and {@code Violation} PASS on the first finding and FAIL
 * only after a complete search. {@code MaxMetric} FAILs once the bound is exceeded and PASSes
 * after a complete search. Anything else is UNKNOWN, with the {@link Coverage}. A preemption
 * bounded search that completes bound K judges "for preemption bound <= K".
 *
 * <p>Same system and options give the same verdicts, traces and counts: every search follows
 * the successor order, and random runs draw from one {@code Random(seed)}.
 */
public final class Explorer {

    private Explorer() {
    }

    public static <S> ExploreResult<S> explore(
            TransitionSystem<S> system, List<Expectation<S>> expectations, ExploreOptions options) {
        if (options.shard() != null) {
            return ShardedSystem.explore(system, expectations, options);
        }
        long startNanos = System.nanoTime();
        if (symmetric(system, expectations, options)) {
            system = new CanonicalKeys<>(system);
        }
        boolean compact = options.hashCompaction() && options.strategy() != ExploreOptions.Strategy.RANDOM
                && options.strategy() != ExploreOptions.Strategy.PCT;
        if (compact) {
            system = new Fingerprints<>(system);
        }
        switch (options.strategy()) {
            case DFS:
            case BFS:
                return compactNote(compact ? Fingerprints.NOTE : null,
                        withPortfolio(system, systematic(system, expectations, options, startNanos), options, startNanos));
            case PREEMPTION_BOUNDED:
                return compactNote(compact ? Fingerprints.NOTE : null,
                        withPortfolio(system, bounded(system, expectations, options, startNanos), options, startNanos));
            case RANDOM:
            case PCT:
            default:
                return sampled(system, expectations, options, startNanos);
        }
    }

    /**
     * Symmetry reduction is applied by DFS and BFS, and by preemption bounding where the system
     * maps the thread that ran last ({@link TransitionSystem#canonicalThreads}): a node also holds
     * that thread. {@code Terminates}'s fair-cycle search applies it where the system maps threads:
     * it expands one state per orbit and judges fairness on the lifted graph ({@link FairCycleSearch}).
     */
    static <S> boolean symmetric(TransitionSystem<S> system, List<Expectation<S>> expectations,
            ExploreOptions options) {
        boolean mapsLastThread = options.strategy() != ExploreOptions.Strategy.PREEMPTION_BOUNDED
                || system.canonicalThreads(system.initial()) != null;
        return options.symmetry() && mapsLastThread && symmetryOff(expectations, options) == null;
    }

    /** Why symmetry, asked for, is not applied with these expectations and options; null if it is. */
    public static <S> String symmetryOff(List<Expectation<S>> expectations, ExploreOptions options) {
        return switch (options.strategy()) {
            case DFS, BFS, PREEMPTION_BOUNDED -> null;
            case RANDOM, PCT -> "random and PCT runs keep no visited set to reduce";
        };
    }

    /**
     * Under hash compaction (note: which, null if none), says so on every verdict that rests on
     * having seen every state (a PASS or FAIL without a trace, a max within its bound); a trace is
     * a real finding either way.
     */
    private static <S> ExploreResult<S> compactNote(String note, ExploreResult<S> r) {
        if (note == null) {
            return r;
        }
        List<Outcome<S>> outcomes = new ArrayList<>();
        for (Outcome<S> o : r.outcomes()) {
            boolean needsEveryState = o.verdict() != Verdict.UNKNOWN && (!o.hasTrace()
                    || (o.expectation() instanceof Expectation.MaxMetric && o.verdict() == Verdict.PASS));
            outcomes.add(!needsEveryState ? o
                    : withNote(o, o.note().isEmpty() ? note : o.note() + "; " + note));
        }
        return new ExploreResult<>(outcomes, r.stats(), r.coverage());
    }

    /** The system with its visited-set keys taken on canonical states. */
    private static final class CanonicalKeys<S> extends ForwardingSystem<S> {
        CanonicalKeys(TransitionSystem<S> inner) {
            super(inner);
        }

        @Override
        public Object key(S s) {
            return inner.key(inner.canonical(s));
        }
    }

    /**
     * Runs {@code schedule} from the initial state.
     *
     * @return the states visited, the initial state first
     * @throws IllegalArgumentException naming the first step that is not enabled
     */
    public static <S> List<S> replay(TransitionSystem<S> system, Schedule schedule) {
        List<S> states = new ArrayList<>(schedule.length() + 1);
        S s = system.initial();
        states.add(s);
        List<Transition<S>> enabled = new ArrayList<>();
        for (int i = 0; i < schedule.length(); i++) {
            Schedule.Step step = schedule.get(i);
            Transition<S> taken = taken(system, s, step, enabled);
            if (taken == null) {
                String choices = enabled.stream().map(t -> t.step().token()).collect(Collectors.joining(", "));
                throw new IllegalArgumentException("step " + (i + 1) + " (" + step.token() + ") of schedule '"
                        + schedule.token() + "' is not enabled; enabled: "
                        + (choices.isEmpty() ? "none (terminal state)" : choices));
            }
            s = taken.target();
            states.add(s);
        }
        return states;
    }

    /** The transition of s that step names, or null; {@code enabled} is left holding s's transitions. */
    static <S> Transition<S> taken(TransitionSystem<S> system, S s, Schedule.Step step, List<Transition<S>> enabled) {
        enabled.clear();
        system.successors(s, enabled);
        for (Transition<S> t : enabled) {
            if (t.thread() == step.thread() && t.choice() == step.choice()) {
                return t;
            }
        }
        return null;
    }

    /** DFS (with a BFS probe first, then BFS for shortest traces) or BFS; then the fair-cycle search for Terminates. */
    private static <S> ExploreResult<S> systematic(
            TransitionSystem<S> system, List<Expectation<S>> expectations, ExploreOptions options, long startNanos) {
        boolean bfs = options.strategy() == ExploreOptions.Strategy.BFS;
        Monitor<S> monitor = new Monitor<>(system, expectations);
        monitor.checking(true, false);
        Pass pass = bfs ? pass(system, monitor, options, Long.MAX_VALUE, "BFS", startNanos)
                : depthFirst(system, monitor, options, startNanos);
        SearchReport main = pass.report();
        Measured measured = Measured.after(main, pass.budget());
        Passes passes = fairCycles(system, monitor, options, main, measured, startNanos);
        monitor.checking(true, true);
        if (options.shortestCounterexample() && anyFailure(monitor, scope(main), passes.cycles())) {
            shorten(system, monitor, options, !bfs, startNanos);
        }
        reduceShortest(system, monitor);
        List<Outcome<S>> outcomes = outcomes(monitor, scope(main), passes.cycles());
        if (pass.partialOrder() != null && pass.partialOrder().reducedStates() > 0) {
            outcomes = partialOrderNote(outcomes, pass.partialOrder().note());
        }
        String compaction = pass.budget().compaction();
        String fellBack = compaction == null ? null : compaction + ": " + Fingerprints.PROBABILISTIC;
        return compactNote(fellBack, new ExploreResult<>(outcomes, passes.stats(startNanos), passes.coverage(main)));
    }

    /** States the first BFS probe stores at most: it is kept only if it decides every expectation and one fails. */
    static final long QUICK_PROBE = 5_000;
    /** States the default DFS stores before it gives way to the BFS probe: a space this small is searched once, by DFS. */
    static final long DFS_FIRST = 20_000;
    /** States the BFS probe stores at most before the DFS searches the whole space. */
    static final long BFS_PROBE = 500_000;
    private static final String SHORTEST = "shortest (BFS)";

    /** One search pass and the budget it ran under (its figures and compaction). */
    private record Pass(SearchReport report, Budget budget, PartialOrder<?> partialOrder) {}

    /**
     * The default search. A quick BFS probe of up to {@link #QUICK_PROBE} states, kept only if it
     * decides every expectation and one of them fails (a shallow bug: its traces are those the
     * re-search would give the DFS's findings) or the user's time or Ctrl-C stopped it; otherwise
     * forgotten (a pass by evidence keeps the DFS's trace). It runs only where the BFS probe below
     * would find the same bug: with shortest traces asked for and a state budget above
     * {@link #DFS_FIRST}. Then a DFS of up to {@link #DFS_FIRST} states; if the space is larger, a
     * BFS probe of up to {@link #BFS_PROBE} states, which finds a shallow bug fast and with a
     * shortest trace (DFS can wander millions of states deep before it); if the probe neither
     * covers the space nor decides every expectation, the whole DFS, whose findings are then
     * shortened by the BFS re-search. Every pass is deterministic and every finding real, and only
     * a pass that covers the space (or decides everything) gives the verdicts, so they are those
     * of the DFS. Without a state expectation (statistics, or only {@code expect terminates}) just
     * the DFS.
     */
    private static <S> Pass depthFirst(TransitionSystem<S> system, Monitor<S> monitor, ExploreOptions options,
            long startNanos) {
        boolean stateExpectations = monitor.expectations().stream().anyMatch(e -> !(e instanceof Expectation.Terminates));
        if (stateExpectations && options.shortestCounterexample() && options.maxStates() > DFS_FIRST) {
            // Its own monitor: a probe that decides nothing leaves no finding to change the DFS's early stop.
            Monitor<S> quick = new Monitor<>(system, monitor.expectations());
            quick.checking(true, false);
            Pass shallow = pass(system, quick, options, QUICK_PROBE, "BFS probe", startNanos);
            StopReason stopped = shallow.report().stopped();
            boolean failed = quick.allDecided() && anyFailure(quick, scope(shallow.report()), null);
            if (failed || (stopped != null && stopped != StopReason.MAX_STATES)) {
                monitor.adopt(quick);
                return shallow;
            }
        }
        if (stateExpectations) {
            Pass first = pass(system, monitor, options, DFS_FIRST, "DFS", startNanos);
            if (!stoppedAtCap(first, options, DFS_FIRST)) {
                return first;
            }
            Pass probe = pass(system, monitor, options, BFS_PROBE, "BFS probe", startNanos);
            if (!stoppedAtCap(probe, options, BFS_PROBE)) {
                return probe;
            }
        }
        return pass(system, monitor, options, Long.MAX_VALUE, "DFS", startNanos);
    }

    /** A DFS or BFS (by phase) that stores at most {@code cap} states, within the user's budget. */
    private static <S> Pass pass(TransitionSystem<S> system, Monitor<S> monitor, ExploreOptions options, long cap,
            String phase, long startNanos) {
        ExploreOptions capped = cap < options.maxStates() ? options.toBuilder().maxStates(cap).build() : options;
        Budget budget = new Budget(capped, phase, startNanos);
        boolean bfs = phase.startsWith("BFS");
        monitor.context(bfs ? SHORTEST : "found by DFS");
        if (bfs) {
            return new Pass(breadthFirst(system, monitor, budget, capped), budget, null);
        }
        if (!partialOrder(system, monitor.expectations(), options)) {
            return new Pass(DepthFirstSearch.run(system, monitor, budget), budget, null);
        }
        PartialOrder<S> partialOrder = new PartialOrder<>(system, system.dependencies(),
                symmetric(system, monitor.expectations(), options));
        return new Pass(DepthFirstSearch.run(system, monitor, budget, partialOrder), budget, partialOrder);
    }

    /** Whether the pass stopped at its own cap, not at the user's budget: the next pass goes on. */
    private static boolean stoppedAtCap(Pass p, ExploreOptions options, long cap) {
        return p.report().stopped() == StopReason.MAX_STATES && cap < options.maxStates();
    }

    /**
     * BFS on {@code options.workers()} threads: the same figures and traces at any number. The
     * quick probe runs on one: it is over before a second thread pays for itself in a cold JVM.
     */
    private static <S> SearchReport breadthFirst(
            TransitionSystem<S> system, Monitor<S> monitor, Budget budget, ExploreOptions options) {
        return options.workers() == 1 || options.maxStates() <= QUICK_PROBE
                ? BreadthFirstSearch.run(system, monitor, budget)
                : ParallelBreadthFirstSearch.run(system, monitor, budget, options.workers());
    }

    /**
     * Partial-order reduction is applied by DFS only; with symmetry only where the system renumbers
     * threads into the canonical state ({@link TransitionSystem#canonicalThreads}): a sleep set
     * names threads, which the canonical form permutes (see {@link PartialOrder}).
     */
    static <S> boolean partialOrder(TransitionSystem<S> system, List<Expectation<S>> expectations,
            ExploreOptions options) {
        return options.partialOrder() && options.strategy() == ExploreOptions.Strategy.DFS
                && system.dependencies() != null && (!symmetric(system, expectations, options)
                        || system.canonicalThreads(system.initial()) != null);
    }

    /**
     * Where the reduction left steps out, the note says so ({@code terminates} is judged on the
     * whole graph by the fair-cycle search).
     */
    private static <S> List<Outcome<S>> partialOrderNote(List<Outcome<S>> outcomes, String note) {
        List<Outcome<S>> noted = new ArrayList<>();
        for (Outcome<S> o : outcomes) {
            noted.add(o.expectation() instanceof Expectation.Terminates ? o
                    : withNote(o, o.note().isEmpty() ? note : o.note() + "; " + note));
        }
        return noted;
    }

    /**
     * When a Terminates expectation is present, runs {@link FairCycleSearch} after the main pass
     * (which checked states only); its figures replace the main pass's when it stored more states
     * (the main pass stops early once every state expectation is decided).
     */
    private static <S> Passes fairCycles(TransitionSystem<S> system, Monitor<S> monitor, ExploreOptions options,
            SearchReport main, Measured measured, long startNanos) {
        if (monitor.expectations().stream().noneMatch(e -> e instanceof Expectation.Terminates)) {
            return new Passes(main, measured, null, null);
        }
        monitor.checking(false, true);
        monitor.context("");
        Budget budget = new Budget(options, "fair cycles", startNanos);
        // Under symmetry it expands one state per orbit and judges fairness on the lifted graph.
        boolean symmetric = symmetric(system, monitor.expectations(), options)
                && system.canonicalThreads(system.initial()) != null;
        SearchReport cycles = FairCycleSearch.run(system, monitor, budget, symmetric);
        Measured cyclesMeasured = Measured.after(cycles, budget);
        Monitor.Scope scope = cycles.exhaustive() ? Monitor.Scope.complete()
                : Monitor.Scope.partial("fair-cycle search " + cycles.coverage().describe());
        return cycles.states() > main.states()
                ? new Passes(cycles, cyclesMeasured, cycles, scope)
                : new Passes(main, measured, cycles, scope);
    }

    /** The pass whose figures are reported, and the fair-cycle pass (null if none ran) with its scope. */
    private record Passes(SearchReport figures, Measured measured, SearchReport cyclePass, Monitor.Scope cycles) {

        Stats stats(long startNanos) {
            return measured.stats(figures, startNanos);
        }

        Coverage coverage(SearchReport main) {
            return main.stopped() != null || !main.exhaustive() ? main.coverage()
                    : cyclePass != null && !cyclePass.exhaustive() ? cyclePass.coverage() : null;
        }
    }

    /** CHESS iterative deepening on the preemption bound; no re-search: its trace is the readable one. */
    private static <S> ExploreResult<S> bounded(
            TransitionSystem<S> system, List<Expectation<S>> expectations, ExploreOptions options, long startNanos) {
        Monitor<S> monitor = new Monitor<>(system, expectations);
        Budget budget = new Budget(options, "preemption bounded", startNanos);
        int k = options.preemptionBound();
        monitor.checking(true, false);
        SearchReport report = PreemptionBoundedSearch.run(system, monitor, budget, k,
                symmetric(system, expectations, options));
        Measured measured = Measured.after(report, budget);
        // Fair cycles are searched in the whole graph, not within the bound.
        Passes passes = fairCycles(system, monitor, options, report, measured, startNanos);
        monitor.checking(true, true);
        Monitor.Scope scope = report.stopped() != null ? Monitor.Scope.partial(report.coverage().describe())
                : report.exhaustive() ? Monitor.Scope.complete()
                : new Monitor.Scope(true, "for preemption bound <= " + k);
        Coverage coverage = report.stopped() != null ? report.coverage()
                : passes.cyclePass() != null && !passes.cyclePass().exhaustive() ? passes.cyclePass().coverage()
                : null;
        return new ExploreResult<>(outcomes(monitor, scope, passes.cycles()), passes.stats(startNanos), coverage);
    }

    /** Random or PCT runs: findings are real, absence is only UNKNOWN unless the runs covered everything. */
    private static <S> ExploreResult<S> sampled(
            TransitionSystem<S> system, List<Expectation<S>> expectations, ExploreOptions options, long startNanos) {
        Monitor<S> monitor = new Monitor<>(system, expectations);
        boolean pct = options.strategy() == ExploreOptions.Strategy.PCT;
        Budget budget = new Budget(options, pct ? "PCT" : "random", startNanos);
        Random random = new Random(options.seed());
        RunScheduler<S> scheduler = pct ? new PctScheduler<>(random, system.threadCount(), options.pctDepth())
                : new UniformScheduler<>(random);
        RandomSearch<S> search = RandomSearch.create(system, monitor, budget, options.maxStates());
        SearchReport report = search.run(scheduler, options.runs(), options.maxRunSteps(), options.seed());
        Measured measured = Measured.after(report, budget);
        if (report.stopped() == null && search.closed()) {
            ExploreOptions dfs = options.toBuilder().strategy(ExploreOptions.Strategy.DFS).build();
            ExploreResult<S> exact = systematic(system, expectations, dfs, startNanos);
            List<Outcome<S>> outcomes = new ArrayList<>();
            for (Outcome<S> o : exact.outcomes()) {
                outcomes.add(withNote(o, "state space exhausted by " + report.runs() + " " + scheduler.name()
                        + " runs (" + report.states() + " states), verdict by DFS; " + o.note()));
            }
            return new ExploreResult<>(outcomes, exact.stats(), null);
        }
        String why = "no violation in " + report.runs() + " " + scheduler.name() + " runs, seed " + options.seed()
                + (report.stopped() == null ? "" : "; " + report.coverage().describe());
        return new ExploreResult<>(outcomes(monitor, Monitor.Scope.partial(why), null),
                measured.stats(report, startNanos), report.coverage());
    }

    /**
     * When a systematic search ran out of budget (not when the user cancelled), tries random runs
     * and PCT at depths 1..3 for the expectations still UNKNOWN, if the options ask for it.
     */
    private static <S> ExploreResult<S> withPortfolio(
            TransitionSystem<S> system, ExploreResult<S> result, ExploreOptions options, long startNanos) {
        boolean unknown = result.outcomes().stream().anyMatch(o -> o.verdict() == Verdict.UNKNOWN);
        Budget budget = new Budget(options, "portfolio", startNanos);
        if (!options.portfolioFallback() || !unknown || options.cancel().isCancelled() || budget.timeIsUp()) {
            return result;
        }
        List<Expectation<S>> expectations = result.outcomes().stream().map(Outcome::expectation).toList();
        Monitor<S> monitor = new Monitor<>(system, expectations);
        Random random = new Random(options.seed());
        RandomSearch<S> search = RandomSearch.create(system, monitor, budget, options.maxStates());
        List<RunScheduler<S>> schedulers = List.of(new UniformScheduler<>(random),
                new PctScheduler<>(random, system.threadCount(), 1),
                new PctScheduler<>(random, system.threadCount(), 2),
                new PctScheduler<>(random, system.threadCount(), 3));
        long runs = 0;
        for (RunScheduler<S> scheduler : schedulers) {
            runs += search.run(scheduler, options.runs(), options.maxRunSteps(), options.seed()).runs();
            if (budget.stopped() != null || monitor.allDecided()) {
                break;
            }
        }
        Monitor.Scope scope = Monitor.Scope.partial("");
        String none = "portfolio: no violation in " + runs + " random and PCT (depth 1-3) runs, seed " + options.seed();
        List<Outcome<S>> outcomes = new ArrayList<>();
        for (int i = 0; i < expectations.size(); i++) {
            Outcome<S> before = result.outcomes().get(i);
            Outcome<S> sampled = monitor.outcome(i, scope);
            if (before.verdict() != Verdict.UNKNOWN) {
                outcomes.add(before);
            } else if (sampled.verdict() != Verdict.UNKNOWN) {
                outcomes.add(withNote(sampled, "portfolio after " + before.note() + ": " + sampled.note()));
            } else {
                outcomes.add(withNote(before, before.note() + "; " + none));
            }
        }
        return new ExploreResult<>(outcomes, result.stats(), result.coverage());
    }

    /**
     * Replaces the DFS traces with shortest ones: one BFS looks for every finding at once. Lassos
     * are left alone: {@link FairCycleSearch} already gives them the shortest stem.
     */
    private static <S> void shorten(TransitionSystem<S> system, Monitor<S> monitor, ExploreOptions options,
            boolean stateFindings, long startNanos) {
        List<Expectation<S>> expectations = monitor.expectations();
        List<Expectation<S>> goals = new ArrayList<>();
        List<Integer> goalOf = new ArrayList<>();
        for (int i = 0; i < expectations.size(); i++) {
            Monitor.Finding<S> f = monitor.finding(i);
            Expectation<S> e = expectations.get(i);
            if (f.trace != null && stateFindings && !(e instanceof Expectation.Terminates) && !SHORTEST.equals(f.note)) {
                goals.add(new Expectation.Violation<>(e.text(), goal(system, e, f)));
                goalOf.add(i);
            }
        }
        if (goals.isEmpty()) {
            return;
        }
        Monitor<S> search = new Monitor<>(system, goals);
        SearchReport report = breadthFirst(system, search, new Budget(options, "BFS re-search", startNanos), options);
        for (int j = 0; j < goals.size(); j++) {
            Monitor.Finding<S> shortest = search.finding(j);
            Monitor.Finding<S> f = monitor.finding(goalOf.get(j));
            if (!shortest.found) {
                String why = report.stopped() == null ? "not found" : "stopped: " + report.stopped().label();
                f.note = f.note + " (BFS re-search " + why + "; may not be shortest)";
            } else {
                f.trace = shortest.trace;
                f.note = SHORTEST;
            }
        }
    }

    /** Leaves out of every shortest trace the kernel steps the violation does not need ({@link TraceReduction}). */
    private static <S> void reduceShortest(TransitionSystem<S> system, Monitor<S> monitor) {
        for (int i = 0; i < monitor.expectations().size(); i++) {
            Monitor.Finding<S> f = monitor.finding(i);
            Expectation<S> e = monitor.expectations().get(i);
            if (f.trace != null && f.trace.length() > 0 && f.cycleStart < 0 && SHORTEST.equals(f.note)
                    && !(e instanceof Expectation.Terminates)) {
                TraceReduction.Replayed<S> r = TraceReduction.reduce(system, f.trace, goal(system, e, f));
                if (r != null) {
                    f.trace = r.schedule();
                    f.state = r.state();
                }
            }
        }
    }

    /** The condition whose first BFS hit gives the shortest trace for finding {@code f}. */
    private static <S> StatePredicate<S> goal(TransitionSystem<S> system, Expectation<S> e, Monitor.Finding<S> f) {
        if (e instanceof Expectation.Never<S> n) {
            return n.bad();
        } else if (e instanceof Expectation.Violation<S> v) {
            return v.bad();
        } else if (e instanceof Expectation.Final<S> fin) {
            return (s, terminal) -> terminal && !fin.ok().test(s);
        } else if (e instanceof Expectation.Reachable<S> r) {
            return (s, terminal) -> r.goal().test(s);
        } else if (e instanceof Expectation.NoDeadlock) {
            return (s, terminal) -> terminal && !system.finished(s);
        } else if (e instanceof Expectation.MaxMetric<S> m) {
            long max = f.max;
            return (s, terminal) -> m.metric().applyAsLong(s) == max;
        }
        throw new IllegalArgumentException("no shortest-trace goal for " + e.text());
    }

    private static <S> boolean anyFailure(Monitor<S> monitor, Monitor.Scope main, Monitor.Scope cycles) {
        for (Outcome<S> o : outcomes(monitor, main, cycles)) {
            if (o.verdict() == Verdict.FAIL && o.hasTrace()) {
                return true;
            }
        }
        return false;
    }

    private static <S> List<Outcome<S>> outcomes(Monitor<S> monitor, Monitor.Scope main, Monitor.Scope cycles) {
        List<Outcome<S>> outcomes = new ArrayList<>();
        for (int i = 0; i < monitor.expectations().size(); i++) {
            boolean isCycle = monitor.expectations().get(i) instanceof Expectation.Terminates;
            outcomes.add(monitor.outcome(i, isCycle && cycles != null ? cycles : main));
        }
        return outcomes;
    }

    private static Monitor.Scope scope(SearchReport report) {
        if (report == null) {
            return null;
        }
        return report.exhaustive() ? Monitor.Scope.complete() : Monitor.Scope.partial(report.coverage().describe());
    }

    private static <S> Outcome<S> withNote(Outcome<S> o, String note) {
        return new Outcome<>(o.expectation(), o.verdict(), o.trace(), note, o.cycleStart(), o.maximum());
    }

    /** Memory figures taken right after the main search, before any re-search allocates. */
    private record Measured(long bytesPerState, long peakHeap, long searchNanos) {

        static Measured after(SearchReport report, Budget budget) {
            return new Measured(budget.approxBytesPerState(report.states()), budget.peakHeap(),
                    budget.elapsedNanos());
        }

        Stats stats(SearchReport report, long startNanos) {
            double seconds = Math.max(searchNanos, 1) / 1e9;
            return new Stats(report.states(), report.transitions(), report.maxDepth(),
                    (System.nanoTime() - startNanos) / 1_000_000, report.states() / seconds, bytesPerState, peakHeap);
        }
    }
}
