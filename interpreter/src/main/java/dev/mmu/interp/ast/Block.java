package dev.mmu.interp.ast;

import java.util.List;

/** A braced statement list; {@code pos} spans the opening brace. */
public record Block(Pos pos, List<Stmt> statements) {
}
