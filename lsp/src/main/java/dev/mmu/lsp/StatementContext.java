package dev.mmu.lsp;

import dev.mmu.grammar.MmuLexer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.antlr.v4.runtime.Token;

/**
 * Where a statement starts, as the checker sees it: in a path (a thread or setup ends at its last
 * statement, so `return` is refused there), inside a loop (`break` and `continue` outside one
 * are refused), and where a scheduler choice may stand (`choose` is refused in the setup and
 * inside `atomic`). Read from the tokens before the position; the file need not parse.
 */
record StatementContext(boolean inPath, boolean inLoop, boolean mayChoose) {

    /** The context of a statement after these tokens, which end inside a body ({@link Block#outermostBody}). */
    static StatementContext after(List<Token> before) {
        int body = Block.outermostBody(before);
        if (body < 0) return new StatementContext(false, false, false);
        Deque<Integer> open = new ArrayDeque<>(); // per brace open inside the body: the statement that opened it
        for (int i = body + 1; i < before.size(); i++) {
            int type = before.get(i).getType();
            if (type == MmuLexer.LBRACE) open.push(statementKeyword(before, i, body));
            if (type == MmuLexer.RBRACE && !open.isEmpty()) open.pop();
        }
        int unit = opener(before, body);
        boolean inLoop = open.contains(MmuLexer.WHILE) || open.contains(MmuLexer.FOR) || open.contains(MmuLexer.REPEAT);
        return new StatementContext(unit == MmuLexer.PATH, inLoop, unit != MmuLexer.SETUP && !open.contains(MmuLexer.ATOMIC));
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

    /** The keyword of the statement whose '{' is at i: the nearest statement keyword before it. */
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
