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

    /** Whether control cannot go on past s (it returns or jumps, or loops forever without a break or a goto out). */
    public static boolean always(Stmt s) {
        if (s instanceof Stmt.Return || s instanceof Stmt.Goto) return true;
        if (s instanceof Stmt.If i) return i.orElse().isPresent() && always(i.then()) && always(i.orElse().get());
        if (s instanceof Stmt.IfNeedResched n) return n.orElse().isPresent() && always(n.then()) && always(n.orElse().get());
        if (s instanceof Stmt.Choose c) return c.branches().stream().allMatch(Returns::always);
        if (s instanceof Stmt.Atomic a) return always(a.body());
        if (s instanceof Stmt.While w) return w.cond() instanceof Expr.BoolLit b && b.value() && !breaks(w.body());
        return false;
    }

    /**
     * Whether control cannot reach the block's end: some statement always returns or jumps, and no
     * label after it (a goto's way in) is reached again.
     */
    public static boolean always(Block b) {
        boolean goesOn = true;
        for (Stmt s : b.statements()) {
            if (s instanceof Stmt.Label) goesOn = true;
            else if (always(s)) goesOn = false;
        }
        return !goesOn;
    }

    /** Whether a `break` in the block, or a goto to a label outside it, leaves the loop whose body it is. */
    static boolean breaks(Block b) {
        java.util.Set<String> inside = new java.util.HashSet<>();
        labels(b, inside);
        return breaks(b, inside);
    }

    private static boolean breaks(Block b, java.util.Set<String> inside) {
        for (Stmt s : b.statements()) {
            if (s instanceof Stmt.Break br && !br.isContinue()) return true;
            if (s instanceof Stmt.Goto g && !inside.contains(g.label().name())) return true;
            for (Block inner : Stmt.blocks(s)) {
                if (isLoop(s) ? gotoOut(inner, inside) : breaks(inner, inside)) return true;
            }
        }
        return false;
    }

    /** Whether a goto in the block (at any depth) goes to a label not among inside. */
    private static boolean gotoOut(Block b, java.util.Set<String> inside) {
        for (Stmt s : b.statements()) {
            if (s instanceof Stmt.Goto g && !inside.contains(g.label().name())) return true;
            for (Block inner : Stmt.blocks(s)) if (gotoOut(inner, inside)) return true;
        }
        return false;
    }

    /** The labels of a block and the blocks inside it, into names. */
    public static void labels(Block b, java.util.Set<String> names) {
        for (Stmt s : b.statements()) {
            if (s instanceof Stmt.Label l) names.add(l.name().name());
            for (Block inner : Stmt.blocks(s)) labels(inner, names);
        }
    }

    private static boolean isLoop(Stmt s) {
        return s instanceof Stmt.While || s instanceof Stmt.Repeat || s instanceof Stmt.ForList
                || s instanceof Stmt.ForLpageDisallowed || s instanceof Stmt.ForTdpPte || s instanceof Stmt.ForFaultWalk;
    }
}
