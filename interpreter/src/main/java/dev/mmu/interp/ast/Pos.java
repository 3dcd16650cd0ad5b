package dev.mmu.interp.ast;

/**
 * Where a node or a diagnostic sits in the source: the file as the user named it, a 1-based
 * line and column, and the length in characters of the span (at least 1, so a caret always shows).
 */
public record Pos(String file, int line, int column, int length) {

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
