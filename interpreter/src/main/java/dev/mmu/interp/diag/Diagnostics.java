package dev.mmu.interp.diag;

import dev.mmu.interp.ast.Pos;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The collector every front-end stage reports into, so one run shows every problem it finds. */
public final class Diagnostics {

    private final List<Diagnostic> list = new ArrayList<>();
    private final Set<Diagnostic> seen = new HashSet<>(); // so adding n diagnostics is O(n), not O(n^2)
    private boolean errors;

    public void error(Pos pos, String message) {
        add(Diagnostic.error(pos, message));
    }

    /** Adds a diagnostic once: outline rows checked alike report alike. */
    public void add(Diagnostic diagnostic) {
        if (seen.add(diagnostic)) {
            list.add(diagnostic);
            errors |= diagnostic.isError();
        }
    }

    public boolean hasErrors() {
        return errors;
    }

    /** Sorted by file, line and column, the order a user reads them in. */
    public List<Diagnostic> sorted() {
        return list.stream()
                .sorted(Comparator.comparing((Diagnostic d) -> d.pos().file())
                        .thenComparingInt(d -> d.pos().line())
                        .thenComparingInt(d -> d.pos().column()))
                .toList();
    }
}
