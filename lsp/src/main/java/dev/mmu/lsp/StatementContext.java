package dev.mmu.lsp;

import dev.mmu.grammar.MmuLexer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.antlr.v4.runtime.Token;

/**
 * Where a statement starts, as the checker sees it: in a path (a thread or setup ends at its last
 * statement, so `return` is refused there) and inside a loop (`break` and `continue` outside one
 * are refused). Read from the tokens before the position; the file need not parse.
 */
record StatementContext(boolean inPath, boolean inLoop) {

    /** The context of a statement after these tokens, which end inside a body ({@link Block#outermostBody}). */
    static StatementContext after(List<Token> before) {
        int body = Block.outermostBody(before);
        if (body < 0) return new StatementContext(false, false);
        Deque<Boolean> loops = new ArrayDeque<>(); // per brace open inside the body: whether a loop opened it
        for (int i = body + 1; i < before.size(); i++) {
            int type = before.get(i).getType();
            if (type == MmuLexer.LBRACE) loops.push(opensLoop(before, i, body));
            if (type == MmuLexer.RBRACE && !loops.isEmpty()) loops.pop();
        }
        return new StatementContext(opener(before, body) == MmuLexer.PATH, loops.contains(true));
    }

    /** Whether the statement whose '{' is at i is a while, for or repeat: its nearest statement keyword. */
    private static boolean opensLoop(List<Token> tokens, int i, int body) {
        int keyword = statementKeyword(tokens, i, body);
        return keyword == MmuLexer.WHILE || keyword == MmuLexer.FOR || keyword == MmuLexer.REPEAT;
    }

    /** The keyword that declares the body opened at i: path, thread or setup. */
    private static int opener(List<Token> tokens, int i) {
        for (int j = i - 1; j >= 0; j--) {
            int type = tokens.get(j).getType();
            if (type == MmuLexer.PATH || type == MmuLexer.THREAD || type == MmuLexer.SETUP) return type;
            if (type == MmuLexer.LBRACE || type == MmuLexer.RBRACE) break;
        }
        return Token.INVALID_TYPE;
    }

    private static int statementKeyword(List<Token> tokens, int i, int body) {
        for (int j = i - 1; j > body; j--) {
            switch (tokens.get(j).getType()) {
                case MmuLexer.WHILE, MmuLexer.FOR, MmuLexer.REPEAT, MmuLexer.IF, MmuLexer.ELSE, MmuLexer.ATOMIC,
                        MmuLexer.CHOOSE, MmuLexer.OR_BRANCH -> {
                    return tokens.get(j).getType();
                }
                case MmuLexer.LBRACE, MmuLexer.RBRACE -> {
                    return Token.INVALID_TYPE;
                }
                default -> { }
            }
        }
        return Token.INVALID_TYPE;
    }
}
