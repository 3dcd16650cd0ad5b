package dev.mmu.lsp;

import dev.mmu.grammar.MmuLexer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.antlr.v4.runtime.Token;

/** The kind of block a position is in, from the braces before it (the file need not parse). */
enum Block {
    FILE, SCENARIO, VM, MEMSLOT, EXPLORE, BODY;

    static Block around(List<Token> before) {
        Deque<Block> open = new ArrayDeque<>();
        for (int i = 0; i < before.size(); i++) {
            int type = before.get(i).getType();
            if (type == MmuLexer.LBRACE) open.push(opened(before, i, open.isEmpty() ? FILE : open.peek()));
            if (type == MmuLexer.RBRACE && !open.isEmpty()) open.pop();
        }
        return open.isEmpty() ? FILE : open.peek();
    }

    /** The index of the '{' that opens the outermost body still open (a path, a thread, setup), or -1. */
    static int outermostBody(List<Token> before) {
        Deque<Block> open = new ArrayDeque<>();
        int body = -1;
        for (int i = 0; i < before.size(); i++) {
            int type = before.get(i).getType();
            if (type == MmuLexer.LBRACE) {
                Block b = opened(before, i, open.isEmpty() ? FILE : open.peek());
                if (b == BODY && (open.isEmpty() || open.peek() != BODY)) body = i;
                open.push(b);
            }
            if (type == MmuLexer.RBRACE && !open.isEmpty() && open.pop() == BODY && (open.isEmpty() || open.peek() != BODY)) {
                body = -1;
            }
        }
        return body;
    }

    /** What the brace at i opens: decided by the keyword that begins its line of source. */
    private static Block opened(List<Token> tokens, int i, Block outer) {
        if (outer == BODY) return BODY; // if, else, while, repeat, atomic, for: more statements
        for (int j = i - 1; j >= 0; j--) {
            switch (tokens.get(j).getType()) {
                case MmuLexer.VM: return VM;
                case MmuLexer.MEMSLOT: return MEMSLOT;
                case MmuLexer.EXPLORE: return EXPLORE;
                case MmuLexer.SCENARIO: return SCENARIO;
                case MmuLexer.SETUP, MmuLexer.THREAD, MmuLexer.PATH: return BODY;
                case MmuLexer.LBRACE, MmuLexer.RBRACE, MmuLexer.SEMI: return outer == FILE ? SCENARIO : BODY;
                default: break;
            }
        }
        return outer == FILE ? SCENARIO : BODY;
    }
}
