package dev.mmu.interp.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A step's clauses with each run of identical consecutive clauses said once, with its count. A
 * loop that spins within one step until the silent-op cap (a cmpxchg retried with no other thread
 * left to change the SPTE) noted the same clause 21,846 times: 21,910 lines of trace for one step
 * (trial18). Every report that prints a step goes through here, so they all count alike.
 */
public final class ClauseRuns {
    private ClauseRuns() {
    }

    /** A clause and how many times in a row the step noted it (1: once). */
    public record Run(String clause, int count) {
        /** As the text and HTML reports print it: "clause (x 21,846)" for a run, the clause alone for one. */
        public String text() {
            return count == 1 ? clause : clause + String.format(" (x %,d)", count);
        }
    }

    /** The clauses, each run of equal consecutive ones as one {@link Run}. */
    public static List<Run> of(List<String> clauses) {
        List<Run> runs = new ArrayList<>();
        int i = 0;
        while (i < clauses.size()) {
            int j = i + 1;
            while (j < clauses.size() && clauses.get(j).equals(clauses.get(i))) j++;
            runs.add(new Run(clauses.get(i), j - i));
            i = j;
        }
        return runs;
    }

    /** The clauses with each run printed once with its count. */
    public static List<String> collapse(List<String> clauses) {
        return of(clauses).stream().map(Run::text).toList();
    }

    /** A step's text ("; " between clauses) with each run printed once with its count. */
    public static String collapse(String stepText) {
        return String.join("; ", collapse(List.of(stepText.split("; "))));
    }
}
