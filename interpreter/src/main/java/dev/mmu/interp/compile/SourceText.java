package dev.mmu.interp.compile;

import dev.mmu.interp.ast.Arg;
import dev.mmu.interp.ast.Expr;
import java.util.ArrayList;
import java.util.List;

/** An expression printed back as source, for expectation texts and trace lines. */
final class SourceText {
    private SourceText() {}

    static String of(Expr e) {
        if (e instanceof Expr.IntLit i) return i.value() >= 4096 ? "0x" + Long.toHexString(i.value()) : Long.toString(i.value());
        if (e instanceof Expr.BoolLit b) return Boolean.toString(b.value());
        if (e instanceof Expr.Name n) return n.name().startsWith("$") ? "(call)" : n.name();
        if (e instanceof Expr.Field f) return of(f.target()) + "." + f.field().name();
        if (e instanceof Expr.Range r) return of(r.start()) + " .. " + of(r.end());
        if (e instanceof Expr.Unary u) return (u.op() == Expr.UnaryOp.NOT ? "!" : "-") + of(u.operand());
        if (e instanceof Expr.Binary b) return of(b.left()) + " " + b.op().symbol + " " + of(b.right());
        Expr.Call c = (Expr.Call) e;
        List<String> args = new ArrayList<>();
        for (Arg a : c.args()) args.add(a.name().map(n -> n.name() + ": ").orElse("") + of(a.value()));
        return c.name().name() + "(" + String.join(", ", args) + ")";
    }
}
