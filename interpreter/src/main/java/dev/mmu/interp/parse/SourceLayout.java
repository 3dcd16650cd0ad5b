package dev.mmu.interp.parse;

import dev.mmu.grammar.MmuLexer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;

/**
 * What the AST leaves out and {@code mmu fmt} must keep: the comments (the lexer puts them on the
 * hidden channel) and where each '{' closes. Only meaningful for a file that parsed.
 */
public final class SourceLayout {

    /** A {@code #} or {@code //} comment; {@code ownLine} when no code precedes it on its line. */
    public record Comment(int line, int column, String text, boolean ownLine) {
    }

    private final List<Comment> comments;
    private final Map<Long, Long> closing; // key(line, col) of a '{' → key of its '}'

    private SourceLayout(List<Comment> comments, Map<Long, Long> closing) {
        this.comments = comments;
        this.closing = closing;
    }

    /** Lexes {@code text} again; cheap next to parsing, and keeps ANTLR inside this package. */
    public static SourceLayout of(String text) {
        MmuLexer lexer = new MmuLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        List<Comment> comments = new ArrayList<>();
        Map<Long, Long> closing = new HashMap<>();
        Deque<Long> open = new ArrayDeque<>();
        int lastCodeLine = 0;
        for (Token t : lexer.getAllTokens()) {
            long key = key(t.getLine(), t.getCharPositionInLine() + 1);
            if (t.getType() == MmuLexer.LINE_COMMENT) {
                comments.add(new Comment(t.getLine(), t.getCharPositionInLine() + 1, t.getText().stripTrailing(),
                        lastCodeLine != t.getLine()));
                continue;
            }
            if (t.getChannel() != Token.DEFAULT_CHANNEL) {
                continue;
            }
            lastCodeLine = t.getLine();
            if (t.getType() == MmuLexer.LBRACE) {
                open.push(key);
            } else if (t.getType() == MmuLexer.RBRACE && !open.isEmpty()) {
                closing.put(open.pop(), key);
            }
        }
        return new SourceLayout(List.copyOf(comments), closing);
    }

    public List<Comment> comments() {
        return comments;
    }

    /** The key of the '}' closing the '{' at {@code openKey}, or -1 if none is there. */
    public long closeOf(long openKey) {
        return closing.getOrDefault(openKey, -1L);
    }

    /** The '{' keys, for finding a brace that the AST does not record. */
    public List<Long> openings() {
        return closing.keySet().stream().sorted().toList();
    }

    /** Orders positions as the source does: line, then column. */
    public static long key(int line, int column) {
        return ((long) line << 32) | column;
    }
}
