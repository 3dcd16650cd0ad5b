package dev.mmu.interp.report;

import static dev.mmu.interp.report.SvgStateDrawing.esc;

import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.RunResult;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioResult.OutcomeResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.interp.run.ScenarioResult.Step;
import java.util.List;

/**
 * One self-contained page per run (inline CSS and SVG, nothing fetched): a summary table, then for
 * each scenario that did not pass its expectations, the step table, and under every step the page
 * tables and TLBs before and after it.
 */
public final class HtmlReport implements Reporter {
    private static final String CSS = """
            body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d1d1f;background:#fff}
            h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 6px} h3{font-size:15px;margin:16px 0 6px}
            .summary{font-weight:600;margin:6px 0 16px}
            table{border-collapse:collapse;margin:6px 0} th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
            th{background:#f2f2f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
            .PASS{color:#116611;font-weight:600} .FAIL{color:#b00020;font-weight:600}
            .UNKNOWN{color:#a05a00;font-weight:600} .SKIP{color:#666}
            table.steps td{font:12px/1.35 ui-monospace,monospace;white-space:pre-wrap;max-width:420px}
            table.steps td.bad{background:#fde8ea}
            pre{font:12px/1.35 ui-monospace,monospace;background:#f7f7f9;padding:8px;overflow:auto}
            details{margin:2px 0 8px} summary{cursor:pointer;color:#334}
            .pair{display:flex;gap:18px;flex-wrap:wrap} .pair figure{margin:0} figcaption{font-size:12px;color:#555}
            svg.state{background:#fbfbfd;border:1px solid #ddd}
            svg.state text{font:11px ui-monospace,monospace;fill:#222} svg.state text.head{font-weight:700}
            svg.state text.dim{fill:#888} svg.state text.changed{fill:#c00020;font-weight:700}
            svg.state text.gone{fill:#c00020;text-decoration:line-through}
            svg.state rect.table{fill:#eef4ff;stroke:#5577aa} svg.state rect.unlinked{fill:#f3f3f3;stroke:#999;stroke-dasharray:4 3}
            svg.state rect.invalid{fill:#fff0e0;stroke:#c07000} svg.state rect.tlb{fill:#effaf0;stroke:#4a8a55}
            svg.state path.arrow{fill:none;stroke:#5577aa;stroke-width:1.3} svg.state path.arrowhead{fill:#5577aa}
            """;

    @Override
    public String format() {
        return "html";
    }

    @Override
    public String fileName() {
        return "mmu-report.html";
    }

