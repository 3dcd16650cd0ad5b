package dev.mmu.interp.ast;

/**
 * Whether statements end their path on every way through them, as C's "control reaches end of
 * non-void function" asks: a {@code return}, an if/else (or choose) each of whose branches does, an
 * atomic block or a block with one such statement, a {@code while true} no {@code break} leaves.
 * A loop that may run no pass, or an if without else, may go on. Conditions are not evaluated (a
 * vm setting known when compiling counts as unknown here, as C's `if (!tdp_mmu_enabled)` does).
 */
public final class Returns {
    private Returns() {
    }

    /** Whether control cannot go on past s (it returns, or loops forever without a break). */
    public static boolean always(Stmt s) {
        if (s instanceof Stmt.Return) return true;
        if (s instanceof Stmt.If i) return i.orElse().isPresent() && always(i.then()) && always(i.orElse().get());
        if (s instanceof Stmt.IfNeedResched n) return n.orElse().isPresent() && always(n.then()) && always(n.orElse().get());
        if (s instanceof Stmt.Choose c) return c.branches().stream().allMatch(Returns::always);
        if (s instanceof Stmt.Atomic a) return always(a.body());
        if (s instanceof Stmt.While w) return w.cond() instanceof Expr.BoolLit b && b.value() && !breaks(w.body());
        return false;
    }

    /** Whether some statement of the block always returns (what follows it is unreachable). */
    public static boolean always(Block b) {
        return b.statements().stream().anyMatch(Returns::always);
    }

    /** Whether a `break` in the block leaves the loop whose body it is (not one of a loop inside it). */
    static boolean breaks(Block b) {
        for (Stmt s : b.statements()) {
            if (s instanceof Stmt.Break br && !br.isContinue()) return true;
            if (isLoop(s)) continue;
            for (Block inner : Stmt.blocks(s)) if (breaks(inner)) return true;
        }
        return false;
    }

    private static boolean isLoop(Stmt s) {
        return s instanceof Stmt.While || s instanceof Stmt.Repeat || s instanceof Stmt.ForList
                || s instanceof Stmt.ForLpageDisallowed || s instanceof Stmt.ForTdpPte || s instanceof Stmt.ForFaultWalk;
    }
}
