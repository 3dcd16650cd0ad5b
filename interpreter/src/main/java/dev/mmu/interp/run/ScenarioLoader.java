package dev.mmu.interp.run;

import dev.mmu.interp.check.CheckedScenario;
import dev.mmu.interp.check.Frontend;
import dev.mmu.interp.check.LoadResult;
import dev.mmu.interp.compile.CompileError;
import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.compile.Compiler;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.Severity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Front end then compiler: one call from a path to runnable scenarios or diagnostics. */
public final class ScenarioLoader {
    private ScenarioLoader() {}

    public static Loaded load(Path file) {
        return compile(new Frontend().load(file));
    }

    /** Text named {@code name} (imports resolve relative to it), e.g. a generated scenario. */
    public static Loaded load(String name, String text) {
        return compile(new Frontend().load(name, text));
    }

    private static Loaded compile(LoadResult r) {
        List<Diagnostic> diags = new ArrayList<>(r.diagnostics());
        List<CompiledScenario> out = new ArrayList<>();
        for (CheckedScenario sc : r.scenarios()) {
            try {
                out.add(Compiler.compile(sc));
            } catch (CompileError e) {
                diags.add(new Diagnostic(e.pos, Severity.ERROR, e.getMessage()));
            }
        }
        boolean errors = diags.stream().anyMatch(Diagnostic::isError);
        return new Loaded(errors ? List.of() : out, diags, r.sources());
    }
}
