package dev.mmu.interp.run;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.DiagnosticPrinter;
import dev.mmu.interp.run.ScenarioResult.OutcomeResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.interp.run.ScenarioResult.Step;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Expectation;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.explore.Schedule;
import dev.mmu.runtime.explore.Verdict;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.ScenarioError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Loads, explores and replays: the one place a scenario is run, for `mmu check`, `mmu test`, the
 * JUnit engine and every report. Each shown trace is replayed once, into text and snapshots.
 */
public final class ScenarioRunner {
    private final UnaryOperator<ExploreOptions> overrides;
    private final TagFilter tags;
    private final int width;
    /** The names of the scenarios to run (`mmu check --scenario`); empty: all of them. */
    private final Set<String> names;

    /**
     * @param overrides applied to each scenario's own explore options (command-line flags)
     * @param tags scenarios it rejects are reported SKIPPED, not run
     * @param width the terminal's, which diagnostics are fitted to
     */
    public ScenarioRunner(UnaryOperator<ExploreOptions> overrides, TagFilter tags, int width) {
        this(overrides, tags, width, Set.of());
    }

    private ScenarioRunner(UnaryOperator<ExploreOptions> overrides, TagFilter tags, int width, Set<String> names) {
        this.overrides = overrides;
        this.tags = tags;
        this.width = width;
        this.names = names;
    }

    /** The same runner for the scenarios of these names only; the others are left out of the results. */
    public ScenarioRunner only(Set<String> scenarioNames) {
        return new ScenarioRunner(overrides, tags, width, Set.copyOf(scenarioNames));
    }

    /** Diagnostics unfitted, as the JUnit engine and reports outside a terminal show them. */
    public ScenarioRunner(UnaryOperator<ExploreOptions> overrides, TagFilter tags) {
        this(overrides, tags, Integer.MAX_VALUE);
    }

    public ScenarioRunner() {
        this(UnaryOperator.identity(), TagFilter.all());
    }

    public FileResult runFile(Path file) {
        Loaded loaded = ScenarioLoader.load(file);
        if (loaded.hasErrors()) return broken(file.toString(), loaded);
        List<ScenarioResult> results = new ArrayList<>();
        for (CompiledScenario sc : loaded.scenarios()) {
            if (!names.isEmpty() && !names.contains(sc.name())) continue;
            try {
                results.add(run(sc));
            } catch (ScenarioError e) {
                // what the checker could not see (an address computed while exploring, a path's impossible step): the scenario is wrong
                List<Diagnostic> diags = new ArrayList<>(loaded.diagnostics());
                // at the statement whose op raised it (the setup's are refused when compiling)
                var at = sc.position(e.thread, e.threadPc).orElse(sc.source().scenario().pos());
                diags.add(Diagnostic.error(at, "scenario \"" + sc.name()
                        + "\" cannot run: " + e.getMessage()
                        + (e.getMessage().contains("memslot") ? " (an address computed while exploring)" : "")));
                return broken(file.toString(), new Loaded(List.of(), diags, loaded.sources()));
            }
        }
        return new FileResult(file.toString(), results, loaded.diagnostics(), render(loaded, width));
    }

    /** A file whose diagnostics stop it: no scenario runs. */
    private FileResult broken(String file, Loaded loaded) {
        return new FileResult(file, List.of(), loaded.diagnostics(), render(loaded, width));
    }

    public static String render(Loaded loaded) {
        return render(loaded, Integer.MAX_VALUE);
    }

    private static String render(Loaded loaded, int width) {
        DiagnosticPrinter printer = new DiagnosticPrinter(loaded.sources(), width);
        StringBuilder b = new StringBuilder();
        for (Diagnostic d : loaded.diagnostics()) b.append(printer.render(d));
        return b.toString();
    }

    /**
     * Runs one scenario. An internal fault (a bug of the model or the explorer) is this scenario's
     * ERROR, so the other scenarios still run and the run still ends with its summary.
     */
    public ScenarioResult run(CompiledScenario sc) {
        var pos = sc.source().scenario().pos();
        try {
            return explore(sc);
        } catch (ScenarioError e) {
            throw e; // the scenario's own fault, reported by runFile as a located error
        } catch (RuntimeException | StackOverflowError e) {
            return new ScenarioResult(pos.file(), sc.name(), pos.line(), pos.column(), sc.source().tags(), Status.ERROR,
                    List.of(), List.of(), null, null, List.of(), e);
        }
    }

