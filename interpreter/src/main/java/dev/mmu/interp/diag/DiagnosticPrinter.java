package dev.mmu.interp.diag;

import dev.mmu.interp.ast.Pos;
import java.util.HashMap;
import java.util.Map;

/**
 * Renders a diagnostic as compilers do: {@code file:line:col: error: message}, the source line,
 * and a {@code ^~~~} caret under the span, so the user sees the exact spot without an editor.
 */
public final class DiagnosticPrinter {

    private final Map<String, String> sources; // file name as in Pos → its full text, line breaks as \n
    private final Map<String, int[]> lineStarts = new HashMap<>(); // file → offset of each line, built once

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
        int[] starts = lineStarts.computeIfAbsent(file, f -> starts(text));
        if (lineNumber > starts.length) {
            return null;
        }
        int end = lineNumber < starts.length ? starts[lineNumber] - 1 : text.length();
        return text.substring(starts[lineNumber - 1], end);
    }

    /** Where each line begins: one pass per file, so rendering n diagnostics costs O(n + text). */
    private static int[] starts(String text) {
        int lines = 1;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                lines++;
            }
        }
        int[] starts = new int[lines];
        int line = 1;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                starts[line++] = i + 1;
            }
        }
        return starts;
    }
}
