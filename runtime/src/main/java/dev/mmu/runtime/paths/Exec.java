package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.ThreadState;
import dev.mmu.runtime.model.VmState;

/**
 * One atomic step in progress: the successor state being written, the thread running, and (when
 * replaying a trace) the text that tells a reader what the step did in kernel terms.
 */
public final class Exec {
    public final Program program;
    public final VmState s;
    public final int thread;
    /** Non-null only while rendering a trace: exploration does not pay for strings. */
    private final StringBuilder trace;
    /** Where the thread continues; ops that branch overwrite it. */
    public int nextPc;
    /** Set by an op that did nothing another thread could see (need_resched() false): the step goes on. */
    boolean invisible;
    /** Clauses noted so far, and (if asked) the clause each op merged into the step starts at. */
    private int clauses;
    java.util.List<Integer> opStarts;
    /** While tracing, the structural invariants the step makes hold (else null). */
    final StructuralNotes structural;
    /** A trial run on a copy ({@link PagesLockWait}): nothing of it is kept, and program is null. */
    private final boolean probe;
    /** Set on a trial run that reached a tdp_mmu_unlink_sp() spinning on tdp_mmu_pages_lock. */
    boolean spunOnPagesLock;

    Exec(Program program, VmState s, int thread, StringBuilder trace) {
        this(program, s, thread, trace, false);
    }

    private Exec(Program program, VmState s, int thread, StringBuilder trace, boolean probe) {
        this.probe = probe;
        this.program = program;
        this.s = s;
        this.thread = thread;
        this.trace = trace;
        this.nextPc = s.threads[thread].pc + 1;
        this.structural = trace == null ? null : new StructuralNotes(this, trace);
    }

    /** A trial run of thread's op on s, a copy: no program, no trace, no metrics. */
    static Exec probe(VmState s, int thread) {
        return new Exec(null, s, thread, null, true);
    }

    /**
     * tdp_mmu_unlink_sp() reached spin_lock(&kvm->arch.tdp_mmu_pages_lock) while a thread holds
     * it: a trial run notes it (the op waits); a real step goes on as before (an op that does not
     * ask {@link PagesLockWait} in its choices() runs under the write lock, where no other thread
     * holds the spinlock unless it took it without mmu_lock, a lockdep violation of its own).
     */
    void spinOnPagesLock() {
        if (probe) spunOnPagesLock = true;
    }

    /** Whether metrics are kept: an expectation reads them (never on a trial run). */
    boolean trackMetrics() {
        return program != null && program.trackMetrics();
    }

    /** Clauses noted so far. */
    int clauses() {
        return clauses;
    }

    /** The running thread's state, for reading or writing (the successor's own copy). */
    public ThreadState self() {
        return s.threadForWrite(thread);
    }

    public boolean tracing() {
        return trace != null;
    }

    /** Appends a clause to the step's description, e.g. "SPTE L2[0] table sp2 -> non-present". */
    public void note(String text) {
        if (trace != null) {
            if (trace.length() > 0) trace.append("; ");
            trace.append(text);
            clauses++;
        }
    }

    /** An op merged into the step starts here: a trace can tell its clauses from the earlier ops'. */
    void opStart() {
        if (opStarts != null && clauses > 0 && (opStarts.isEmpty() || opStarts.get(opStarts.size() - 1) < clauses)) {
            opStarts.add(clauses);
        }
    }

    /** Records a broken invariant; the trace names it the first time only (the bit is sticky). */
    public void violate(Invariant inv, String why) {
        if (inv.violatedIn(s)) return;
        s.violate(inv.ordinal());
        note("!! " + inv.name() + ": " + why);
    }

    /** Counts an SPTE operation towards lock_hold_work when that metric is watched. */
    public void work() {
        if (trackMetrics()) {
            ThreadState t = self();
            t.holdWork++;
            if (t.holdWork > s.lockHoldWork) s.lockHoldWork = t.holdWork;
        }
    }
}
