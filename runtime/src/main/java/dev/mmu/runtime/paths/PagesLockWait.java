package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmState;

/**
 * The wait of a table removal on tdp_mmu_pages_lock. tdp_mmu_unlink_sp() (v7.2 tdp_mmu.c:355,
 * v6.12 the same), the first thing handle_removed_pt() does to each table it tears down, takes
 * tdp_mmu_pages_lock when sp->nx_huge_page_disallowed is set, to clear the flag and untrack the
 * page. The model's removal is one step (the cmpxchg of the parent SPTE, then handle_removed_pt()
 * of the whole subtree), so that step waits, as a spinning acquirer does, while a thread holds the
 * lock: its choices() are 0 there. Only the ops that remove tables under mmu_lock held for read
 * ask (tdp_mmu_set_spte_atomic() and the read-lock zaps); under the write lock no other thread
 * holds the spinlock, which nests inside mmu_lock. docs/kernel-model.md, "tdp_mmu_pages_lock".
 */
final class PagesLockWait {
    private PagesLockWait() {}

    /**
     * Whether thread's op waits in s: a thread holds tdp_mmu_pages_lock (itself too: a recursive
     * spin_lock() never returns) and the op, run on a copy of s, reaches tdp_mmu_unlink_sp() of an
     * NX-disallowed table. It reads the lock's owner and what the op reads.
     */
    static boolean waits(Op op, VmState s, int thread) {
        if (Lock.owner(s, LockId.tdp_mmu_pages_lock) < 0) return false;
        Exec trial = Exec.probe(s.copy(), thread);
        op.exec(trial, 0);
        return trial.spunOnPagesLock;
    }

    /** The choices of an op that may remove a table under the read lock: 1, or 0 while it waits. */
    static int choices(Op op, VmState s, int thread) {
        return waits(op, s, thread) ? 0 : 1;
    }
}
