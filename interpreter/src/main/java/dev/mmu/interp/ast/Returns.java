package dev.mmu.interp.ast;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Whether statements end their path on every way through them, as C's "control reaches end of
 * non-void function" asks: a {@code return}, an if/else (or choose) each of whose branches does, an
 * atomic block or a block with one such statement, a {@code while true} no {@code break} leaves.
 * A loop that may run no pass, or an if without else, may go on. Conditions are not evaluated (a
 * vm setting known when compiling counts as unknown here, as C's `if (!tdp_mmu_enabled)` does).
 *
 * <p>A goto out of a {@code while true} leaves it if its label follows the loop; one back to a label
 * before it runs the loop again, and leaves nothing. Which is which needs the path's labels
 * ({@link #of}); without them ({@link #ANY}) every goto out counts as leaving (the conservative side).
 */
public final class Returns {
    /** Where each label of the path stands; a goto to one not here counts as leaving forward. */
    private final Map<String, Pos> labels;

    /** For statements whose path is not at hand: every goto out of a loop leaves it. */
    public static final Returns ANY = new Returns(Map.of());

    private Returns(Map<String, Pos> labels) {
        this.labels = labels;
    }

    /** For the statements of the path whose body this is. */
    public static Returns of(Block pathBody) {
        Map<String, Pos> labels = new HashMap<>();
        collect(pathBody, labels);
        return new Returns(labels);
    }

    /** The labels of a block and the blocks inside it, with where each stands. */
    private static void collect(Block b, Map<String, Pos> labels) {
        for (Stmt s : b.statements()) {
            if (s instanceof Stmt.Label l) labels.putIfAbsent(l.name().name(), l.pos());
            for (Block inner : Stmt.blocks(s)) collect(inner, labels);
        }
    }

    /** Whether control cannot go on past s, with no path's labels known (see {@link #ANY}). */
    public static boolean always(Stmt s) {
        return ANY.ends(s);
    }

    /** The same for a block. */
    public static boolean always(Block b) {
        return ANY.ends(b);
    }

    /** Whether control cannot go on past s (it returns or jumps, or loops forever without a break or a goto past it). */
    public boolean ends(Stmt s) {
        if (s instanceof Stmt.Return || s instanceof Stmt.Goto) return true;
        if (s instanceof Stmt.If i) return i.orElse().isPresent() && ends(i.then()) && ends(i.orElse().get());
        if (s instanceof Stmt.IfNeedResched n) return n.orElse().isPresent() && ends(n.then()) && ends(n.orElse().get());
        if (s instanceof Stmt.Choose c) return c.branches().stream().allMatch(this::ends);
        if (s instanceof Stmt.Atomic a) return ends(a.body());
        if (s instanceof Stmt.While w) return w.cond() instanceof Expr.BoolLit b && b.value() && !leaves(w);
        return false;
    }

    /**
     * Whether control cannot reach the block's end: some statement always returns or jumps, and no
     * label after it (a goto's way in) is reached again.
     */
    public boolean ends(Block b) {
        boolean goesOn = true;
        for (Stmt s : b.statements()) {
            if (s instanceof Stmt.Label) goesOn = true;
            else if (ends(s)) goesOn = false;
        }
        return !goesOn;
    }

    /** Whether a `break` in the loop's body, or a goto to a label after the loop, leaves it. */
    private boolean leaves(Stmt.While loop) {
        Map<String, Pos> inside = new HashMap<>();
        collect(loop.body(), inside);
        return leaves(loop.body(), loop.pos(), inside.keySet(), true);
    }

    /** breaks: whether a break here leaves the loop (not inside a loop nested in it). */
    private boolean leaves(Block b, Pos loop, Set<String> inside, boolean breaks) {
        for (Stmt s : b.statements()) {
            if (breaks && s instanceof Stmt.Break br && !br.isContinue()) return true;
            if (s instanceof Stmt.Goto g && !inside.contains(g.label().name()) && past(g.label().name(), loop)) return true;
            for (Block inner : Stmt.blocks(s)) {
                if (leaves(inner, loop, inside, breaks && !isLoop(s))) return true;
            }
        }
        return false;
    }

    /** Whether the label (not inside the loop, so before it or after it) follows the loop at loop. */
    private boolean past(String label, Pos loop) {
        Pos at = labels.get(label);
        return at == null || at.line() > loop.line() || at.line() == loop.line() && at.column() > loop.column();
    }

    private static boolean isLoop(Stmt s) {
        return s instanceof Stmt.While || s instanceof Stmt.Repeat || s instanceof Stmt.ForList
                || s instanceof Stmt.ForLpageDisallowed || s instanceof Stmt.ForTdpPte || s instanceof Stmt.ForFaultWalk;
    }
}
