package dev.mmu.interp.ast;

import java.util.List;

/** One {@code x in [1, 2]} of a scenario outline; the scenario expands once per combination. */
public record OutlineVar(Pos pos, Ident name, List<Expr> values) {
}
