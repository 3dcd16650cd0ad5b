package dev.mmu.interp.run;

import dev.mmu.runtime.explore.Stats;
import dev.mmu.runtime.explore.Verdict;
import java.util.List;

/**
 * One scenario (or outline row) after exploration, with everything every report needs already
 * computed: the verdict per expectation, the figures, and each shown trace replayed into text and
 * state snapshots. Reporters only format; nothing here is recomputed by them.
 *
 * @param file the file as the user named it
 * @param name the scenario name (with " [x=1]" for an outline row)
 * @param line line of the scenario keyword, 1-based
 * @param column column of the scenario keyword, 1-based
 * @param tags tags without '@'
 * @param status PASS, FAIL, UNKNOWN or SKIPPED (left out by a tag filter)
 * @param threads thread names, by index (the columns of a step table)
 * @param outcomes one per expectation, in source order; empty when skipped
 * @param stats search figures; null when skipped
 * @param coverage what an incomplete search covered ("stopped (time) after ..."); null if complete
 * @param error the internal fault (a model or explorer bug) that stopped an ERROR scenario; null otherwise
 */
public record ScenarioResult(String file, String name, int line, int column, List<String> tags, Status status,
                             List<String> threads, List<OutcomeResult> outcomes, Stats stats, String coverage,
                             List<String> setup, Throwable error) {

    public ScenarioResult {
        setup = List.copyOf(setup);
        tags = List.copyOf(tags);
        threads = List.copyOf(threads);
        outcomes = List.copyOf(outcomes);
    }

    /** What a scenario came to; ERROR: an internal fault stopped it, so it has no verdict. */
    public enum Status {
        PASS, FAIL, UNKNOWN, SKIPPED, ERROR;

        static Status of(Verdict v) {
            return switch (v) {
                case PASS -> PASS;
                case FAIL -> FAIL;
                case UNKNOWN -> UNKNOWN;
            };
        }
    }

    /**
     * One expectation's verdict.
     *
     * @param text the expectation as written ("never use_after_free")
     * @param verdict its verdict
     * @param note how the trace was found or why there is no verdict; may be empty
     * @param traceKind "counterexample", "evidence", or null when no trace is shown
     * @param schedule the replay token of the shown trace ("" for the empty schedule); null if none
     * @param cycleStart index of the step where a lasso's cycle starts, -1 otherwise
     * @param maximum largest metric value seen for a max expectation; null otherwise
     * @param steps the shown trace, replayed; empty if none
     * @param snapshots page tables and TLBs after setup and after each step (steps.size() + 1
     *     of them); empty if no trace is shown
     */
    public record OutcomeResult(String text, Verdict verdict, String note, String traceKind, String schedule,
                                int cycleStart, Long maximum, List<Step> steps, List<StateSnapshot> snapshots) {
        public OutcomeResult {
            steps = List.copyOf(steps);
            snapshots = List.copyOf(snapshots);
        }

        public boolean showsTrace() {
            return traceKind != null;
        }
    }

    /** One step of a trace: which thread ran and what it did, in the kernel's words. */
    /**
     * A step of a trace: its thread, its description ("; "-separated clauses), and the clause each op
     * merged into it after the first starts at (empty if not known).
     */
    public record Step(int thread, String text, List<Integer> opStarts) {
        public Step(int thread, String text) {
            this(thread, text, List.of());
        }
    }

    public boolean passed() {
        return status == Status.PASS;
    }

    /** FAIL, UNKNOWN or ERROR: the reports give it a section of its own. */
    public boolean notPassed() {
        return status != Status.PASS && status != Status.SKIPPED;
    }

    /** The fault as `mmu` reports it, for an ERROR scenario. */
    public String errorText() {
        return "internal error: " + error + " (please report it with the .mmu file)";
    }

    /** file:line, as editors and reports link to it. */
    public String location() {
        return file + ":" + line;
    }
}
