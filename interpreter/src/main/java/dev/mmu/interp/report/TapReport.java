package dev.mmu.interp.report;

import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.RunResult;
import dev.mmu.interp.run.ScenarioResult;
import java.util.Locale;

/**
 * TAP 13: one test point per scenario (and per file that does not compile), a YAML block with the
 * failing expectations and the trace under each "not ok".
 */
public final class TapReport implements Reporter {
    @Override
    public String format() {
        return "tap";
    }

    @Override
    public String fileName() {
        return "mmu-report.tap";
    }

    @Override
    public String render(RunResult run) {
        StringBuilder b = new StringBuilder("TAP version 13\n");
        long total = run.scenarios().count() + run.broken();
        b.append("1..").append(total).append('\n');
        int n = 0;
        for (FileResult f : run.files()) {
            if (f.broken()) {
                b.append("not ok ").append(++n).append(" - ").append(clean(f.file())).append(" does not compile\n");
                yaml(b, "does not compile", "error", f.diagnosticsText());
            }
            for (ScenarioResult r : f.scenarios()) {
                String name = clean(r.location() + " " + r.name());
                switch (r.status()) {
                    case PASS -> b.append("ok ").append(++n).append(" - ").append(name).append('\n');
                    case SKIPPED -> b.append("ok ").append(++n).append(" - ").append(name)
                            .append(" # SKIP not selected by --tags\n");
                    case FAIL, UNKNOWN, ERROR -> {
                        b.append("not ok ").append(++n).append(" - ").append(name).append('\n');
                        yaml(b, Failures.message(r), r.status().name().toLowerCase(Locale.ROOT), Failures.details(r));
                    }
                }
            }
        }
        return b.toString();
    }

    private static void yaml(StringBuilder b, String message, String severity, String data) {
        b.append("  ---\n");
        b.append("  message: \"").append(message.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        b.append("  severity: ").append(severity).append('\n');
        b.append("  data: |\n");
        for (String line : data.split("\n", -1)) {
            if (!line.isEmpty()) b.append("    ").append(line).append('\n');
        }
        b.append("  ...\n");
    }

    /** '#' starts a directive in TAP, so it may not appear in a description. */
    static String clean(String s) {
        return s.replace('#', '_').replace('\n', ' ');
    }
}
