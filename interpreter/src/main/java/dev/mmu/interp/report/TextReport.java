package dev.mmu.interp.report;

import dev.mmu.interp.diag.Wrap;
import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.RunResult;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioResult.OutcomeResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.interp.run.ShardMerge;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Stats;
import dev.mmu.runtime.explore.Verdict;
import java.util.ArrayList;
import java.util.List;

/** The default report: a verdict line per expectation, the numbers explored, traces for failures. */
public final class TextReport implements Reporter {
    @Override
    public String format() {
        return "text";
    }

    @Override
    public String fileName() {
        return "mmu-report.txt";
    }

    @Override
    public String render(RunResult run) {
        StringBuilder b = new StringBuilder();
        for (FileResult f : run.files()) {
            if (f.broken()) {
                b.append(String.format("%-7s %s  (does not compile)%n", "FAIL", f.file())).append(f.diagnosticsText());
            }
            for (ScenarioResult r : f.scenarios()) b.append(scenario(r));
        }
        return b.append(run.summary()).append('\n').toString();
    }

    /** Everything about one scenario, as `mmu check` prints it (traces fitted to 100 columns). */
    public static String scenario(ScenarioResult r) {
        return scenario(r, TraceTable.DEFAULT_WIDTH);
    }

    /** The same, with traces fitted to a terminal of the given width. */
    public static String scenario(ScenarioResult r, int width) {
        StringBuilder b = new StringBuilder(header(r, r.file(), "", width));
        if (r.status() == Status.SKIPPED) return b.toString();
        b.append(details(r, width));
        if (r.status() == Status.ERROR) return b.toString();
        Stats s = r.stats();
        // The counts and the time on one line (scripts read them with sed), the rates on the next: each
        // fits 80 columns below millions of states, so that a break never depends on the timings
        // (reports must compare equal once those are blanked).
        b.append(fit(String.format("explored %,d states, %,d transitions, max depth %d in %d ms",
                s.statesStored(), s.transitions(), s.maxDepth(), s.elapsedMillis()), width));
        b.append(fit(String.format("(%,.0f states/s, %speak heap %d MiB)",
                s.statesPerSecond(), bytesPerState(s), s.peakHeapBytes() >> 20), width));
        return b.toString();
    }

    /** A line indented by two, broken at spaces to fit the width (as the traces are). */
    private static String fit(String line, int width) {
        StringBuilder b = new StringBuilder();
        for (String l : Wrap.wrap(List.of(line), width - 2)) b.append("  ").append(l).append('\n');
        return b.toString();
    }

    /**
     * Peak heap growth per stored state; below ten thousand states garbage dominates the figure, so it
     * is left out (docs/performance.md has retained sizes measured after full GCs).
     */
    private static String bytesPerState(Stats s) {
        return s.statesStored() >= 10_000 && s.approxBytesPerState() > 0
                ? String.format("~%d bytes/state, ", s.approxBytesPerState()) : "";
    }

    /** One line per scenario, as `mmu test` prints it, and the details when it did not pass. */
    public static String brief(ScenarioResult r) {
        return brief(r, TraceTable.DEFAULT_WIDTH);
    }

    /** The same, with traces fitted to a terminal of the given width. */
    public static String brief(ScenarioResult r, int width) {
        if (r.status() == Status.SKIPPED) return header(r, r.location(), "", width);
        if (r.status() == Status.ERROR) return header(r, r.location(), "", width) + details(r, width);
        String head = header(r, r.location(), "  (" + r.stats().elapsedMillis() + " ms)", width);
        return r.passed() ? head : head + details(r, width);
    }

    /** Room kept on every header line for a timing suffix, so that where a name breaks never depends on the time. */
    private static final int TIMING_ROOM = "  (99999 ms)".length();

    /**
     * The verdict, where, and the scenario's name, broken at spaces in the name to fit the width
     * (continuation lines under the location); then the suffix. The location is never broken.
     */
    private static String header(ScenarioResult r, String where, String suffix, int width) {
        int max = width - (suffix.isEmpty() ? 0 : TIMING_ROOM);
        StringBuilder b = new StringBuilder();
        StringBuilder line = new StringBuilder(String.format("%-7s %s ", word(r.status()), where));
        boolean fresh = false; // the line holds only the indent
        for (String w : ("\"" + r.name() + "\"").split(" ")) {
            if (!fresh && line.length() + 1 + w.length() > max) {
                b.append(line.toString().stripTrailing()).append('\n');
                line = new StringBuilder(" ".repeat(8));
                fresh = true;
            }
            if (!fresh) line.append(' ');
            line.append(w);
            fresh = false;
        }
        return b.append(line).append(suffix).append('\n').toString();
    }

