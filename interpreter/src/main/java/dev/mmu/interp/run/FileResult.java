package dev.mmu.interp.run;

import dev.mmu.interp.diag.Diagnostic;
import java.util.List;

/**
 * One .mmu file after a run: its scenarios' results, or the diagnostics that stopped it.
 *
 * @param file the file as the user named it
 * @param scenarios results in source order (outline rows in row order); empty if it did not compile
 * @param diagnostics errors and warnings from the front end and the compiler
 * @param diagnosticsText the diagnostics rendered as the CLI prints them (file:line:col, line, caret)
 */
public record FileResult(String file, List<ScenarioResult> scenarios, List<Diagnostic> diagnostics,
                         String diagnosticsText) {
    public FileResult {
        scenarios = List.copyOf(scenarios);
        diagnostics = List.copyOf(diagnostics);
    }

    /** The file did not compile, so none of its scenarios ran; it counts as one failed test. */
    public boolean broken() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
}
