package dev.mmu.interp.diag;

import java.util.ArrayList;
import java.util.List;

/** Text broken at spaces to fit a terminal's width: traces, reports, diagnostics, mmu explain. */
public final class Wrap {
    private Wrap() {}

    /** Each line of an indented text broken at spaces to fit the width, continued two further in (mmu explain). */
    public static String fit(String text, int width) {
        StringBuilder b = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            String content = line.stripLeading();
            String indent = line.substring(0, line.length() - content.length());
            if (line.length() <= width || content.isEmpty()) {
                b.append(line).append('\n');
                continue;
            }
            for (String l : wrap(List.of(content), Math.max(20, width - indent.length()))) {
                b.append((indent + l).stripTrailing()).append('\n');
            }
        }
        return b.substring(0, b.length() - 1);
    }

    /** A space, except the one inside a repeat count "(x 21,846)" (an expression's "(x + 1)" breaks as before). */
    private static final java.util.regex.Pattern NOT_IN_A_COUNT = java.util.regex.Pattern.compile("(?<!\\(x) |(?<=\\(x) (?![0-9,]+\\))");

    /**
     * Each clause on lines of at most max characters, broken at spaces (a word longer than a line
     * is cut, after a bracket, comma or dot where one is near the end of the line, so that
     * `list_empty(possible_nx_huge_pages[KVM_TDP_MMU])` does not break inside a name); continuation
     * lines are indented by two. A repeat count "(x 21,846)" is one word: "(x" alone at a line's end
     * said nothing.
     */
    public static List<String> wrap(List<String> clauses, int max) {
        List<String> lines = new ArrayList<>();
        for (String clause : clauses) {
            StringBuilder cur = new StringBuilder();
            for (String word : NOT_IN_A_COUNT.split(clause)) {
                while (word.length() > max - 2) { // longer than any line: cut it
                    if (!fresh(cur)) {
                        lines.add(cur.toString());
                        cur = new StringBuilder("  ");
                    }
                    int room = max - cur.length();
                    if (word.length() <= room) break; // fits a clause's first line, which is not indented
                    int cut = cut(word, room);
                    lines.add(cur + word.substring(0, cut));
                    word = word.substring(cut);
                    cur = new StringBuilder("  ");
                }
                if (!fresh(cur) && cur.length() + 1 + word.length() > max) {
                    lines.add(cur.toString());
                    cur = new StringBuilder("  ");
                }
                if (!fresh(cur)) cur.append(' ');
                cur.append(word);
            }
            if (!cur.toString().isBlank()) lines.add(cur.toString());
        }
        return lines;
    }

    /** Where to cut a word too long for the room: after the last ( [ , . in its second half, else at the room. */
    static int cut(String word, int room) {
        for (int i = room; i > room / 2; i--) {
            if ("([,.".indexOf(word.charAt(i - 1)) >= 0) return i;
        }
        return room;
    }

    private static boolean fresh(StringBuilder line) {
        return line.length() == 0 || line.toString().equals("  ");
    }
}
