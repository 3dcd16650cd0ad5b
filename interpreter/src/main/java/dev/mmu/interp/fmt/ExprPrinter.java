package dev.mmu.interp.fmt;

import dev.mmu.interp.ast.Arg;
import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.ast.Pos;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Expressions back to text. The AST drops parentheses, so they are put back where precedence
 * needs them (and only there); number literals keep their spelling (0x1000, 4K, 1_000) from the
 * source, since the AST keeps only the value.
 */
final class ExprPrinter {

    private static final int UNARY = 7;
    private static final int POSTFIX = 8;

    private final List<String> lines;

    ExprPrinter(List<String> lines) {
        this.lines = lines;
    }

    String print(Expr e) {
        if (e instanceof Expr.IntLit i) {
            return spelling(i.pos(), i.value() >= 4096 ? "0x" + Long.toHexString(i.value()) : Long.toString(i.value()));
        }
        if (e instanceof Expr.BoolLit b) {
            return Boolean.toString(b.value());
        }
        if (e instanceof Expr.Name n) {
            return n.name();
        }
        if (e instanceof Expr.Field f) {
            return operand(f.target(), POSTFIX) + "." + f.field().name();
        }
        if (e instanceof Expr.Call c) {
            return c.name().name() + "(" + args(c.args()) + ")";
        }
        if (e instanceof Expr.Range r) {
            return print(r.start()) + " .. " + print(r.end());
        }
        if (e instanceof Expr.Unary u) {
            String operand = operand(u.operand(), UNARY);
            if (u.op() == Expr.UnaryOp.NOT) {
                return "!" + operand;
            }
            // "- -1", not "--1" (read as C's decrement) nor "-(-1)" (a nesting level per sign)
            return operand.startsWith("-") ? "- " + operand : "-" + operand;
        }
        Expr.Binary b = (Expr.Binary) e;
        return operand(b.left(), precedence(b)) + " " + b.op().symbol + " " + operand(b.right(), precedence(b) + 1);
    }

    String args(List<Arg> args) {
        return args.stream()
                .map(a -> a.name().map(n -> n.name() + ": ").orElse("") + print(a.value()))
                .collect(Collectors.joining(", "));
    }

    /** {@code e}, in parentheses if it binds looser than {@code min}. */
    private String operand(Expr e, int min) {
        String text = print(e);
        return precedence(e) < min ? "(" + text + ")" : text;
    }

    private static int precedence(Expr e) {
        if (e instanceof Expr.Unary) {
            return UNARY;
        }
        if (e instanceof Expr.Range) {
            return 0;
        }
        if (!(e instanceof Expr.Binary b)) {
            return POSTFIX;
        }
        return switch (b.op()) {
            case OR -> 1;
            case AND -> 2;
            case EQ, NE -> 3;
            case LT, LE, GT, GE -> 4;
            case ADD, SUB, BIT_OR -> 5;
            case MUL, DIV, MOD -> 6;
        };
    }

    /** The literal as written, if the position still points at a number with that spelling. */
    private String spelling(Pos pos, String fallback) {
        if (pos.line() < 1 || pos.line() > lines.size()) {
            return fallback;
        }
        String line = lines.get(pos.line() - 1);
        int from = pos.column() - 1;
        int to = from + pos.length();
        if (from < 0 || to > line.length()) {
            return fallback;
        }
        String text = line.substring(from, to);
        return text.matches("[0-9][0-9a-fA-FxX_]*[KMG]?") ? text : fallback;
    }
}
