package dev.mmu.interp.parse;

import dev.mmu.grammar.MmuLexer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
    private final TreeMap<Long, Long> closing; // key(line, col) of a '{' → key of its '}', in source order

    private SourceLayout(List<Comment> comments, TreeMap<Long, Long> closing) {
        this.comments = comments;
        this.closing = closing;
    }

    /** Lexes {@code text} again; cheap next to parsing, and keeps ANTLR inside this package. */
    public static SourceLayout of(String text) {
        MmuLexer lexer = new MmuLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        List<Comment> comments = new ArrayList<>();
        TreeMap<Long, Long> closing = new TreeMap<>();
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

    /** The key of the first '{' after {@code key} (a brace the AST does not record), or -1. */
    public long openingAfter(long key) {
        Long k = closing.higherKey(key);
        return k == null ? -1 : k;
    }

    /** The key of the last '{' before {@code key}, or -1. */
    public long openingBefore(long key) {
        Long k = closing.lowerKey(key);
        return k == null ? -1 : k;
    }

    /** Orders positions as the source does: line, then column. */
    public static long key(int line, int column) {
        return ((long) line << 32) | column;
    }
}
