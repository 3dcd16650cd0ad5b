package dev.mmu.interp.check;

import dev.mmu.interp.ast.Block;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.diag.Suggestions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves a path's gotos to its labels: each goto jumps to a label of its own block or of one
 * enclosing it, forward as C's `goto out_unlock` leaves ifs and loops, or back as `goto restart`
 * runs a loop again (never into a block, which in C skips the block's start).
 */
final class Gotos {
    /** A statement and where it stands: the blocks from the path's body down to its own, and its index in each. */
    private record Site(Stmt stmt, List<Block> blocks, List<Integer> indexes) {
    }

    private final Diagnostics diagnostics;
    private final Map<String, Site> labels = new LinkedHashMap<>();
    private final List<Site> gotos = new ArrayList<>();

    private Gotos(Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
    }

    /**
     * Reports each goto without a label it may jump to, each duplicate label, and (warnings) unused
     * labels; whether some goto jumps back (its checker then iterates to a fixed point).
     */
    static boolean check(Block body, Diagnostics diagnostics) {
        Gotos g = new Gotos(diagnostics);
        g.collect(body, new ArrayList<>(), new ArrayList<>());
        return g.resolve();
    }

    private void collect(Block block, List<Block> blocks, List<Integer> indexes) {
        blocks.add(block);
        indexes.add(0);
        List<Stmt> statements = block.statements();
        for (int i = 0; i < statements.size(); i++) {
            Stmt s = statements.get(i);
            indexes.set(indexes.size() - 1, i);
            Site site = new Site(s, List.copyOf(blocks), List.copyOf(indexes));
            if (s instanceof Stmt.Label l) {
                Site first = labels.putIfAbsent(l.name().name(), site);
                if (first != null) {
                    diagnostics.error(l.name().pos(), "duplicate label '" + l.name().name() + "': the path has one at line "
                            + first.stmt().pos().line());
                }
            } else if (s instanceof Stmt.Goto) {
                gotos.add(site);
            }
            for (Block inner : Stmt.blocks(s)) collect(inner, blocks, indexes);
        }
        blocks.remove(blocks.size() - 1);
        indexes.remove(indexes.size() - 1);
    }

    private boolean resolve() {
        boolean backward = false;
        Set<String> used = new HashSet<>();
        for (Site site : gotos) {
            Stmt.Goto g = (Stmt.Goto) site.stmt();
            String name = g.label().name();
            Site label = labels.get(name);
            if (label == null) {
                diagnostics.error(g.label().pos(), "no label '" + name + "' in this path: a goto jumps to 'NAME:' in its block or one enclosing it"
                        + Suggestions.hint(name, labels.keySet()));
                continue;
            }
            used.add(name);
            Block target = label.blocks().get(label.blocks().size() - 1);
            int depth = indexOf(site.blocks(), target);
            if (depth < 0) {
                diagnostics.error(g.pos(), "goto into a block: '" + name + ":' is inside a block this goto is not in; "
                        + "put the label in the goto's block or one enclosing it");
            } else {
                backward |= label.indexes().get(depth) < site.indexes().get(depth);
            }
        }
        labels.forEach((name, site) -> {
            if (!used.contains(name)) {
                diagnostics.add(Diagnostic.warning(((Stmt.Label) site.stmt()).name().pos(), "label '" + name + "' is never jumped to"));
            }
        });
        return backward;
    }

    /** The position of block among blocks, by identity (two empty blocks are equal records). */
    private static int indexOf(List<Block> blocks, Block block) {
        for (int i = 0; i < blocks.size(); i++) if (blocks.get(i) == block) return i;
        return -1;
    }
}
