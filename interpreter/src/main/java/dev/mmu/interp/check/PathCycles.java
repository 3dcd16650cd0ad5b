package dev.mmu.interp.check;

import dev.mmu.interp.ast.Block;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.parse.Nesting;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Reports user paths that call themselves, directly or through others: a recursive path has no
 * bound, so the explorer could not enumerate its steps. And paths whose calls, inlined by the
 * compiler, nest deeper than {@link Nesting#LIMIT} blocks: the compiler recurses that deep.
 */
final class PathCycles {

    private final Diagnostics diagnostics;
    private final Map<String, PathDecl> paths;
    private final Map<String, Integer> depth = new HashMap<>(); // inlined nesting, capped at LIMIT + 1

    PathCycles(Diagnostics diagnostics, Map<String, PathDecl> paths) {
        this.diagnostics = diagnostics;
        this.paths = paths;
    }

    /** One path being visited: its calls (a callee and the blocks around it) and the deepest so far. */
    private final class Frame {
        final String name;
        final List<Map.Entry<String, Integer>> calls = new ArrayList<>();
        int next;
        int pendingLevel;   // the blocks around the call being visited
        int deepest;
        boolean calleeTooDeep;

        Frame(String name) {
            this.name = name;
            PathCycles.calls(paths.get(name).body(), 1, (callee, level) -> {
                if (paths.containsKey(callee)) {
                    calls.add(Map.entry(callee, level));
                }
            });
        }

        void callee(int level, int d) {
            calleeTooDeep |= d > Nesting.LIMIT;
            deepest = Math.max(deepest, level + d);
        }
    }

    /** Depth first, with an explicit stack: a chain of thousands of paths must not overflow ours. */
    void check() {
        for (String root : paths.keySet()) {
            if (depth.containsKey(root)) {
                continue;
            }
            List<Frame> stack = new ArrayList<>(List.of(new Frame(root)));
            Set<String> onStack = new HashSet<>(Set.of(root));
            while (!stack.isEmpty()) {
                Frame f = stack.get(stack.size() - 1);
                if (f.next < f.calls.size()) {
                    Map.Entry<String, Integer> call = f.calls.get(f.next++);
                    String callee = call.getKey();
                    if (depth.containsKey(callee)) {
                        f.callee(call.getValue(), depth.get(callee));
                    } else if (onStack.contains(callee)) {
                        cycle(stack, callee);
                    } else {
                        f.pendingLevel = call.getValue();
                        stack.add(new Frame(callee));
                        onStack.add(callee);
                    }
                    continue;
                }
                stack.remove(stack.size() - 1);
                onStack.remove(f.name);
                int d = Math.min(f.deepest, Nesting.LIMIT + 1);
                if (d > Nesting.LIMIT && !f.calleeTooDeep) {
                    diagnostics.error(paths.get(f.name).name().pos(), "path '" + f.name + "' nests more than "
                            + Nesting.LIMIT + " levels deep with the paths it calls inlined: call fewer paths "
                            + "inside each other");
                }
                depth.put(f.name, d);
                if (!stack.isEmpty()) {
                    Frame parent = stack.get(stack.size() - 1);
                    parent.callee(parent.pendingLevel, d);
                }
            }
        }
    }

    private void cycle(List<Frame> stack, String name) {
        List<String> cycle = new ArrayList<>();
        boolean in = false;
        for (Frame f : stack) {
            in |= f.name.equals(name);
            if (in) {
                cycle.add(f.name);
            }
        }
        cycle.add(name);
        diagnostics.error(paths.get(name).name().pos(), "path '" + name + "' calls itself ("
                + String.join(" -> ", cycle) + "): a recursive path has no bound to explore");
    }

    /** Each path called as a statement in a block, with the number of blocks around the call. */
    private static void calls(Block block, int level, BiConsumer<String, Integer> call) {
        for (Stmt s : block.statements()) {
            if (s instanceof Stmt.CallStmt c) {
                call.accept(c.call().name().name(), level);
            } else if (s instanceof Stmt.If i) {
                calls(i.then(), level + 1, call);
                i.orElse().ifPresent(b -> calls(b, level + 1, call));
            } else if (s instanceof Stmt.IfNeedResched n) {
                calls(n.then(), level + 1, call);
                n.orElse().ifPresent(b -> calls(b, level + 1, call));
            } else if (s instanceof Stmt.While w) {
                calls(w.body(), level + 1, call);
            } else if (s instanceof Stmt.ForLpageDisallowed f) {
                calls(f.body(), level + 1, call);
            } else if (s instanceof Stmt.ForTdpPte f) {
                calls(f.body(), level + 1, call);
            } else if (s instanceof Stmt.ForFaultWalk f) {
                calls(f.body(), level + 1, call);
            } else if (s instanceof Stmt.ForList f) {
                calls(f.body(), level + 1, call);
            } else if (s instanceof Stmt.Repeat r) {
                calls(r.body(), level + 1, call);
            } else if (s instanceof Stmt.Atomic a) {
                calls(a.body(), level + 1, call);
            } else if (s instanceof Stmt.Choose c) {
                c.branches().forEach(b -> calls(b, level + 1, call));
            }
        }
    }
}
