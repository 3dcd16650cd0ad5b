package dev.mmu.interp.cli;

import dev.mmu.interp.report.Formats;
import dev.mmu.interp.report.ReportFiles;
import dev.mmu.interp.report.Reporter;
import dev.mmu.interp.run.RunResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * --format and --out. With --out every format is written to its file there; without it one
 * format is printed to standard output (text, by default, as the run goes).
 */
final class ReportFlags {
    @Option(names = "--format", split = ",", paramLabel = "FORMAT",
            description = "text, json, junit, tap, ktap or html; repeatable (default: text)")
    List<String> formats = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "write each report to a file in DIR")
    Path out;

    private final List<Reporter> reporters = new ArrayList<>();

    /** Checks the flags and the targets before anything runs; returns an error message or null. */
    String prepare() {
        try {
            for (String f : formats.isEmpty() ? List.of("text") : formats) {
                Reporter r = Formats.byName(f.strip());
                if (!reporters.contains(r)) reporters.add(r);
            }
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (out == null) {
            if (reporters.size() > 1) return "several formats need --out DIR";
            return null;
        }
        try {
            ReportFiles.checkWritable(out);
            for (Reporter r : reporters) ReportFiles.checkFree(out.resolve(r.fileName()));
        } catch (IOException e) {
            return e.getMessage();
        }
        return null;
    }

    /** True when the live text lines go to standard output (no other report is printed there). */
    boolean liveText() {
        return out != null || reporters.get(0).format().equals("text");
    }

    /**
     * Writes the reports; returns an error message or null. The caller keeps a failed or unknown
     * verdict's exit code when this fails (a full disk must not turn FAIL into 2) and exits 2 for
     * a pass, so that a CI job without its reports is never green.
     */
    String emit(RunResult run) {
        if (out == null) {
            if (!liveText()) System.out.print(reporters.get(0).render(run));
            return null;
        }
        try {
            for (Reporter r : reporters) ReportFiles.write(out.resolve(r.fileName()), r.render(run));
        } catch (IOException e) {
            return e.getMessage();
        }
        return null;
    }
}
