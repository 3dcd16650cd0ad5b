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
            // Columns count characters (code points); the terminal draws some two cells wide (CJK,
            // emoji) and some none (combining marks), so the window and the caret are measured in cells.
            int[] chars = line.codePoints().toArray();
            int[] cell = new int[chars.length + 1]; // cell[i]: the cells before character i
            for (int i = 0; i < chars.length; i++) {
                cell[i + 1] = cell[i] + DisplayWidth.of(chars[i]);
            }
            int col = Math.max(0, Math.min(pos.column() - 1, chars.length));
            int last = Math.min(chars.length, col + Math.max(1, pos.length()));
            int at = cell[col];
            int room = Math.max(1, cell[last] - at);
            int cells = cell[chars.length];
            int from = 0;
            int to = chars.length;
            if (cells > width) {
                // a window of the line: the caret's start a third in, unless the line's start shows it
                int text = Math.max(20, width - 2 * ELLIPSIS.length());
                int fromCell = at + Math.min(room, text / 2) <= width - ELLIPSIS.length() ? 0 : Math.max(0, at - text / 3);
                int toCell = Math.min(cells, fromCell + (fromCell == 0 ? width - ELLIPSIS.length() : text));
                if (toCell == cells && fromCell > 0) fromCell = Math.max(0, toCell - (width - ELLIPSIS.length()));
                from = firstAtOrAfter(cell, fromCell);
                to = Math.max(from, lastAtOrBefore(cell, toCell));
            }
            String lead = from > 0 ? ELLIPSIS : "";
            out.append(lead).append(new String(chars, from, to - from)).append(to < chars.length ? ELLIPSIS : "").append('\n');
            StringBuilder caret = new StringBuilder(" ".repeat(lead.length()));
            for (int i = from; i < col; i++) {
                // a tab as the source line prints it, so the terminal moves both lines alike
                caret.append(chars[i] == '\t' ? "\t" : " ".repeat(cell[i + 1] - cell[i]));
            }
            caret.append('^').append("~".repeat(Math.max(0, Math.min(room, cell[Math.max(to, col)] - at) - 1)));
            out.append(caret).append('\n');
        }
        return out.toString();
    }

    private static final String ELLIPSIS = "...";

    /** The first character starting at or after a cell (the line's end if none). */
    private static int firstAtOrAfter(int[] cell, int c) {
        int i = 0;
        while (i < cell.length - 1 && cell[i] < c) i++;
        return i;
    }

    /** The last character boundary at or before a cell. */
    private static int lastAtOrBefore(int[] cell, int c) {
        int i = cell.length - 1;
        while (i > 0 && cell[i] > c) i--;
        return i;
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
