package dev.mmu.interp.report;

import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioResult.OutcomeResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.runtime.explore.Verdict;
import java.util.stream.Collectors;

/** How a scenario that did not pass is summed up in one line, and its full text, for every format. */
public final class Failures {
    private Failures() {}

    /** "expect never use_after_free failed", what was unknown, or the internal fault. */
    public static String message(ScenarioResult r) {
        if (r.status() == Status.ERROR) return r.errorText();
        Verdict v = r.status() == Status.FAIL ? Verdict.FAIL : Verdict.UNKNOWN;
        String which = r.outcomes().stream().filter(o -> o.verdict() == v).map(OutcomeResult::text)
                .map(t -> "expect " + t).collect(Collectors.joining(", "));
        return v == Verdict.FAIL ? which + " failed" : which + " unknown" + (r.coverage() == null ? "" : ": " + r.coverage());
    }

    /** The text report of the scenario: verdict per expectation, the trace and replay line. */
    public static String details(ScenarioResult r) {
        return TextReport.scenario(r);
    }
}
