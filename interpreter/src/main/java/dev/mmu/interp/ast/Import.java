package dev.mmu.interp.ast;

/** {@code import "lib/nx.mmu"}: the path is relative to the importing file. */
public record Import(Pos pos, String path) {
}
