package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.VmState;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * The trace's "!! name: why" for a structural invariant ({@link Invariants#STRUCTURAL}) that a
 * traced step makes hold: no op records it, so a counterexample ended on a step that said nothing
 * of what broke (a page_table_leak after "kvm_tdp_mmu_put_root: last reference"). After each op
 * of the step the invariants that did not hold at its start are checked; those that still hold at
 * its end are noted after the op that broke them (one that held only between two merged ops is
 * not, as the search never saw it). Only while tracing.
 */
final class StructuralNotes {
    private record Pending(int offset, int clause, String why) {}

    private final Exec e;
    private final StringBuilder trace;
    private final EnumSet<Invariant> before = EnumSet.noneOf(Invariant.class);
    private final Map<Invariant, Pending> pending = new EnumMap<>(Invariant.class);

    StructuralNotes(Exec e, StringBuilder trace) {
        this.e = e;
        this.trace = trace;
        for (Invariant inv : Invariants.STRUCTURAL) if (Invariants.violated(inv, e.s)) before.add(inv);
    }

    /** After an op: an invariant that starts to hold is remembered where the trace is now. */
    void afterOp() {
        VmState s = e.s;
        for (Invariant inv : Invariants.STRUCTURAL) {
            if (before.contains(inv)) continue;
            // a step that recorded it said why itself
            String why = inv.violatedIn(s) ? null : Invariants.why(inv, s);
            if (why == null) pending.remove(inv);
            else pending.putIfAbsent(inv, new Pending(trace.length(), e.clauses(), why));
        }
    }

    /**
     * At the step's end (after {@link #afterOp} for its last effects): the notes go in where each
     * invariant started to hold; opStarts (if any) move past them. With {@code described}, the
     * step's text is the op's description alone (it noted nothing), and the notes follow it.
     */
    void insert(List<Integer> opStarts, boolean described) {
        List<Map.Entry<Invariant, Pending>> notes = new ArrayList<>(pending.entrySet());
        // from the end, so that offsets stay right; at one offset the last first, so they read in order
        notes.sort((a, b) -> a.getValue().offset() != b.getValue().offset()
                ? Integer.compare(b.getValue().offset(), a.getValue().offset()) : b.getKey().compareTo(a.getKey()));
        for (Map.Entry<Invariant, Pending> n : notes) {
            String note = "!! " + n.getKey().name() + ": " + n.getValue().why();
            int at = described ? trace.length() : n.getValue().offset();
            if (at > 0) trace.insert(at, "; " + note);
            else trace.insert(0, note + "; "); // broken before the step noted anything (its text is never empty here)
            if (opStarts != null) {
                for (int i = 0; i < opStarts.size(); i++) {
                    if (opStarts.get(i) >= n.getValue().clause()) opStarts.set(i, opStarts.get(i) + 1);
                }
            }
        }
    }
}
