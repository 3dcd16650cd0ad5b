package dev.mmu.lsp;

import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.fmt.Formatter;
import dev.mmu.interp.parse.SourceParser;
import java.util.List;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextEdit;

/** textDocument/formatting: what `mmu fmt` writes, as one edit; nothing for a file that does not parse. */
final class Formatting {
    private Formatting() {
    }

    static List<TextEdit> of(String uri, String text) {
        Diagnostics diagnostics = new Diagnostics();
        var ast = SourceParser.parse(Documents.fileName(uri), text, diagnostics);
        if (ast.isEmpty() || diagnostics.hasErrors()) return List.of();
        String formatted = Formatter.format(ast.get(), text);
        if (formatted.equals(text)) return List.of();
        List<String> lines = text.lines().toList();
        // The end of the document: past the last character of the last line.
        Position end = new Position(lines.size(), 0);
        return List.of(new TextEdit(new Range(new Position(0, 0), end), formatted));
    }
}
