package dev.mmu.runtime.model;

import java.util.Arrays;

/**
 * Where one thread is: its program counter, its locals (C stack variables such as {@code flush},
 * {@code to_zap}, {@code sp}, {@code mmu_seq}), the {@code invalid_list} on its stack, and an sp
 * kvm_tdp_mmu_map() allocated that a failed link left unlinked.
 */
public final class ThreadState {
    public int pc;
    public final long[] locals;
    /** LIST_HEAD(invalid_list) of the running path: shadow-page ids prepared but not committed. */
    public int[] invalidList;
    /** SPTE operations since this thread last took mmu_lock (the lock_hold_work metric). */
    public int holdWork;
    /**
     * srcu_read_lock()s this thread holds beyond its first (VmState.srcuReaders has its bit): SRCU
     * read sections nest, each srcu_read_unlock() ends one.
     */
    public int srcuDepth;
    /**
     * rcu_read_lock()s this thread holds beyond its first (VmState.rcuReaders has its bit): RCU read
     * sections nest (rcu_read_lock_nesting), as a walk's own inside a pasted caller's; each
     * rcu_read_unlock() ends one.
     */
    public int rcuDepth;
    /**
     * read_lock(mmu_lock)s this thread holds beyond its first (VmState.mmuReaders has its bit): a
     * nested one is lockdep's recursive locking, but the qrwlock counts it, so each unlock ends one.
     */
    public int mmuReadDepth;
    /**
     * 1 while this thread holds kvm_tdp_mmu_map()'s sp that tdp_mmu_link_sp() failed to link (v7.2,
     * tdp_mmu.c:1267): tdp_mmu_free_unused_sp() clears it; a thread that ends or allocates again
     * with it set leaked that page table.
     */
    public int unusedSp;
    /**
     * MMU-notifier invalidations this thread began (kvm_mmu_invalidate_start) and has not ended
     * (kvm_mmu_invalidate_end): the mm calls _start and _end in pairs from one task, so a thread
     * that ends with one open leaves mmu_invalidate_in_progress raised (lock_balance).
     */
    public int invalidating;

    public ThreadState(int nlocals) {
        this.locals = new long[nlocals];
        this.invalidList = new int[0];
    }

    private ThreadState(ThreadState o) {
        pc = o.pc;
        locals = o.locals.clone();
        invalidList = o.invalidList;
        holdWork = o.holdWork;
        srcuDepth = o.srcuDepth;
        rcuDepth = o.rcuDepth;
        mmuReadDepth = o.mmuReadDepth;
        unusedSp = o.unusedSp;
        invalidating = o.invalidating;
    }

    ThreadState copy() {
        return new ThreadState(this);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ThreadState t && pc == t.pc && holdWork == t.holdWork && srcuDepth == t.srcuDepth
                && rcuDepth == t.rcuDepth && mmuReadDepth == t.mmuReadDepth && unusedSp == t.unusedSp && invalidating == t.invalidating
                && Arrays.equals(locals, t.locals) && Arrays.equals(invalidList, t.invalidList);
    }

    @Override
    public int hashCode() {
        return (((pc * 31 + holdWork) * 31 + srcuDepth + 257 * rcuDepth + 65537 * mmuReadDepth) * 31 + unusedSp) * 31 + invalidating * 7 + Arrays.hashCode(locals) * 17 + Arrays.hashCode(invalidList);
    }
}
