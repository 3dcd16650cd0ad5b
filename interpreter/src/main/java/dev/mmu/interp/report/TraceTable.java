package dev.mmu.interp.report;

import dev.mmu.interp.diag.Wrap;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.runtime.explore.Schedule;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A counterexample in the kernel's words (replayed from the schedule, so it is exactly what ran),
 * fitted to a width: one column per thread when the columns are wide enough to read, otherwise
 * one step per line with the thread named (as TLC and Lincheck print). Only the invariant the
 * failed expectation names is marked {@code !!} in the steps; other invariants that broke on the
 * way are listed once below the table.
 */
public final class TraceTable {
    /** Columns when the width is not known (a file, a pipe, CI logs). */
    public static final int DEFAULT_WIDTH = 100;
    /** Narrower thread columns than this wrap too much to read: the vertical layout is used. */
    private static final int MIN_COLUMN = 36;
    private static final String INDENT = "  ";

    private final int width;
    private final List<String> threads;
    /** Invariants broken on the way other than the one checked: name → "step N: why". */
    private final Map<String, String> others = new LinkedHashMap<>();

    private TraceTable(int width, List<String> threads) {
        this.width = Math.max(40, width);
        this.threads = threads;
    }

    /** The steps of a schedule, replayed with descriptions. */
    public static List<String[]> steps(MmuSystem system, Schedule schedule) {
        List<String[]> rows = new ArrayList<>();
        VmState s = system.initial();
        for (int i = 0; i < schedule.length(); i++) {
            Schedule.Step st = schedule.get(i);
            StringBuilder sb = new StringBuilder();
            s = system.step(s, st.thread(), st.choice(), sb);
            rows.add(new String[] {Integer.toString(st.thread()), sb.toString()});
        }
        return rows;
    }

    /** A replayed schedule (`mmu replay`): every broken invariant is marked where it breaks. */
    public static String render(MmuSystem system, Schedule schedule, int width) {
        List<String> threads = new ArrayList<>();
        for (int t = 0; t < system.threadCount(); t++) threads.add(system.threadName(t));
        List<ScenarioResult.Step> steps = new ArrayList<>();
        for (String[] row : steps(system, schedule)) steps.add(new ScenarioResult.Step(Integer.parseInt(row[0]), row[1]));
        return render(threads, steps, -1, width, null);
    }

