package dev.mmu.interp.parse;

import dev.mmu.interp.ast.Pos;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

/** Turns ANTLR tokens and contexts into {@link Pos}, so no ANTLR type leaves this package. */
final class Positions {

    private final String file;

    Positions(String file) {
        this.file = file;
    }

    Pos of(Token token) {
        int length = token.getType() == Token.EOF ? 1 : token.getStopIndex() - token.getStartIndex() + 1;
        return new Pos(file, token.getLine(), token.getCharPositionInLine() + 1, Math.max(1, length));
    }

    /** From the context's first token to its last; the printer clips a span to its first line. */
    Pos of(ParserRuleContext ctx) {
        Token start = ctx.getStart();
        Token stop = ctx.getStop();
        int length = stop == null || stop.getStopIndex() < start.getStartIndex()
                ? 1
                : stop.getStopIndex() - start.getStartIndex() + 1;
        return new Pos(file, start.getLine(), start.getCharPositionInLine() + 1, Math.max(1, length));
    }
}
