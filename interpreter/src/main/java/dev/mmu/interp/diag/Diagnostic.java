package dev.mmu.interp.diag;

import dev.mmu.interp.ast.Pos;

/** One message about the user's input, anchored at a source span. */
public record Diagnostic(Pos pos, Severity severity, String message) {

    public static Diagnostic error(Pos pos, String message) {
        return new Diagnostic(pos, Severity.ERROR, message);
    }

    public static Diagnostic warning(Pos pos, String message) {
        return new Diagnostic(pos, Severity.WARNING, message);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }
}