    private static String details(ScenarioResult r, int width) {
        StringBuilder b = new StringBuilder();
        if (r.status() == Status.ERROR) {
            b.append("  ").append(r.errorText()).append('\n');
            StackTraceElement[] frames = r.error().getStackTrace();
            for (int i = 0; i < Math.min(5, frames.length); i++) b.append("    at ").append(frames[i]).append('\n');
        }
        for (OutcomeResult o : r.outcomes()) {
            String notes = withoutReduction(o.note());
            b.append(fit(String.format("%-7s expect %s%s", word(o.verdict()), o.text(),
                    notes.isEmpty() ? "" : "  (" + notes + ")"), width));
            if (o.showsTrace()) {
                b.append('\n');
                b.append("  ").append(o.traceKind()).append(", ").append(o.steps().size())
                        .append(o.steps().size() == 1 ? " step" : " steps").append(" after setup:\n");
                if (o.steps().isEmpty()) {
                    b.append("  it already happens in setup:\n");
                    r.setup().forEach(line -> b.append("    ").append(line).append('\n'));
                }
                b.append(TraceTable.render(r.threads(), o.steps(), o.cycleStart(), width, checkedInvariant(o.text())));
                b.append(replay(List.of("mmu replay " + r.file(), "--scenario \"" + r.name() + "\"",
                        "--schedule " + (o.schedule().isEmpty() ? "-" : o.schedule())), width));
                b.append('\n');
            }
        }
        if (r.coverage() != null) b.append(fit("UNKNOWN: " + r.coverage(), width));
        boolean universal = r.outcomes().stream().noneMatch(o -> ShardMerge.existential(o.text()));
        if (r.status() == Status.PASS && r.coverage() == null && universal) b.append(fit(holds(r), width));
        String reduced = reduced(r);
        if (reduced != null) b.append(fit(reduced, width));
        return b.toString();
    }

    /** An expectation's note without the partial-order reduction's clause, which is said once per scenario. */
    static String withoutReduction(String note) {
        List<String> notes = new ArrayList<>();
        for (String n : note.split("; ")) {
            if (!n.isEmpty() && !n.startsWith(ExploreResult.PARTIAL_ORDER_NOTE)) notes.add(n);
        }
        return String.join("; ", notes);
    }

    /**
     * The replay command after "replay:", on one line if it fits, else one argument a line, each
     * line but the last ending in " \\". A quoted name wider than the line is broken only at a
     * space inside its quotes, as "word \\" with the next word at column 1, which the shell joins
     * back; nothing else is broken, and a word never. A schedule stays on its option's line,
     * however long, for the terminal to wrap. Cut inside a number ("0.1.\\" / "2.1"), it
     * ran only when every line was pasted, and a developer copies the schedule alone.
     */
    static String replay(List<String> args, int width) {
        String one = "  replay: " + String.join(" ", args);
        if (one.length() <= width) return one + '\n';
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            String[] words = args.get(i).split(" ", -1);
            StringBuilder line = new StringBuilder(i == 0 ? "  replay: " : "    ").append(words[0]);
            boolean quoted = words[0].chars().filter(c -> c == '"').count() % 2 == 1;
            for (int w = 1; w < words.length; w++) {
                // a break only inside the quotes, with room for " \\" after the word
                if (quoted && line.length() + 1 + words[w].length() + 2 > width) {
                    b.append(line).append(" \\\n");
                    line = new StringBuilder();
                } else {
                    line.append(' ');
                }
                line.append(words[w]);
                if (words[w].chars().filter(c -> c == '"').count() % 2 == 1) quoted = !quoted;
            }
            b.append(line).append(i == args.size() - 1 ? "" : " \\").append('\n');
        }
        return b.toString();
    }

    /**
     * The partial-order reduction note of the expectations, said once per scenario in the words of
     * someone who reads the verdict: what was left out, and that no verdict depends on it; null if
     * the search left nothing out.
     */
    static String reduced(ScenarioResult r) {
        String note = null;
        for (OutcomeResult o : r.outcomes()) {
            for (String n : o.note().split("; ")) if (n.startsWith(ExploreResult.PARTIAL_ORDER_NOTE)) note = n;
        }
        if (note == null) return null;
        String states = note.substring(ExploreResult.PARTIAL_ORDER_NOTE.length()).replace(" states", "");
        return "(at " + states + (states.equals("1") ? " state" : " states")
                + ", steps of different threads that touch disjoint state were run in one order only: their"
                + " other orders cannot change a verdict; --no-por runs every order)";
    }

    /**
     * The invariant an expectation checks ("never X", "violation X"), marked in its trace; "" for
     * the other kinds, whose traces list broken invariants apart from the steps.
     */
    private static String checkedInvariant(String expectation) {
        String[] words = expectation.split(" ");
        boolean invariant = words.length == 2 && (words[0].equals("never") || words[0].equals("violation"));
        return invariant ? words[1] : "";
    }

    /** What a PASS covers: every interleaving, or every one within the preemption bound searched. */
    private static String holds(ScenarioResult r) {
        String bound = r.outcomes().stream().map(OutcomeResult::note)
                .filter(n -> n.startsWith("for preemption bound")).findFirst().orElse(null);
        return "=> holds for every interleaving of this bounded scenario"
                + (bound == null ? "" : " " + bound.replace("for preemption bound", "with preemption bound"));
    }

    static String word(Status s) {
        return switch (s) {
            case PASS -> "PASS";
            case FAIL -> "FAIL";
            case UNKNOWN -> "UNKNOWN";
            case SKIPPED -> "SKIP";
            case ERROR -> "ERROR";
        };
    }

    static String word(Verdict v) {
        return v.name();
    }
}