    /**
     * The table for steps already replayed (a {@link ScenarioResult}'s trace).
     *
     * @param focus the invariant the failed expectation names, marked in the steps; null marks all
     */
    public static String render(List<String> threads, List<ScenarioResult.Step> rows, int cycleStart, int width,
                                String focus) {
        if (rows.isEmpty()) return "";
        TraceTable t = new TraceTable(width, threads);
        List<List<String>> clauses = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            List<String> step = List.of(rows.get(i).text().split("; "));
            clauses.add(t.keep(i == rows.size() - 1 ? upToViolation(step, rows.get(i).opStarts(), focus) : step, i + 1, focus));
        }
        int[] columns = t.widths(rows, clauses);
        String table = columns != null ? t.columns(rows, clauses, cycleStart, columns) : t.vertical(rows, clauses, cycleStart);
        return table + t.othersText();
    }

    /** The first clause of a guest access: "vCPU 1 read 0x2000: EPT violation". */
    private static final java.util.regex.Pattern ACCESS = java.util.regex.Pattern.compile("vCPU \\d+ (nested )?(read|write|exec) .*");

    /**
     * The last step's clauses up to the end of the op that broke the invariant the expectation
     * checks: once no other thread can run, a thread's next ops merge into its step (a vCPU's next
     * accesses, a kernel thread's next statements), and they buried the violation (13 lines below
     * a use_after_free). The rest of the breaking op stays: some violations are noted just before
     * the event that breaks them (stale_tlb_at_unlock before the write_unlock). Without the ops'
     * starts (a step built by hand) the cut is at the next guest access. One line says how much is
     * left out; `mmu replay` prints it all.
     */
    private static List<String> upToViolation(List<String> clauses, List<Integer> opStarts, String focus) {
        if (focus == null) return clauses;
        int violation = -1;
        for (int i = 0; i < clauses.size() && violation < 0; i++) {
            if (clauses.get(i).startsWith("!! " + focus + ":")) violation = i;
        }
        if (violation < 0) return clauses;
        int cut = -1;
        for (int start : opStarts) {
            if (start > violation && start < clauses.size()) {
                cut = start;
                break;
            }
        }
        for (int i = violation + 1; cut < 0 && opStarts.isEmpty() && i < clauses.size(); i++) {
            if (ACCESS.matcher(clauses.get(i)).matches()) {
                // A hardware walk's violation is noted before its access's first clause: it goes too.
                while (i - 1 > violation && clauses.get(i - 1).startsWith("!! ")) i--;
                cut = i;
            }
        }
        if (cut < 0) return clauses;
        List<String> kept = new ArrayList<>(clauses.subList(0, cut));
        int rest = clauses.size() - cut;
        boolean accesses = ACCESS.matcher(clauses.get(cut)).matches() || clauses.get(cut).startsWith("!! ")
                && cut + 1 < clauses.size() && ACCESS.matcher(clauses.get(cut + 1)).matches();
        kept.add("(then " + rest + (rest == 1 ? " more event" : " more events")
                + (accesses ? " of later accesses" : " later") + " in this step: mmu replay prints " + (rest == 1 ? "it)" : "them)"));
        return kept;
    }

    /**
     * The step's clauses; a "!! X: why" clause for an invariant other than focus is set aside. A
     * step left with no clause says what was set aside: an empty step printed no row, and the list
     * below named a step the table skipped (trial15: "lockdep at step 4" under steps 3, 5). A run
     * of the same clause is printed once with its count ({@link ClauseRuns}).
     */
    private List<String> keep(List<String> clauses, int step, String focus) {
        List<String> kept = new ArrayList<>();
        List<String> aside = new ArrayList<>();
        for (String clause : clauses) {
            if (focus != null && clause.startsWith("!! ") && !clause.startsWith("!! " + focus + ":")) {
                int colon = clause.indexOf(':');
                String name = colon > 3 ? clause.substring(3, colon) : clause.substring(3);
                others.putIfAbsent(name, "step " + step + (colon > 3 ? ":" + clause.substring(colon + 1) : ""));
                aside.add(name);
            } else {
                kept.add(clause);
            }
        }
        if (kept.isEmpty() && !aside.isEmpty()) kept.add("(" + String.join(", ", aside) + ": see below the table)");
        return collapseSpteRuns(ClauseRuns.collapse(kept));
    }

    /** "SPTE L1[7] gfn 0x207 4K pfn 0x1207 rwx -> 4K pfn 0x1207 r-x (mmu-writable)": level, index, the rest. */
    private static final java.util.regex.Pattern SPTE = java.util.regex.Pattern.compile("SPTE L(\\d)\\[(\\d+)\\] (.*)");
    /** A run of SPTE changes at least this long is cut to its first two, a count, and its last. */
    static final int SPTE_RUN = 6;

    /**
     * A walk that changes every leaf of a table in one step (the write-protect or D-bit walk over
     * a split 2M page) noted 512 "SPTE L1[i] ..." clauses, 1,000 lines of trace for one step
     * (trial9). A run of consecutive indexes at one level changed the same way (the same words
     * once the numbers are left out) keeps its first two and its last clause, with the count of
     * those left out between them.
     */
    static List<String> collapseSpteRuns(List<String> clauses) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < clauses.size()) {
            int j = i + 1;
            java.util.regex.Matcher first = SPTE.matcher(clauses.get(i));
            if (first.matches()) {
                String shape = first.group(1) + " " + first.group(3).replaceAll("0x[0-9a-f]+", "#");
                int index = Integer.parseInt(first.group(2));
                while (j < clauses.size()) {
                    java.util.regex.Matcher m = SPTE.matcher(clauses.get(j));
                    if (!m.matches() || Integer.parseInt(m.group(2)) != index + (j - i)
                            || !shape.equals(m.group(1) + " " + m.group(3).replaceAll("0x[0-9a-f]+", "#"))) break;
                    j++;
                }
            }
            if (j - i >= SPTE_RUN) {
                out.add(clauses.get(i));
                out.add(clauses.get(i + 1));
                java.util.regex.Matcher last = SPTE.matcher(clauses.get(j - 1));
                last.matches();
                int from = Integer.parseInt(first.group(2)) + 2;
                out.add("... " + (j - i - 3) + " more SPTEs, L" + first.group(1) + "[" + from + ".."
                        + (Integer.parseInt(last.group(2)) - 1) + "], changed the same way");
                out.add(clauses.get(j - 1));
            } else {
                out.addAll(clauses.subList(i, j));
            }
            i = j;
        }
        return out;
    }

    private String othersText() {
        if (others.isEmpty()) return "";
        StringBuilder b = new StringBuilder(INDENT + "also broken in this trace (not what the expectation checks):\n");
        others.forEach((name, where) -> {
            List<String> lines = Wrap.wrap(List.of(name + " at " + where), width - 6);
            for (String l : lines) b.append(INDENT).append("  ").append(l).append('\n');
        });
        return b.toString();
    }

    /**
     * Each thread's column width (its text and a gap of two; 0 for a thread that ran nothing in the
     * trace, which gets no column), or null for the vertical layout. The width is shared out max-min
     * fair by what each column needs unwrapped (its longest clause, or its name): a thread with short
     * steps (a vCPU's one access) leaves the rest to the others, and the last column gets what is
     * left. Columns are used only if each is as wide as its longest word (a kernel name is not cut)
     * and as MIN_COLUMN or its need, as the even split had it, and if they wrap the steps into not
     * much more lines than one step per line would (a 40-wide column of kernel clauses beside a
     * vCPU's one access took two or three lines a step).
     */
    private int[] widths(List<ScenarioResult.Step> rows, List<List<String>> clauses) {
        int n = threads.size();
        boolean[] ran = new boolean[n];
        for (ScenarioResult.Step r : rows) ran[r.thread()] = true;
        int open = 0;
        for (boolean r : ran) if (r) open++;
        if (open < 2) return null;
        int[] need = new int[n];
        int[] word = new int[n];
        for (int t = 0; t < n; t++) need[t] = threads.get(t).length() + 2;
        for (int i = 0; i < rows.size(); i++) {
            int t = rows.get(i).thread();
            for (String clause : clauses.get(i)) {
                need[t] = Math.max(need[t], clause.length() + 2);
                for (String w : clause.split(" ")) word[t] = Math.max(word[t], w.length() + 2 + 2); // on a continuation line
            }
        }
        int[] width = new int[n];
        int left = this.width - 7;
        boolean[] done = new boolean[n];
        for (int t = 0; t < n; t++) done[t] = !ran[t];
        while (open > 0) {
            int share = left / open;
            boolean fixed = false;
            for (int t = 0; t < n; t++) {
                if (!done[t] && need[t] <= share) {
                    width[t] = need[t];
                    left -= need[t];
                    done[t] = true;
                    open--;
                    fixed = true;
                }
            }
            if (fixed) continue;
            for (int t = 0; t < n; t++) if (!done[t]) width[t] = share;
            break;
        }
        int last = n - 1;
        while (!ran[last]) last--;
        int used = 0;
        for (int t = 0; t < last; t++) used += width[t];
        width[last] = this.width - 7 - used;
        for (int t = 0; t < n; t++) {
            if (ran[t] && (width[t] < Math.min(need[t], MIN_COLUMN) || width[t] < Math.min(need[t], word[t]))) return null;
        }
        int columnLines = 0;
        int verticalLines = 0;
        for (int i = 0; i < rows.size(); i++) {
            columnLines += Wrap.wrap(clauses.get(i), width[rows.get(i).thread()] - 2).size();
            verticalLines += Wrap.wrap(clauses.get(i), verticalText()).size();
        }
        // a line in four more buys the columns' view of who ran when; more is a trace hard to read
        return columnLines <= verticalLines + Math.max(1, verticalLines / 4) ? width : null;
    }

    /** The width of the vertical layout's text column. */
    private int verticalText() {
        return Math.max(20, width - 7 - nameWidth() - 2);
    }

    private int nameWidth() {
        int name = "thread".length();
        for (String t : threads) name = Math.max(name, t.length());
        return name;
    }

    private String columns(List<ScenarioResult.Step> rows, List<List<String>> clauses, int cycleStart, int[] column) {
        StringBuilder out = new StringBuilder();
        StringBuilder head = new StringBuilder(String.format(INDENT + "%-5s", "step"));
        for (int t = 0; t < threads.size(); t++) if (column[t] > 0) head.append(pad(threads.get(t), column[t]));
        out.append(head.toString().stripTrailing()).append('\n');
        for (int i = 0; i < rows.size(); i++) {
            if (i == cycleStart) out.append(cycleLine());
            int t = rows.get(i).thread();
            int before = 0;
            for (int u = 0; u < t; u++) before += column[u];
            List<String> lines = Wrap.wrap(clauses.get(i), column[t] - 2);
            for (int k = 0; k < lines.size(); k++) {
                StringBuilder line = new StringBuilder(String.format(INDENT + "%-5s", k == 0 ? Integer.toString(i + 1) : ""));
                line.append(" ".repeat(before)).append(lines.get(k));
                out.append(line.toString().stripTrailing()).append('\n');
            }
        }
        return out.toString();
    }

    private String vertical(List<ScenarioResult.Step> rows, List<List<String>> clauses, int cycleStart) {
        int name = nameWidth();
        String format = INDENT + "%-5s%-" + (name + 2) + "s";
        StringBuilder out = new StringBuilder(String.format(format, "step", "thread")).append("what ran\n");
        int text = verticalText();
        for (int i = 0; i < rows.size(); i++) {
            if (i == cycleStart) out.append(cycleLine());
            List<String> lines = Wrap.wrap(clauses.get(i), text);
            for (int k = 0; k < lines.size(); k++) {
                String lead = k == 0 ? String.format(format, i + 1, threads.get(rows.get(i).thread()))
                        : " ".repeat(7 + name + 2);
                out.append((lead + lines.get(k)).stripTrailing()).append('\n');
            }
        }
        return out.toString();
    }

    private static String cycleLine() {
        return INDENT + "-- cycle starts here: the steps below repeat forever --\n";
    }

    private static String pad(String s, int column) {
        return String.format("%-" + column + "s", s.length() >= column ? s.substring(0, column - 1) : s);
    }
}
