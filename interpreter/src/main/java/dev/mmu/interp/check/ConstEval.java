package dev.mmu.interp.check;

import dev.mmu.interp.ast.Expr;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Evaluates integer expressions that are known before exploring: literals, outline values and
 * arithmetic on them. Machine settings must be constant; addresses are checked when they are.
 */
final class ConstEval {

    private final Map<String, Long> row; // outline values of this scenario row

    ConstEval(Map<String, Long> row) {
        this.row = row;
    }

    /** The value, or empty if the expression depends on run-time state or divides by zero. */
    OptionalLong eval(Expr e) {
        if (e instanceof Expr.IntLit lit) {
            return OptionalLong.of(lit.value());
        }
        if (e instanceof Expr.Name name && row.containsKey(name.name())) {
            return OptionalLong.of(row.get(name.name()));
        }
        if (e instanceof Expr.Unary u && u.op() == Expr.UnaryOp.NEG) {
            OptionalLong v = eval(u.operand());
            return v.isPresent() ? OptionalLong.of(-v.getAsLong()) : v;
        }
        if (e instanceof Expr.Binary b) {
            OptionalLong l = eval(b.left());
            OptionalLong r = eval(b.right());
            if (l.isEmpty() || r.isEmpty()) {
                return OptionalLong.empty();
            }
            return apply(b.op(), l.getAsLong(), r.getAsLong());
        }
        return OptionalLong.empty();
    }

    private static OptionalLong apply(Expr.BinaryOp op, long l, long r) {
        return switch (op) {
            case ADD -> OptionalLong.of(l + r);
            case SUB -> OptionalLong.of(l - r);
            case MUL -> OptionalLong.of(l * r);
            case DIV -> r == 0 ? OptionalLong.empty() : OptionalLong.of(l / r);
            case MOD -> r == 0 ? OptionalLong.empty() : OptionalLong.of(l % r);
            case BIT_OR -> OptionalLong.of(l | r);
            default -> OptionalLong.empty();
        };
    }
}
