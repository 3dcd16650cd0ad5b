package dev.mmu.lsp;

import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.check.Frontend;
import dev.mmu.interp.diag.Severity;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.parse.SourceParser;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.DiagnosticSeverity;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;

/** Diagnostics from the real front end, the same messages `mmu check` prints, as LSP diagnostics. */
final class Checking {

    static final String SOURCE = "mmu";

    private Checking() {
    }

    /** Rounds of blanking lines with syntax errors before giving up on the checker's errors. */
    private static final int RECOVERY_ROUNDS = 3;

    static List<Diagnostic> check(String uri, String text) {
        String name = Documents.fileName(uri);
        List<dev.mmu.interp.diag.Diagnostic> found = new ArrayList<>(new Frontend().load(name, text).diagnostics());
        found.addAll(whileTyping(name, text));
        return found.stream().map(d -> toLsp(name, d)).toList();
    }

    /**
     * A file with a syntax error is never checked (the checker would only add noise), so while one
     * line is half-typed every other error would vanish. Blank the lines with syntax errors (and the
     * line before, when the error is at the start of its line: "found 'unlock'" is usually about
     * the half-typed line above) until the rest parses, and return what the checker says about the
     * lines kept. Nothing when the file parses, or still does not after a few rounds.
     */
    private static List<dev.mmu.interp.diag.Diagnostic> whileTyping(String name, String text) {
        String[] lines = SourceParser.normalize(text).split("\n", -1);
        Set<Integer> blanked = new HashSet<>();
        for (int round = 0; round <= RECOVERY_ROUNDS; round++) {
            Diagnostics syntax = new Diagnostics();
            String kept = String.join("\n", lines);
            if (SourceParser.parse(name, kept, syntax).isPresent()) {
                if (round == 0) return List.of();
                return new Frontend().load(name, kept).diagnostics().stream()
                        .filter(d -> d.pos().file().equals(name) && !blanked.contains(d.pos().line() - 1)).toList();
            }
            for (dev.mmu.interp.diag.Diagnostic d : syntax.sorted()) {
                int line = d.pos().line() - 1;
                if (line >= lines.length) continue;
                boolean atStart = d.pos().column() - 1 <= lines[line].length() - lines[line].stripLeading().length();
                blank(lines, line, blanked);
                if (atStart) {
                    int above = line - 1;
                    while (above >= 0 && lines[above].isBlank()) above--;
                    if (above >= 0) blank(lines, above, blanked);
                }
            }
        }
        return List.of();
    }

    private static void blank(String[] lines, int line, Set<Integer> blanked) {
        lines[line] = " ".repeat(lines[line].length());
        blanked.add(line);
    }

    /** A front-end crash, shown on the first line rather than lost in a log. */
    static Diagnostic internalError(RuntimeException e) {
        Range top = new Range(new Position(0, 0), new Position(0, 0));
        return new Diagnostic(top, "internal error in the mmu front end (please report it): " + e,
                DiagnosticSeverity.Error, SOURCE);
    }

    private static Diagnostic toLsp(String name, dev.mmu.interp.diag.Diagnostic d) {
        Pos pos = d.pos();
        DiagnosticSeverity severity = d.severity() == Severity.ERROR
                ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;
        if (!pos.file().equals(name)) {
            // In an imported file: shown at the top of this one, with the place it points at.
            Range top = new Range(new Position(0, 0), new Position(0, 0));
            return new Diagnostic(top, pos + ": " + d.message(), severity, SOURCE);
        }
        Position start = new Position(pos.line() - 1, pos.column() - 1);
        Position end = new Position(pos.line() - 1, pos.column() - 1 + Math.max(1, pos.length()));
        return new Diagnostic(new Range(start, end), d.message(), severity, SOURCE);
    }
}
