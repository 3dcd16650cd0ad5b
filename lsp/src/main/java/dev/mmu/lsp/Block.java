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
