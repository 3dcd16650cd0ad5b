package dev.mmu.interp.parse;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.grammar.MmuParser;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.ParseTree;

/**
 * The nesting limit. The parser, the AST builder, the checker, the compiler, the formatter and the
 * explainer all recurse over nested blocks and expressions; input nested a few hundred levels deep
 * would overflow the Java stack in one of them. Checked without recursion: on the tokens before
 * the parser runs, then on the parse tree before anything walks it.
 */
public final class Nesting {

    /** Levels of blocks, brackets, else-ifs and operators; real scenarios use fewer than 10. */
    public static final int LIMIT = 100;

    static final String MESSAGE = "nested more than " + LIMIT + " levels deep (blocks, brackets, else-ifs and "
            + "operators count): split it up";

    private Nesting() {
    }

    /**
     * The first token at which the nesting the parser would recurse into passes the limit: open
     * brackets, else-if chains ({@code else if} nests in the grammar) and runs of unary operators.
     */
    static Optional<Token> tooDeepTokens(List<Token> tokens) {
        List<Integer> elseIfs = new ArrayList<>(List.of(0)); // per bracket depth: else-ifs in its open chain
        int chained = 0;   // elseIfs summed
        int unary = 0;     // the current run of '!' and '-'
        Token previous = null;
        for (Token t : tokens) {
            if (t.getChannel() != Token.DEFAULT_CHANNEL) {
                continue;
            }
            int type = t.getType();
            int depth = elseIfs.size() - 1;
            if (previous != null && previous.getType() == MmuLexer.RBRACE && type != MmuLexer.ELSE) {
                chained -= elseIfs.set(depth, 0);    // the if statement before this token has ended
            }
            if (type == MmuLexer.LBRACE || type == MmuLexer.LPAREN || type == MmuLexer.LBRACK) {
                elseIfs.add(0);
            } else if ((type == MmuLexer.RBRACE || type == MmuLexer.RPAREN || type == MmuLexer.RBRACK) && depth > 0) {
                chained -= elseIfs.remove(depth);
            } else if (type == MmuLexer.IF && previous != null && previous.getType() == MmuLexer.ELSE) {
                elseIfs.set(depth, elseIfs.get(depth) + 1);
                chained++;
            }
            unary = type == MmuLexer.NOT || type == MmuLexer.MINUS ? unary + 1 : 0;
            if (elseIfs.size() - 1 + chained + unary > LIMIT) {
                return Optional.of(t);
            }
            previous = t;
        }
        return Optional.empty();
    }

    /**
     * The first context at which the parse tree nests past the limit, counting the contexts that
     * nest without bound: blocks, if statements (else-if), calls, parentheses and operators.
     */
    static Optional<ParserRuleContext> tooDeepTree(ParseTree root) {
        record Node(ParseTree tree, int depth) {
        }
        Deque<Node> todo = new ArrayDeque<>();
        todo.push(new Node(root, 0));
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            int depth = n.depth() + (counts(n.tree()) ? 1 : 0);
            if (depth > LIMIT) {
                return Optional.of((ParserRuleContext) n.tree());
            }
            for (int i = n.tree().getChildCount() - 1; i >= 0; i--) {
                todo.push(new Node(n.tree().getChild(i), depth));
            }
        }
        return Optional.empty();
    }

    private static boolean counts(ParseTree t) {
        return t instanceof MmuParser.BlockContext || t instanceof MmuParser.IfStatementContext
                || t instanceof MmuParser.CallContext || t instanceof MmuParser.ParenPrimaryContext
                || t instanceof MmuParser.ExprContext && !(t instanceof MmuParser.PrimaryExprContext);
    }
}
