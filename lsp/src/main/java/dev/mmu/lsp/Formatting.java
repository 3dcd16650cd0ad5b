package dev.mmu.lsp;

import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.fmt.Formatter;
import dev.mmu.interp.parse.SourceParser;
import java.util.List;
import java.util.Optional;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextEdit;

/**
 * textDocument/formatting: what `mmu fmt` writes, as one edit. A file that does not parse is left
 * alone, with the reason to show (an empty answer alone leaves the user wondering).
 */
final class Formatting {
    private Formatting() {
    }

    /** The edits, or why there are none although the file may need them. */
    record Result(List<TextEdit> edits, Optional<String> refused) {
    }

    static Result of(String uri, String text) {
        Diagnostics diagnostics = new Diagnostics();
        String file = Documents.fileName(uri);
        var ast = SourceParser.parse(file, text, diagnostics);
        if (ast.isEmpty() || diagnostics.hasErrors()) {
            String first = diagnostics.sorted().stream().filter(Diagnostic::isError).findFirst()
                    .map(d -> ": line " + d.pos().line() + ": " + d.message()).orElse("");
            return new Result(List.of(), Optional.of("mmu: " + java.nio.file.Path.of(file).getFileName() + " is not formatted: it does not parse" + first));
        }
        String formatted = Formatter.format(ast.get(), text);
        if (formatted.equals(text)) return new Result(List.of(), Optional.empty());
        List<String> lines = text.lines().toList();
        // The end of the document: past the last character of the last line.
        Position end = new Position(lines.size(), 0);
        return new Result(List.of(new TextEdit(new Range(new Position(0, 0), end), formatted)), Optional.empty());
    }
}