    private ScenarioResult explore(CompiledScenario sc) {
        var pos = sc.source().scenario().pos();
        List<String> tagList = sc.source().tags();
        MmuSystem system = new MmuSystem(sc.program());
        List<String> threads = new ArrayList<>();
        for (int t = 0; t < system.threadCount(); t++) threads.add(system.threadName(t));
        if (!tags.accepts(tagList)) {
            return new ScenarioResult(pos.file(), sc.name(), pos.line(), pos.column(), tagList, Status.SKIPPED,
                    threads, List.of(), null, null, List.of(), null);
        }
        ExploreResult<VmState> r = Explorer.explore(system, sc.expectations(), overrides.apply(sc.options()));
        List<OutcomeResult> outcomes = new ArrayList<>();
        for (Outcome<VmState> o : r.outcomes()) {
            // lockdep, always watched: reported only when it splats
            boolean watch = o.expectation() instanceof Expectation.Never<VmState> n && n.watch();
            if (!watch || o.verdict() == Verdict.FAIL) outcomes.add(outcome(system, o));
        }
        return new ScenarioResult(pos.file(), sc.name(), pos.line(), pos.column(), tagList,
                Status.of(r.verdict()), threads, outcomes, r.stats(),
                r.coverageIfIncomplete().map(c -> c.describe()).orElse(null), system.setupTrace(), null);
    }

    /** `never deadlock` and `violation deadlock`: their traces end in a state where no thread can run. */
    private static boolean deadlock(Expectation<VmState> e) {
        return e instanceof Expectation.NoDeadlock || e instanceof Expectation.Violation<VmState> v && v.text().equals("violation deadlock");
    }

    private static OutcomeResult outcome(MmuSystem system, Outcome<VmState> o) {
        String note = o.note() == null ? "" : o.note();
        if (o.expectation() instanceof Expectation.Never<VmState> n && n.watch()) {
            String why = n.text().equals("never kernel_warning")
                    ? "a WARN splat is a bug (syzbot runs with panic_on_warn)"
                    : "lockdep is always on, as with CONFIG_PROVE_LOCKING";
            note = "not expected: " + why + (note.isEmpty() ? "" : "; " + note);
        }
        Long max = o.maximum().isPresent() ? o.maximum().getAsLong() : null;
        boolean evidence = o.expectation() instanceof Expectation.Violation
                || o.expectation() instanceof Expectation.Reachable
                || o.expectation() instanceof Expectation.Terminates<VmState> t && t.livelockExpected();
        if (!o.hasTrace() || !(o.verdict() == Verdict.FAIL || evidence)) {
            return new OutcomeResult(o.text(), o.verdict(), note, null, null, -1, max, List.of(), List.of());
        }
        Schedule schedule = o.trace();
        List<Step> steps = new ArrayList<>();
        List<StateSnapshot> snapshots = new ArrayList<>();
        VmState s = system.initial();
        snapshots.add(StateSnapshot.of(s));
        for (int i = 0; i < schedule.length(); i++) {
            Schedule.Step st = schedule.get(i);
            StringBuilder sb = new StringBuilder();
            List<Integer> opStarts = new ArrayList<>();
            s = system.step(s, st.thread(), st.choice(), sb, opStarts);
            if (i == schedule.length() - 1 && deadlock(o.expectation())) {
                // the trace ends stuck: say who waits for whom, which the table's last row alone does not
                String stuck = system.stuck(s);
                if (stuck != null) sb.append(sb.length() == 0 ? "" : "; ").append("!! deadlock: ").append(stuck);
            }
            steps.add(new Step(st.thread(), sb.toString(), List.copyOf(opStarts)));
            snapshots.add(StateSnapshot.of(s));
        }
        return new OutcomeResult(o.text(), o.verdict(), note, o.verdict() == Verdict.FAIL ? "counterexample" : "evidence",
                schedule.token(), o.cycleStart(), max, steps, snapshots);
    }
}
