package dev.mmu.interp.check;

import dev.mmu.interp.ast.Block;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.diag.Diagnostics;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reports user paths that call themselves, directly or through others: a recursive path has no
 * bound, so the explorer could not enumerate its steps.
 */
final class PathCycles {

    private final Diagnostics diagnostics;
    private final Map<String, PathDecl> paths;
    private final Set<String> done = new HashSet<>();
    private final List<String> stack = new ArrayList<>();

    PathCycles(Diagnostics diagnostics, Map<String, PathDecl> paths) {
        this.diagnostics = diagnostics;
        this.paths = paths;
    }

    void check() {
        paths.keySet().forEach(this::visit);
    }

    private void visit(String name) {
        if (done.contains(name)) {
            return;
        }
        int at = stack.indexOf(name);
        if (at >= 0) {
            List<String> cycle = new ArrayList<>(stack.subList(at, stack.size()));
            cycle.add(name);
            diagnostics.error(paths.get(name).name().pos(), "path '" + name + "' calls itself ("
                    + String.join(" -> ", cycle) + "): a recursive path has no bound to explore");
            return;
        }
        stack.add(name);
        for (String callee : callees(paths.get(name).body(), new LinkedHashSet<>())) {
            if (paths.containsKey(callee)) {
                visit(callee);
            }
        }
        stack.remove(stack.size() - 1);
        done.add(name);
    }

    /** Names called as statements in a block, nested blocks included (paths have no value). */
    private static Set<String> callees(Block block, Set<String> into) {
        for (Stmt s : block.statements()) {
            if (s instanceof Stmt.CallStmt c) {
                into.add(c.call().name().name());
            } else if (s instanceof Stmt.If i) {
                callees(i.then(), into);
                i.orElse().ifPresent(b -> callees(b, into));
            } else if (s instanceof Stmt.IfNeedResched n) {
                callees(n.then(), into);
                n.orElse().ifPresent(b -> callees(b, into));
            } else if (s instanceof Stmt.While w) {
                callees(w.body(), into);
            } else if (s instanceof Stmt.ForLpageDisallowed f) {
                callees(f.body(), into);
            } else if (s instanceof Stmt.ForTdpPte f) {
                callees(f.body(), into);
            } else if (s instanceof Stmt.Repeat r) {
                callees(r.body(), into);
            } else if (s instanceof Stmt.Atomic a) {
                callees(a.body(), into);
            }
        }
        return into;
    }
}
