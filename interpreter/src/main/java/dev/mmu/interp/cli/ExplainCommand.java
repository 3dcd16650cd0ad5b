package dev.mmu.interp.cli;

import dev.mmu.interp.check.Frontend;
import dev.mmu.interp.check.LoadResult;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.DiagnosticPrinter;
import dev.mmu.interp.diag.Wrap;
import dev.mmu.interp.explain.Explainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `mmu explain FILE`: the checked scenarios in words, without exploring. */
@Command(name = "explain", description = "Print each checked scenario: machine, memory map, threads and the kernel "
        + "functions they model, user paths, expectations, exploration settings. Explores nothing.")
final class ExplainCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "a .mmu file")
    Path file;

    @Override
    public Integer call() {
        LoadResult r = new Frontend().load(file);
        if (r.hasErrors()) {
            DiagnosticPrinter printer = new DiagnosticPrinter(r.sources(), Terminal.diagnosticColumns());
            for (Diagnostic d : r.diagnostics()) {
                System.err.print(printer.render(d));
            }
            return ExitCode.BAD_INPUT;
        }
        if (r.scenarios().isEmpty()) {
            System.out.println(file + " declares no scenario (a file of paths to import)");
            return ExitCode.PASS;
        }
        System.out.print(Wrap.fit(Explainer.explain(r.scenarios(), r.sources()), Terminal.columns()));
        return ExitCode.PASS;
    }
}
