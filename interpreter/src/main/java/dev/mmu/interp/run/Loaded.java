package dev.mmu.interp.run;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.diag.Diagnostic;
import java.util.List;
import java.util.Map;

/** A file after the front end and the compiler: scenarios to run, or diagnostics that stop it. */
public record Loaded(List<CompiledScenario> scenarios, List<Diagnostic> diagnostics, Map<String, String> sources) {
    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
}
