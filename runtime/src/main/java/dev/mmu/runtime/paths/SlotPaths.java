package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.paths.Lock.Mode;

/**
 * The TDP MMU's slot walks of dirty logging (tdp_mmu.c, v7.2 as v6.12 for the model), the expansions of the primitives
 * wrprot_gfn_range, tdp_mmu_split_huge_pages_root and zap_collapsible_spte_range that the prelude
 * (kernel/tdp_mmu.mmu, kernel/mmu.mmu) calls with mmu_lock held in `mode`.
 */
public final class SlotPaths {
    private SlotPaths() {}

    /**
     * A walk of [start, end) gfns in the current root, mmu_lock held in `mode` by the caller:
     * rcu_read_lock(); for_each_tdp_pte_min_level(minLevel) { retry: if
     * (tdp_mmu_iter_cond_resched(kvm, &iter, false, shared)) continue; STEP } rcu_read_unlock().
     * Yields never flush. The walk holds a reference to the root from its start to its end, then
     * goes on in the next valid root (the caller's for_each_valid_tdp_mmu_root_yield_safe(),
     * MmuOps.IterNextRoot). `step` is built by the caller with the loop head to jump back to.
     */
    private static void slotWalk(PathBuilder b, Expr start, Expr end, int minLevel, Mode mode, int it, int endSlot,
                                 Op atYield, java.util.function.IntConsumer step) {
        slotWalk(b, start, end, minLevel, mode, it, endSlot, -1, atYield, step);
    }

    /**
     * The same walk with a flush owed in the local `flush` (or -1: none, as above): the yield
     * flushes it (tdp_mmu_iter_cond_resched(kvm, &iter, flush, shared)) and each root's walk ends
     * with `if (flush) kvm_flush_remote_tlbs_memslot()` before rcu_read_unlock(). atYield (if not
     * null) runs when it yields, before it retakes mmu_lock (a {@link Ops.MightResched}).
     */
    static void slotWalk(PathBuilder b, Expr start, Expr end, int minLevel, Mode mode, int it, int endSlot, int flush,
                         Op atYield, java.util.function.IntConsumer step) {
        int startSlot = b.local("start");
        int owed = flush >= 0 ? flush : b.local("flush (always false)");
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        b.emit(new MmuOps.IterStart(it, start, end, startSlot, endSlot, minLevel, TdpIter.Roots.VALID));
        int loop = b.here();
        int exit = b.placeholder();
        int condResched = b.placeholder();
        if (atYield != null) b.emit(atYield);
        b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
        b.emit(new MmuOps.IterRestart(it, endSlot, false, -1));
        b.emit(new Ops.Jump(loop));
        b.patch(condResched, new MmuOps.IterCondResched(it, owed, b.here()));
        step.accept(loop);
        b.emit(new Ops.Jump(loop));
        b.patch(exit, new Ops.JumpUnless(Expr.local(it + TdpIter.VALID), b.here(), "iter.valid"));
        if (flush >= 0) b.emit(new HugePageRecovery.FlushIfOwed(flush));
        b.emit(new Ops.Release(LockId.rcu));
        // for_each_valid_tdp_mmu_root_yield_safe(): the next valid root, walked the same way.
        int next = b.placeholder();
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        b.emit(new Ops.Jump(loop));
        b.patch(next, new MmuOps.IterNextRoot(it, startSlot, endSlot, TdpIter.Roots.VALID, b.here()));
    }

    /**
     * wrprot_gfn_range(kvm, root, start, end, min_level) (tdp_mmu.c:1404, v7.2 as v6.12): clears W of the writable
     * leaves from minLevel up; spte_set into `result` (a local, or -1).
     */
    public static void wrprotGfnRange(PathBuilder b, Expr start, Expr end, int minLevel, Mode mode, int result) {
        wrprotGfnRange(b, start, end, minLevel, mode, result, null);
    }

    /** As above; atYield (if not null) runs when it yields, before it retakes mmu_lock. */
    public static void wrprotGfnRange(PathBuilder b, Expr start, Expr end, int minLevel, Mode mode, int result, Op atYield) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int endSlot = b.local("end");
        int spteSet = result >= 0 ? result : b.local("spte_set");
        if (result >= 0) b.emit(new Ops.Assign(spteSet, Expr.constant(0), "spte_set = false"));
        slotWalk(b, start, end, minLevel, mode, it, endSlot, atYield,
                loop -> b.emit(new SlotOps.WrprotStep(it, endSlot, spteSet)));
    }

    /**
     * tdp_mmu_split_huge_pages_root(kvm, root, start, end, PG_LEVEL_4K, shared) (tdp_mmu.c:1514, v7.2 as v6.12): levels
     * >= 2M; a huge leaf drops RCU and mmu_lock to allocate a table (tdp_mmu_alloc_sp_for_split),
     * retakes them and restarts the walk (iter.yielded = true), then tdp_mmu_split_huge_page()
     * links it with tdp_mmu_link_sp(). No flush.
     */
    public static void splitHugePagesRoot(PathBuilder b, Expr start, Expr end, Mode mode) {
        splitHugePagesRoot(b, start, end, mode, null, null);
    }

    /**
     * As above; atYield (if not null) runs when it yields, atAlloc when it dropped the locks to
     * allocate (kmem_cache_zalloc(GFP_KERNEL_ACCOUNT) may sleep), each before mmu_lock is retaken.
     */
    public static void splitHugePagesRoot(PathBuilder b, Expr start, Expr end, Mode mode, Op atYield, Op atAlloc) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int endSlot = b.local("end");
        int sp = b.local("sp (preallocated)");
        slotWalk(b, start, end, Level.PG_LEVEL_2M, mode, it, endSlot, atYield, loop -> {
            b.emit(new SlotOps.SplitStep(it, endSlot, sp, loop));
            // Only after the allocation dropped the locks: read_lock; rcu_read_lock; iter.yielded = true; continue.
            if (atAlloc != null) b.emit(atAlloc);
            b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
            b.emit(new MmuOps.IterRestart(it, endSlot, false, -1));
        });
    }

    /**
     * zap_collapsible_spte_range(kvm, root, slot) (v6.12; gone in 7.2, HugePageRecovery's): levels >= 2M; a non-leaf SPTE inside
     * the slot that could map its level is zapped by tdp_mmu_zap_spte_atomic() (freeze, flush,
     * clear), then tdp_iter_next() (`goto retry` only after a failed cmpxchg).
     */
    public static void zapCollapsibleSpteRange(PathBuilder b, int pos, Mode mode) {
        zapCollapsibleSpteRange(b, pos, mode, null);
    }

    /** As above; atYield (if not null) runs when it yields, before it retakes mmu_lock. */
    public static void zapCollapsibleSpteRange(PathBuilder b, int pos, Mode mode, Op atYield) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int endSlot = b.local("end");
        slotWalk(b, Memslots.baseGfn(pos), Memslots.endGfn(pos), Level.PG_LEVEL_2M, mode, it, endSlot, atYield, loop -> {
            b.emit(new SlotOps.CollapsibleStep(it, endSlot, pos, loop));
            b.emit(new SlotOps.ZapAtomicFinish(it, endSlot, loop));
        });
    }
}
