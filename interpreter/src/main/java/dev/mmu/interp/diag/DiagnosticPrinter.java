package dev.mmu.interp.diag;

import dev.mmu.interp.ast.Pos;
import java.util.Map;

/**
 * Renders a diagnostic as compilers do: {@code file:line:col: error: message}, the source line,
 * and a {@code ^~~~} caret under the span, so the user sees the exact spot without an editor.
 */
public final class DiagnosticPrinter {

    private final Map<String, String> sources; // file name as in Pos → its full text

    public DiagnosticPrinter(Map<String, String> sources) {
        this.sources = sources;
    }

    public String render(Diagnostic d) {
        Pos pos = d.pos();
        StringBuilder out = new StringBuilder()
                .append(pos.file()).append(':').append(pos.line()).append(':').append(pos.column())
                .append(": ").append(d.severity().label()).append(": ").append(d.message()).append('\n');
        String line = sourceLine(pos.file(), pos.line());
        if (line != null) {
            out.append(line).append('\n');
            StringBuilder caret = new StringBuilder();
            for (int i = 0; i < pos.column() - 1 && i < line.length(); i++) {
                caret.append(line.charAt(i) == '\t' ? '\t' : ' ');
            }
            int room = Math.max(1, Math.min(pos.length(), line.length() - (pos.column() - 1)));
            caret.append('^').append("~".repeat(room - 1));
            out.append(caret).append('\n');
        }
        return out.toString();
    }

    private String sourceLine(String file, int lineNumber) {
        String text = sources.get(file);
        if (text == null || lineNumber < 1) {
            return null;
        }
        String[] lines = text.split("\r?\n", -1);
        return lineNumber <= lines.length ? lines[lineNumber - 1] : null;
    }
}
