package dev.mmu.interp.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/** Fixed exit codes (conventions.md). */
public final class ExitCode {
    public static final int PASS = 0;
    public static final int FAIL = 1;
    public static final int BAD_INPUT = 2;
    public static final int INTERNAL = 3;
    public static final int UNKNOWN = 4;

    /** What `mmu --help`, `mmu check --help` and `mmu test --help` say about them. */
    static final Map<String, String> HELP = new LinkedHashMap<>();

    static {
        HELP.put("0", "every expectation holds");
        HELP.put("1", "an expectation failed (with its trace and replay token)");
        HELP.put("2", "bad input: file:line:col: error: ..., a missing file, a bad flag");
        HELP.put("3", "internal fault (please report it; --debug prints the stack trace)");
        HELP.put("4", "UNKNOWN: a budget ran out (--time, --max-states) or Ctrl-C");
    }

    private ExitCode() {}
}
