package dev.mmu.interp.diag;

/** How bad a diagnostic is; any ERROR means the file is not run. */
public enum Severity {
    ERROR, WARNING;

    /** The word printed after the position: "error", "warning". */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
