package dev.mmu.interp.report;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.explore.Stats;
import dev.mmu.runtime.explore.Verdict;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.io.PrintStream;

/** The default report: a verdict line per expectation, the numbers explored, traces for failures. */
public final class TextReport {
    private final PrintStream out;
    private final String file;

    public TextReport(PrintStream out, String file) {
        this.out = out;
        this.file = file;
    }

    public void scenario(CompiledScenario sc, MmuSystem system, ExploreResult<VmState> result) {
        Verdict v = result.verdict();
        out.printf("%-7s %s  \"%s\"%n", word(v), file, sc.name());
        for (Outcome<VmState> o : result.outcomes()) {
            out.printf("  %-7s expect %s%s%n", word(o.verdict()), o.text(),
                    o.note() == null || o.note().isEmpty() ? "" : "  (" + o.note() + ")");
            if (o.hasTrace() && (o.verdict() == Verdict.FAIL || isEvidence(o))) {
                out.println();
                out.println("  " + (o.verdict() == Verdict.FAIL ? "counterexample" : "evidence") + ", "
                        + o.trace().length() + " steps after setup:");
                if (o.trace().length() == 0) {
                    out.println("  it already happens in setup:");
                    system.setupTrace().forEach(line -> out.println("    " + line));
                }
                out.print(TraceTable.render(system, o.trace(), o.cycleStart()));
                out.println("  replay: mmu replay " + file + " --scenario \"" + sc.name() + "\" --schedule "
                        + (o.trace().length() == 0 ? "-" : o.trace().token()));
                out.println();
            }
        }
        result.coverageIfIncomplete().ifPresent(c -> out.println("  UNKNOWN: " + c.describe()));
        Stats s = result.stats();
        out.printf("  explored %,d states, %,d transitions, max depth %d in %d ms (%,.0f states/s, ~%d bytes/state, "
                        + "peak heap %d MiB)%n",
                s.statesStored(), s.transitions(), s.maxDepth(), s.elapsedMillis(), s.statesPerSecond(),
                s.approxBytesPerState(), s.peakHeapBytes() >> 20);
    }

    private static boolean isEvidence(Outcome<VmState> o) {
        return o.expectation() instanceof dev.mmu.runtime.explore.Expectation.Violation
                || o.expectation() instanceof dev.mmu.runtime.explore.Expectation.Reachable;
    }

    private static String word(Verdict v) {
        return switch (v) {
            case PASS -> "PASS";
            case FAIL -> "FAIL";
            case UNKNOWN -> "UNKNOWN";
        };
    }
}
