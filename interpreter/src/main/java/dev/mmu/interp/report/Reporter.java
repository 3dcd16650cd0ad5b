package dev.mmu.interp.report;

import dev.mmu.interp.run.RunResult;

/** One report format (jcstress style: a printer class per format). Reporters format, never run. */
public interface Reporter {
    /** The --format name. */
    String format();

    /** The file it is written to under --out. */
    String fileName();

    String render(RunResult run);
}
