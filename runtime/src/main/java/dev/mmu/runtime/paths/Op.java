package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.VmState;

/**
 * One instruction of a thread's program. Ops that touch shared state end an atomic step: other
 * threads may run between two of them. Silent ops (jumps, local arithmetic) run in the step of
 * the op before them.
 */
public interface Op {
    /** Scheduler choices this op offers in s: 0 = blocked (e.g. a lock held by another thread). */
    default int choices(VmState s, int thread) {
        return 1;
    }

    void exec(Exec e, int choice);

    /**
     * True when no other thread can observe the op in s: it touches only the thread's locals, or
     * reads state that the mmu_lock the thread holds for write keeps still. It then runs in the
     * step of the op before it.
     */
    default boolean silent(VmState s, int thread) {
        return false;
    }

    /** A short name for `explain` and for the trace when the op prints nothing itself. */
    String describe();
}
