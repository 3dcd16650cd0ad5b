package dev.mmu.interp.check;

import dev.mmu.interp.diag.Diagnostic;
import java.util.List;
import java.util.Map;

/**
 * What the front end made of a file: the scenarios to run, or the reasons it cannot run them.
 * {@code scenarios} is empty whenever any diagnostic is an error, so a caller never runs a
 * half-checked file. {@code sources} maps each file name used in a position to its text, for
 * {@link dev.mmu.interp.diag.DiagnosticPrinter}.
 */
public record LoadResult(List<CheckedScenario> scenarios, List<Diagnostic> diagnostics, Map<String, String> sources) {

    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
}
