package dev.mmu.lsp;

import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.parse.SourceParser;
import java.util.Collections;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A half-typed document made to parse by blanking the lines with syntax errors (each replaced by
 * as many spaces, so every other name keeps its line and column): what the diagnostics and the
 * name features read while a line is being typed. Not ANTLR's error-recovered tree: SourceParser
 * builds no AST from one, and the tokens it conjures ("missing IDENT") sit at positions that hold
 * other text.
 */
final class Recovery {

    /** Rounds of blanking lines with syntax errors before giving up. */
    static final int ROUNDS = 3;

    /** The text that parsed, its AST, and the 0-based lines blanked (none: the document parses as it is). */
    record Kept(String text, SourceFile ast, Set<Integer> blanked) {
        boolean parsedAsIs() {
            return blanked.isEmpty();
        }
    }

    private Recovery() {
    }

    /**
     * The document's AST, or that of the document with its syntax errors' lines blanked until the
     * rest parses (an error at the start of a line blanks the line before first: "found 'unlock'" is
     * usually about the half-typed line above); empty if it still does not after a few rounds.
     */
    static Optional<Kept> of(String name, String text) {
        String[] lines = SourceParser.normalize(text).split("\n", -1);
        Set<Integer> blanked = new TreeSet<>();
        for (int round = 0; round <= ROUNDS; round++) {
            Diagnostics syntax = new Diagnostics();
            String kept = String.join("\n", lines);
            Optional<SourceFile> ast = SourceParser.parse(name, kept, syntax);
            if (ast.isPresent()) {
                return Optional.of(new Kept(kept, ast.get(), Collections.unmodifiableSet(blanked)));
            }
            for (Diagnostic d : syntax.sorted()) {
                int line = d.pos().line() - 1;
                if (line >= lines.length) continue;
                boolean atStart = d.pos().column() - 1 <= lines[line].length() - lines[line].stripLeading().length();
                int above = line - 1;
                while (above >= 0 && lines[above].isBlank()) above--;
                if (atStart && above >= 0 && !blanked.contains(above)) {
                    blank(lines, above, blanked); // the half-typed line; this one too if the next round still fails here
                } else {
                    blank(lines, line, blanked);
                }
            }
        }
        return Optional.empty();
    }

    private static void blank(String[] lines, int line, Set<Integer> blanked) {
        lines[line] = " ".repeat(lines[line].length());
        blanked.add(line);
    }
}
