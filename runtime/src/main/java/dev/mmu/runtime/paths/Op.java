package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;

/**
 * One instruction of a thread's program. Each op is a step of its own, unless its footprint
 * proves that no other thread can tell it apart from the step before it ({@link StepMerging}).
 */
public interface Op {
    /** Scheduler choices this op offers in s: 0 = blocked (e.g. a lock held by another thread). */
    default int choices(VmState s, int thread) {
        return 1;
    }

    void exec(Exec e, int choice);

    /**
     * What the op may read and write of the shared state, whatever the state and the choice. It
     * must not under-state: step merging, symmetry and (later) partial-order reduction rely on it.
     */
    Footprint footprint();

    /**
     * What the op may read and write in a VM of this configuration: at most {@link #footprint()}
     * (rwlock_needbreak() reads mmu_lock's queue only under full preemption).
     */
    default Footprint footprint(VmConfig config) {
        return footprint();
    }

    /**
     * What the op reads and writes when it runs in s: at most {@link #footprint(VmConfig)}, and
     * everything its effect there depends on (partial-order reduction compares the steps enabled
     * in s). Only ops whose footprint narrows much with the state (a guest access that hits the
     * TLB) need it.
     */
    default Footprint footprint(VmState s, int thread) {
        return footprint(s.config);
    }

    /**
     * What the op reads when it runs invisibly (sets {@code Exec.invisible}: it decided only where
     * the thread goes next, e.g. need_resched() said no); null (the default) for an op that never
     * does, which partial-order reduction relies on (an op that runs invisibly without declaring
     * it stops the search with an internal error).
     */
    default Footprint invisibleFootprint() {
        return null;
    }

    /** {@link #invisibleFootprint()} in a VM of this configuration. */
    default Footprint invisibleFootprint(VmConfig config) {
        return invisibleFootprint();
    }

    /** Where the thread may continue after this op at pc (its control-flow successors). */
    default int[] targets(int pc) {
        return new int[] {pc + 1};
    }

    /**
     * The thread's locals it may read, in {@link #choices} or {@link #exec}, whatever the choice;
     * null (the default): unknown, so every local counts as read. It must not under-state: the
     * dead-locals analysis ({@link LiveLocals}) leaves the others out of the state key.
     */
    default int[] localsRead() {
        return null;
    }

    /** The locals it has always written when it continues at {@code target} (a target of pc). */
    default int[] localsWritten(int pc, int target) {
        return LiveLocals.NONE;
    }

    /** A short name for `explain` and for the trace when the op prints nothing itself. */
    String describe();
}
