package dev.mmu.lsp;

import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.check.Frontend;
import dev.mmu.interp.diag.Severity;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.DiagnosticSeverity;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;

/** Diagnostics from the real front end, the same messages `mmu check` prints, as LSP diagnostics. */
final class Checking {

    static final String SOURCE = "mmu";

    private Checking() {
    }

    static List<Diagnostic> check(String uri, String text) {
        String name = Documents.fileName(uri);
        List<dev.mmu.interp.diag.Diagnostic> found = new ArrayList<>(new Frontend().load(name, text).diagnostics());
        found.addAll(whileTyping(name, text));
        List<String> lines = text.lines().toList();
        return found.stream().map(d -> toLsp(name, lines, d)).toList();
    }

    /**
     * A file with a syntax error is never checked (the checker would only add noise), so while one
     * line is half-typed every other error would vanish. Check the text {@link Recovery} kept (the
     * lines with syntax errors blanked) and return what the checker says about the lines kept.
     * Nothing when the file parses, or still does not after a few rounds.
     */
    private static List<dev.mmu.interp.diag.Diagnostic> whileTyping(String name, String text) {
        return Recovery.of(name, text).filter(k -> !k.parsedAsIs())
                .map(k -> new Frontend().load(name, k.text()).diagnostics().stream()
                        .filter(d -> d.pos().file().equals(name) && !k.blanked().contains(d.pos().line() - 1)).toList())
                .orElse(List.of());
    }

    /** A front-end crash, shown on the first line rather than lost in a log. */
    static Diagnostic internalError(RuntimeException e) {
        Range top = new Range(new Position(0, 0), new Position(0, 0));
        return new Diagnostic(top, "internal error in the mmu front end (please report it): " + e,
                DiagnosticSeverity.Error, SOURCE);
    }

    private static Diagnostic toLsp(String name, List<String> lines, dev.mmu.interp.diag.Diagnostic d) {
        Pos pos = d.pos();
        DiagnosticSeverity severity = d.severity() == Severity.ERROR
                ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;
        if (!pos.file().equals(name)) {
            // In an imported file: shown at the top of this one, with the place it points at.
            Range top = new Range(new Position(0, 0), new Position(0, 0));
            return new Diagnostic(top, pos + ": " + d.message(), severity, SOURCE);
        }
        String line = pos.line() - 1 < lines.size() ? lines.get(pos.line() - 1) : "";
        Position start = new Position(pos.line() - 1, Utf16.units(line, pos.column() - 1));
        Position end = new Position(pos.line() - 1, Utf16.units(line, pos.column() - 1 + Math.max(1, pos.length())));
        return new Diagnostic(new Range(start, end), d.message(), severity, SOURCE);
    }
}
