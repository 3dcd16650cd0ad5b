package dev.mmu.interp.ast;

/**
 * {@code global x = CONST} at file level: a variable every thread of every scenario of the file
 * (and of its importers) shares, for kernel state the model lacks. Each scenario starts from the
 * constant.
 */
public record GlobalDecl(Pos pos, Ident name, Expr value) {
}
