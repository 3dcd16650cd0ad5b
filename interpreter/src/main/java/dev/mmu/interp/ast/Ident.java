package dev.mmu.interp.ast;

/** A name as written, with its own position so that "unknown name" points at the name. */
public record Ident(Pos pos, String name) {
}
