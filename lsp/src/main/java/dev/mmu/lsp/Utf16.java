package dev.mmu.lsp;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.DocumentHighlight;
import org.eclipse.lsp4j.DocumentSymbol;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.WorkspaceEdit;

/**
 * The one place positions cross between LSP and the server. LSP counts a line's UTF-16 units (its
 * default position encoding), the front end and every feature here its code points (ANTLR's
 * columns): they differ after a character outside the BMP, an emoji in a scenario's name. Each
 * request's position is converted in, each answer's ranges out, by the file they are in.
 */
final class Utf16 {

    private final List<String> lines;

    private Utf16(String text) {
        lines = text.lines().toList();
    }

    static Utf16 of(String text) {
        return new Utf16(text);
    }

    private String line(int line) {
        return line >= 0 && line < lines.size() ? lines.get(line) : "";
    }

    /** A request's position (UTF-16 units) as the features count it (code points). */
    Position in(Position p) {
        return new Position(p.getLine(), codePoints(line(p.getLine()), p.getCharacter()));
    }

    Position out(Position p) {
        return new Position(p.getLine(), units(line(p.getLine()), p.getCharacter()));
    }

    Range out(Range r) {
        return r == null ? null : new Range(out(r.getStart()), out(r.getEnd()));
    }

    Hover out(Hover h) {
        if (h != null) h.setRange(out(h.getRange()));
        return h;
    }

    List<DocumentHighlight> highlights(List<DocumentHighlight> hs) {
        hs.forEach(h -> h.setRange(out(h.getRange())));
        return hs;
    }

    List<TextEdit> edits(List<TextEdit> edits) {
        edits.forEach(e -> e.setRange(out(e.getRange())));
        return edits;
    }

    List<CompletionItem> completions(List<CompletionItem> items) {
        for (CompletionItem item : items) {
            var edit = item.getTextEdit();
            if (edit == null) continue;
            if (edit.isLeft()) {
                edit.getLeft().setRange(out(edit.getLeft().getRange()));
            } else {
                edit.getRight().setInsert(out(edit.getRight().getInsert()));
                edit.getRight().setReplace(out(edit.getRight().getReplace()));
            }
        }
        return items;
    }

    List<DocumentSymbol> symbols(List<DocumentSymbol> symbols) {
        for (DocumentSymbol s : symbols) {
            s.setRange(out(s.getRange()));
            s.setSelectionRange(out(s.getSelectionRange()));
            if (s.getChildren() != null) symbols(s.getChildren());
        }
        return symbols;
    }

    /** Locations in any file, each converted by its own file's text (an unknown file's are left as they are). */
    static List<Location> locations(List<Location> locations, Function<String, Optional<String>> texts) {
        for (Location l : locations) {
            texts.apply(l.getUri()).ifPresent(t -> l.setRange(of(t).out(l.getRange())));
        }
        return locations;
    }

    /** A rename's edits, each file's by its text. */
    static WorkspaceEdit edits(WorkspaceEdit edit, Function<String, Optional<String>> texts) {
        if (edit != null && edit.getChanges() != null) {
            edit.getChanges().forEach((uri, edits) -> texts.apply(uri).ifPresent(t -> of(t).edits(edits)));
        }
        return edit;
    }

    /** Code points to UTF-16 units on a line; past the line's end (an error at the end of the file) as many more. */
    static int units(String line, int codePoints) {
        int inLine = Math.min(Math.max(0, codePoints), line.codePointCount(0, line.length()));
        return line.offsetByCodePoints(0, inLine) + (codePoints - inLine);
    }

    /** UTF-16 units to code points on a line; inside a surrogate pair, the character after it; past the end as many more. */
    static int codePoints(String line, int units) {
        int inLine = Math.min(Math.max(0, units), line.length());
        return line.codePointCount(0, inLine) + (units - inLine);
    }
}