    @Override
    public String render(RunResult run) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>mmu report: ")
                .append(esc(run.summary())).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        b.append("<h1>mmu report</h1>\n<p class=\"summary\">").append(esc(run.summary())).append(" in ")
                .append(run.elapsedMillis()).append(" ms</p>\n");
        summaryTable(b, run);
        int n = 0;
        for (FileResult f : run.files()) {
            if (f.broken()) {
                b.append("<h2 id=\"f").append(n).append("\"><span class=\"FAIL\">FAIL</span> ").append(esc(f.file()))
                        .append(": does not compile</h2>\n<pre>").append(esc(f.diagnosticsText())).append("</pre>\n");
            }
            for (ScenarioResult r : f.scenarios()) {
                n++;
                if (r.notPassed()) failure(b, r, n);
            }
        }
        b.append("</body>\n</html>\n");
        return b.toString();
    }

    private static void summaryTable(StringBuilder b, RunResult run) {
        b.append("<table class=\"results\">\n<tr><th>verdict</th><th>scenario</th><th>where</th><th>tags</th>"
                + "<th>states</th><th>ms</th></tr>\n");
        int n = 0;
        for (FileResult f : run.files()) {
            if (f.broken()) {
                b.append("<tr><td class=\"FAIL\">FAIL</td><td>(does not compile)</td><td>").append(esc(f.file()))
                        .append("</td><td></td><td></td><td></td></tr>\n");
            }
            for (ScenarioResult r : f.scenarios()) {
                n++;
                String word = TextReport.word(r.status());
                boolean linked = r.notPassed();
                b.append("<tr><td class=\"").append(word).append("\">").append(word).append("</td><td>")
                        .append(linked ? "<a href=\"#s" + n + "\">" + esc(r.name()) + "</a>" : esc(r.name()))
                        .append("</td><td>").append(esc(r.location())).append("</td><td>")
                        .append(esc(String.join(" ", r.tags().stream().map(t -> "@" + t).toList())))
                        .append("</td><td class=\"num\">").append(r.stats() == null ? "" : String.format("%,d", r.stats().statesStored()))
                        .append("</td><td class=\"num\">").append(r.stats() == null ? "" : r.stats().elapsedMillis())
                        .append("</td></tr>\n");
            }
        }
        b.append("</table>\n");
    }

    private static void failure(StringBuilder b, ScenarioResult r, int n) {
        String word = TextReport.word(r.status());
        b.append("<h2 id=\"s").append(n).append("\"><span class=\"").append(word).append("\">").append(word)
                .append("</span> ").append(esc(r.name())).append("</h2>\n<p>").append(esc(r.location())).append("</p>\n");
        b.append("<ul>\n");
        for (OutcomeResult o : r.outcomes()) {
            String notes = TextReport.withoutReduction(o.note());
            b.append("<li><span class=\"").append(o.verdict().name()).append("\">").append(o.verdict().name())
                    .append("</span> expect ").append(esc(o.text()))
                    .append(notes.isEmpty() ? "" : " <small>(" + esc(notes) + ")</small>").append("</li>\n");
        }
        b.append("</ul>\n");
        String reduced = TextReport.reduced(r); // once per scenario, as the text report says it
        if (reduced != null) b.append("<p><small>").append(esc(reduced)).append("</small></p>\n");
        if (r.coverage() != null) b.append("<p>UNKNOWN: ").append(esc(r.coverage())).append("</p>\n");
        if (r.error() != null) b.append("<p>").append(esc(r.errorText())).append("</p>\n");
        int k = 0;
        for (OutcomeResult o : r.outcomes()) {
            if (!o.showsTrace() || o.verdict() != dev.mmu.runtime.explore.Verdict.FAIL) continue;
            k++;
            b.append("<h3>").append(esc(o.traceKind())).append(" for <code>expect ").append(esc(o.text()))
                    .append("</code>, ").append(o.steps().size())
                    .append(o.steps().size() == 1 ? " step" : " steps").append(" after setup</h3>\n");
            b.append("<p>replay: <code>mmu replay ").append(esc(r.file())).append(" --scenario &quot;")
                    .append(esc(r.name())).append("&quot; --schedule ").append(esc(o.schedule().isEmpty() ? "-" : o.schedule()))
                    .append("</code></p>\n");
            steps(b, r.threads(), o, "s" + n + "o" + k);
        }
    }

    private static void steps(StringBuilder b, List<String> threads, OutcomeResult o, String id) {
        b.append("<figure><figcaption>after setup</figcaption>\n")
                .append(SvgStateDrawing.draw(o.snapshots().get(0), null, "state after setup", id + "-setup"))
                .append("</figure>\n");
        b.append("<table class=\"steps\">\n<tr><th>step</th>");
        for (String t : threads) b.append("<th>").append(esc(t)).append("</th>");
        b.append("</tr>\n");
        for (int i = 0; i < o.steps().size(); i++) {
            Step st = o.steps().get(i);
            if (i == o.cycleStart()) {
                b.append("<tr><td colspan=\"").append(threads.size() + 1)
                        .append("\"><em>cycle starts here: the steps below repeat forever</em></td></tr>\n");
            }
            b.append("<tr><td>").append(i + 1).append("</td>");
            for (int t = 0; t < threads.size(); t++) {
                boolean bad = t == st.thread() && st.text().contains("!!");
                b.append(bad ? "<td class=\"bad\">" : "<td>")
                        .append(t == st.thread() ? esc(ClauseRuns.collapse(st.text()).replace("; ", "\n")) : "").append("</td>");
            }
            // Open the drawings of the steps that change them; the others stay one click away.
            boolean changes = !o.snapshots().get(i).equals(o.snapshots().get(i + 1));
            b.append("</tr>\n<tr><td></td><td colspan=\"").append(threads.size()).append("\"><details")
                    .append(changes ? " open" : "").append("><summary>page tables and TLBs before and after step ")
                    .append(i + 1).append(changes ? "" : " (unchanged)")
                    .append("</summary>\n<div class=\"pair\">\n<figure><figcaption>before step ").append(i + 1)
                    .append(" (struck through: gone after it)</figcaption>\n")
                    .append(SvgStateDrawing.draw(o.snapshots().get(i), null, o.snapshots().get(i + 1),
                            "before step " + (i + 1), id + "-b" + i))
                    .append("</figure>\n<figure><figcaption>after step ").append(i + 1)
                    .append(" (changes in red)</figcaption>\n")
                    .append(SvgStateDrawing.draw(o.snapshots().get(i + 1), o.snapshots().get(i), "after step " + (i + 1),
                            id + "-a" + i))
                    .append("</figure>\n</div>\n</details></td></tr>\n");
        }
        b.append("</table>\n");
    }
}
