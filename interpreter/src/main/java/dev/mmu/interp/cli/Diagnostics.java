package dev.mmu.interp.cli;

import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.DiagnosticPrinter;
import dev.mmu.interp.run.Loaded;

/** Prints a file's diagnostics to stderr: file:line:col: error: message, the line, a caret. */
final class Diagnostics {
    private Diagnostics() {}

    static void print(Loaded loaded) {
        DiagnosticPrinter printer = new DiagnosticPrinter(loaded.sources(), Terminal.diagnosticColumns());
        for (Diagnostic d : loaded.diagnostics()) System.err.print(printer.render(d));
    }
}
