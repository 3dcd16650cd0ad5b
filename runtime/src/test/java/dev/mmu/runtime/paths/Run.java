package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import java.util.function.Consumer;

/**
 * Runs a setup and its threads to their ends, one thread after the other (choice 0 everywhere), keeping
 * the trace a counterexample would print: the single interleaving a unit test wants to look at.
 */
final class Run {
    final MmuSystem system;
    VmState s;
    final StringBuilder trace = new StringBuilder();

    /** Runs every thread of p to its end, the first thread first. */
    Run(Program p) {
        system = new MmuSystem(p);
        s = system.initial();
        for (String line : system.setupTrace()) trace.append(line).append('\n');
        for (int t = 0; t < p.threads().size(); t++) {
            while (s.threads[t].pc < p.threads().get(t).ops().length) {
                StringBuilder sb = new StringBuilder();
                s = system.step(s, t, 0, sb);
                trace.append(sb).append('\n');
            }
        }
    }

    /** The setup, then `body` as a thread of no vCPU. */
    static Run of(VmConfig c, Consumer<PathBuilder> setup, Consumer<PathBuilder> body) {
        return new Run(InvariantsTest.program(c, setup, InvariantsTest.thread("t", body)));
    }

    static Run of(VmConfig c, Consumer<PathBuilder> body) {
        return of(c, b -> { }, body);
    }

    long local(int slot) {
        return s.threads[0].locals[slot];
    }

    boolean violated(Invariant inv) {
        return Invariants.violated(inv, s);
    }

    long spte(long gpa, String field) {
        return Queries.spte(s, gpa, field);
    }

    boolean hostFreed(long gpa) {
        return Queries.hostFreed(s, gpa) != 0;
    }

    String trace() {
        return trace.toString();
    }
}
