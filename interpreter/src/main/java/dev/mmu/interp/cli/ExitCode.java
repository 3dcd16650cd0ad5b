package dev.mmu.interp.cli;

/** Fixed exit codes (conventions.md). */
public final class ExitCode {
    public static final int PASS = 0;
    public static final int FAIL = 1;
    public static final int BAD_INPUT = 2;
    public static final int INTERNAL = 3;
    public static final int UNKNOWN = 4;

    private ExitCode() {}
}
