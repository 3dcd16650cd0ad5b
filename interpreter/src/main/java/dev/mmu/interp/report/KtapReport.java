package dev.mmu.interp.report;

import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.RunResult;
import dev.mmu.interp.run.ScenarioResult;

/**
 * KTAP version 1, as kselftests and KUnit print it: each file a subtest (indented four spaces,
 * with "# Subtest:"), each scenario a test line; diagnostics as "# " lines before the result.
 */
public final class KtapReport implements Reporter {
    @Override
    public String format() {
        return "ktap";
    }

    @Override
    public String fileName() {
        return "mmu-report.ktap";
    }

    @Override
    public String render(RunResult run) {
        StringBuilder b = new StringBuilder("KTAP version 1\n");
        b.append("1..").append(run.files().size()).append('\n');
        int fileNo = 0;
        for (FileResult f : run.files()) {
            String file = TapReport.clean(f.file());
            b.append("    KTAP version 1\n");
            b.append("    # Subtest: ").append(file).append('\n');
            boolean ok = true;
            if (f.broken()) {
                b.append("    1..1\n");
                diagnostics(b, f.diagnosticsText());
                b.append("    not ok 1 does not compile\n");
                ok = false;
            } else {
                b.append("    1..").append(f.scenarios().size()).append('\n');
                int n = 0;
                for (ScenarioResult r : f.scenarios()) {
                    String name = TapReport.clean(r.name());
                    n++;
                    switch (r.status()) {
                        case PASS -> b.append("    ok ").append(n).append(' ').append(name).append('\n');
                        case SKIPPED -> b.append("    ok ").append(n).append(' ').append(name)
                                .append(" # SKIP not selected by --tags\n");
                        case FAIL, UNKNOWN, ERROR -> {
                            diagnostics(b, r.location() + ": " + Failures.message(r) + "\n" + Failures.details(r));
                            b.append("    not ok ").append(n).append(' ').append(name).append('\n');
                            ok = false;
                        }
                    }
                }
            }
            b.append(ok ? "ok " : "not ok ").append(++fileNo).append(' ').append(file).append('\n');
        }
        b.append("# ").append(run.summary()).append('\n');
        // kselftest's closing line (ksft_print_cnts); a file that does not compile counts as a fail.
        b.append(String.format("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:%d%n",
                run.count(ScenarioResult.Status.PASS), run.failed(), run.count(ScenarioResult.Status.SKIPPED),
                run.count(ScenarioResult.Status.UNKNOWN)));
        return b.toString();
    }

    private static void diagnostics(StringBuilder b, String text) {
        for (String line : text.split("\n")) {
            if (!line.isBlank()) b.append("    # ").append(line).append('\n');
        }
    }
}
