package dev.mmu.interp.compile;

import dev.mmu.interp.ast.Pos;

/** A checked construct the runtime cannot run yet; reported like any other diagnostic. */
public final class CompileError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public final transient Pos pos;

    public CompileError(Pos pos, String message) {
        super(message, null, false, false);
        this.pos = pos;
    }
}
