package dev.mmu.interp.ast;

import java.util.Optional;

/** A call argument: positional ({@code 0x1000}) or named ({@code flush: true}). */
public record Arg(Pos pos, Optional<Ident> name, Expr value) {
}
