package dev.mmu.lsp;

import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.ast.Scenario;
import dev.mmu.interp.ast.ThreadDecl;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.parse.SourceParser;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.lsp4j.DocumentSymbol;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.SymbolKind;

/**
 * textDocument/documentSymbol, the editor's outline: file-level paths, and each scenario with its
 * threads and its own paths. The parser recovers from errors, so a half-typed file keeps its outline.
 */
final class Symbols {
    private Symbols() {
    }

    static List<DocumentSymbol> of(String uri, String text) {
        var ast = SourceParser.parse(Documents.fileName(uri), text, new Diagnostics());
        List<DocumentSymbol> out = new ArrayList<>();
        if (ast.isEmpty()) return out;
        List<String> lines = text.lines().toList();
        for (PathDecl p : ast.get().paths()) out.add(path(p, lines));
        for (Scenario sc : ast.get().scenarios()) {
            DocumentSymbol s = symbol(sc.name(), SymbolKind.Class, sc.pos(), null, lines);
            List<DocumentSymbol> children = new ArrayList<>();
            for (ThreadDecl t : sc.threads()) children.add(symbol("thread " + t.name(), SymbolKind.Method, t.pos(), null, lines));
            for (PathDecl p : sc.paths()) children.add(path(p, lines));
            s.setChildren(children);
            out.add(s);
        }
        return out;
    }

    private static DocumentSymbol path(PathDecl p, List<String> lines) {
        return symbol("path " + p.name().name(), SymbolKind.Function, p.pos(), p.name().pos(), lines);
    }

    /**
     * The range is the declaration, whose Pos length counts its characters across lines; the
     * selection is the name where it has a position of its own, else the declaration's first line.
     */
    private static DocumentSymbol symbol(String name, SymbolKind kind, Pos pos, Pos namePos, List<String> lines) {
        Position start = new Position(pos.line() - 1, pos.column() - 1);
        Position end = advance(lines, start, Math.max(1, pos.length()));
        Range selection = namePos != null
                ? new Range(new Position(namePos.line() - 1, namePos.column() - 1),
                        new Position(namePos.line() - 1, namePos.column() - 1 + namePos.length()))
                : new Range(start, start.getLine() == end.getLine() ? end
                        : new Position(start.getLine(), codePoints(lines.get(start.getLine()).stripTrailing())));
        return new DocumentSymbol(name, kind, new Range(start, end), selection);
    }

    /** The position {@code chars} code points (line breaks counted as one) after {@code from}. */
    private static Position advance(List<String> lines, Position from, int chars) {
        int line = from.getLine();
        int column = from.getCharacter() + chars;
        while (line < lines.size() - 1 && column > codePoints(lines.get(line))) {
            column -= codePoints(lines.get(line)) + 1;
            line++;
        }
        return new Position(line, Math.min(column, line < lines.size() ? codePoints(lines.get(line)) : column));
    }

    /** A line's length as the front end's columns count it. */
    private static int codePoints(String line) {
        return line.codePointCount(0, line.length());
    }
}
