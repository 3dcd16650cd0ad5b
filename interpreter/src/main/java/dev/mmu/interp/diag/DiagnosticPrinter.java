package dev.mmu.interp.diag;

import dev.mmu.interp.ast.Pos;
import java.util.HashMap;
import java.util.Map;

/**
 * Renders a diagnostic as compilers do: {@code file:line:col: error: message}, the source line,
 * and a {@code ^~~~} caret under the span, so the user sees the exact spot without an editor.
 * Fitted to a terminal's width: the message breaks at spaces, and a longer source line shows the
 * part around the caret between {@code ...} marks (as clang does), so the caret stays under it.
 */
public final class DiagnosticPrinter {

    private final Map<String, String> sources; // file name as in Pos → its full text, line breaks as \n
    private final Map<String, int[]> lineStarts = new HashMap<>(); // file → offset of each line, built once
    private final int width;

    /** Lines as long as they are (reports, the JUnit engine, the language server). */
    public DiagnosticPrinter(Map<String, String> sources) {
        this(sources, Integer.MAX_VALUE);
    }

    /** Lines fitted to a terminal of the given width (the command line). */
    public DiagnosticPrinter(Map<String, String> sources, int width) {
        this.sources = sources;
        this.width = width;
    }

    public String render(Diagnostic d) {
        Pos pos = d.pos();
        StringBuilder out = new StringBuilder(Wrap.fit(pos.file() + ':' + pos.line() + ':' + pos.column() + ": "
                + d.severity().label() + ": " + d.message(), width)).append('\n');
        String line = sourceLine(pos.file(), pos.line());
        if (line != null) {
            int col = Math.min(pos.column() - 1, line.length());
            int room = Math.max(1, Math.min(pos.length(), line.length() - col));
            int from = 0;
            int to = line.length();
            if (line.length() > width) {
                // a window of the line: the caret's start a third in, unless the line's start shows it
                int text = Math.max(20, width - 2 * ELLIPSIS.length());
                from = col + Math.min(room, text / 2) <= width - ELLIPSIS.length() ? 0 : Math.max(0, col - text / 3);
                to = Math.min(line.length(), from + (from == 0 ? width - ELLIPSIS.length() : text));
                if (to == line.length() && from > 0) from = Math.max(0, to - (width - ELLIPSIS.length()));
            }
            String lead = from > 0 ? ELLIPSIS : "";
            out.append(lead).append(line, from, to).append(to < line.length() ? ELLIPSIS : "").append('\n');
            StringBuilder caret = new StringBuilder(" ".repeat(lead.length()));
            for (int i = from; i < col; i++) {
                caret.append(line.charAt(i) == '\t' ? '\t' : ' ');
            }
            caret.append('^').append("~".repeat(Math.max(0, Math.min(room, to - col) - 1)));
            out.append(caret).append('\n');
        }
        return out.toString();
    }

    private static final String ELLIPSIS = "...";

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
