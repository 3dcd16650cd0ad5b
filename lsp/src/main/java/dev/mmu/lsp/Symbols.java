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
        for (PathDecl p : ast.get().paths()) out.add(path(p));
        for (Scenario sc : ast.get().scenarios()) {
            DocumentSymbol s = symbol(sc.name(), SymbolKind.Class, sc.pos());
            List<DocumentSymbol> children = new ArrayList<>();
            for (ThreadDecl t : sc.threads()) children.add(symbol("thread " + t.name(), SymbolKind.Method, t.pos()));
            for (PathDecl p : sc.paths()) children.add(path(p));
            s.setChildren(children);
            out.add(s);
        }
        return out;
    }

    private static DocumentSymbol path(PathDecl p) {
        return symbol("path " + p.name().name(), SymbolKind.Function, p.pos());
    }

    private static DocumentSymbol symbol(String name, SymbolKind kind, Pos pos) {
        Position start = new Position(pos.line() - 1, pos.column() - 1);
        Range r = new Range(start, new Position(pos.line() - 1, pos.column() - 1 + Math.max(1, pos.length())));
        return new DocumentSymbol(name, kind, r, r);
    }
}
