package dev.mmu.interp.report;

import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.runtime.explore.Schedule;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.util.ArrayList;
import java.util.List;

/**
 * A counterexample as a step table: one column per thread, each step in the column of the thread
 * that ran it, in the kernel's words (replayed from the schedule, so it is exactly what ran).
 */
public final class TraceTable {
    private static final int WIDTH = 44;

    private TraceTable() {}

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

    public static String render(MmuSystem system, Schedule schedule, int cycleStart) {
        List<String> threads = new ArrayList<>();
        for (int t = 0; t < system.threadCount(); t++) threads.add(system.threadName(t));
        List<ScenarioResult.Step> steps = new ArrayList<>();
        for (String[] row : steps(system, schedule)) steps.add(new ScenarioResult.Step(Integer.parseInt(row[0]), row[1]));
        return render(threads, steps, cycleStart);
    }

    /** The table for steps already replayed (a {@link ScenarioResult}'s trace). */
    public static String render(List<String> threads, List<ScenarioResult.Step> rows, int cycleStart) {
        StringBuilder out = new StringBuilder();
        if (rows.isEmpty()) return "";
        StringBuilder head = new StringBuilder(String.format("  %-5s", "step"));
        for (String name : threads) head.append(pad(name));
        out.append(head.toString().stripTrailing()).append('\n');
        for (int i = 0; i < rows.size(); i++) {
            if (i == cycleStart) out.append("  -- cycle starts here: the steps below repeat forever --\n");
            int t = rows.get(i).thread();
            List<String> lines = wrap(rows.get(i).text());
            for (int k = 0; k < lines.size(); k++) {
                StringBuilder line = new StringBuilder(String.format("  %-5s", k == 0 ? Integer.toString(i + 1) : ""));
                for (int c = 0; c < t; c++) line.append(pad(""));
                line.append(lines.get(k));
                out.append(line.toString().stripTrailing()).append('\n');
            }
        }
        return out.toString();
    }

    private static String pad(String s) {
        return String.format("%-" + WIDTH + "s", s.length() >= WIDTH ? s.substring(0, WIDTH - 1) : s);
    }

    /** Splits a step's clauses ("; "-separated) into lines that fit a column. */
    static List<String> wrap(String text) {
        List<String> lines = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String clause : text.split("; ")) {
            for (String word : clause.split(" ")) {
                if (cur.length() > 0 && cur.length() + 1 + word.length() > WIDTH - 2) {
                    lines.add(cur.toString());
                    cur = new StringBuilder("  ");
                }
                if (cur.length() > 0 && !cur.toString().equals("  ")) cur.append(' ');
                cur.append(word);
            }
            lines.add(cur.toString());
            cur = new StringBuilder();
        }
        return lines;
    }
}
