package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.Lock.Mode;

/**
 * Kernel paths as Java op emitters, for the runtime's own tests: the runtime cannot compile the
 * prelude (kernel/*.mmu), so these follow its functions op for op; scenarios always run the prelude.
 */
final class KernelFixtures {
    private KernelFixtures() {}

    /**
     * kvm_recover_nx_huge_pages() (mmu.c, v6.x; kvm_recover_nx_lpages until v6.1, fixed in
     * v5.12 by 048f49809c52 + 33a3164161fc): zap ratio-th of the NX-split pages, threading the TDP
     * "flush needed" and the legacy invalid_list through every yield; a page whose memslot logs
     * dirty pages is only unaccounted (v6.2+, gfn_to_memslot(sp->gfn)).
     */
    public static void recoverNxLpages(PathBuilder b, VmConfig c) {
        int toZap = b.local("to_zap");
        int flush = b.local("flush");
        int sp = b.local("sp");
        int tmp = b.local("zapped");
        int ratio = c.nxRecoveryRatio();
        b.emit(new Ops.Acquire(LockId.srcu, Mode.READ));
        b.emit(new Ops.Assign(toZap, Expr.of(Footprint.reads(Resource.STATS),
                (s, t) -> ratio == 0 ? 0 : (s.stat(Stat.nx_lpage_splits) + ratio - 1) / ratio),
                "to_zap = DIV_ROUND_UP(nx_lpage_splits, ratio)"));
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        int loop = b.here();
        int exitIfDone = b.placeholder();
        int exitIfEmpty = b.placeholder();
        b.emit(new Nx.FirstEntry(sp, "sp = list_first_entry(possible_nx_huge_pages)"));
        int toUnaccount = b.placeholder();
        int toLegacy = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("tdp_zap_sp"), new Expr[] {Expr.local(sp)}, tmp));
        b.emit(new Ops.Assign(flush, or(flush, tmp), "flush |= kvm_tdp_mmu_zap_sp(kvm, sp)"));
        int toCheck = b.placeholder();
        int legacy = b.here();
        b.emit(new Ops.Call(Primitives.get("prepare_zap"), new Expr[] {Expr.local(sp)}, -1));
        int toCheckFromLegacy = b.placeholder();
        // v6.2+ (6.12, today): "Unaccount and do not attempt to recover any NX Huge Pages that are being dirty tracked".
        int unaccount = b.here();
        b.emit(new Ops.Call(Primitives.get("unaccount_nx"), new Expr[] {Expr.local(sp)}, -1));
        int check = b.here();
        int needResched = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("remote_flush_or_zap"), new Expr[] {Expr.local(flush)}, -1));
        b.emit(new Ops.Release(LockId.rcu));
        condReschedRwlockWrite(b);
        b.emit(new Ops.Assign(flush, Expr.constant(0), "flush = false"));
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        int next = b.here();
        b.emit(new Ops.Assign(toZap, new Expr.Decrement(toZap), "--to_zap"));
        b.emit(new Ops.Jump(loop));
        int end = b.here();
        b.emit(new Ops.Call(Primitives.get("remote_flush_or_zap"), new Expr[] {Expr.local(flush)}, -1));
        b.emit(new Ops.Release(LockId.rcu));
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.emit(new Ops.Release(LockId.srcu));
        b.patch(exitIfDone, new Ops.JumpUnless(Expr.local(toZap), end, "to_zap"));
        b.patch(exitIfEmpty, new Ops.JumpUnless(Queries.NX_LENGTH, end, "!list_empty(possible_nx_huge_pages)"));
        b.patch(toLegacy, new Ops.JumpUnless(Expr.of(Footprint.reads(Resource.SPTE), new int[] {sp}, (s, t) -> {
            var p = s.sp((int) s.threads[t].locals[sp]);
            return p != null && p.tdp ? 1 : 0;
        }), legacy, "is_tdp_mmu_page(sp)"));
        b.patch(toCheck, new Ops.Jump(check));
        b.patch(toCheckFromLegacy, new Ops.Jump(check));
        b.patch(toUnaccount, new Ops.JumpUnless(Expr.of(Footprint.reads(Resource.SPTE, Resource.MEMSLOTS), new int[] {sp}, (s, t) -> {
            var p = s.sp((int) s.threads[t].locals[sp]);
            return p != null && Memslots.logging(s, Memslots.of(s, p.gfn)) ? 0 : 1;
        }), unaccount, "!(slot && kvm_slot_dirty_track_enabled(slot))"));
        b.patch(needResched, new Ops.NeedResched(next));
    }

    /** cond_resched_rwlock_write(): drop mmu_lock so a waiter or the scheduler can run, then retake it. */
    public static void condReschedRwlockWrite(PathBuilder b) {
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
    }

    /**
     * kvm_tdp_mmu_zap_gfn_range() as a caller uses it (v5.12): write_lock, zap_gfn_range with
     * can_yield, flush if the zap says so, write_unlock.
     */
    public static void tdpMmuZapGfnRange(PathBuilder b, Expr startGpa, Expr endGpa) {
        int flush = b.local("flush");
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        KernelPaths.zapGfnRange(b, KernelPaths.gfn(startGpa), KernelPaths.gfn(endGpa), flush, true);
        int skip = b.placeholder();
        // The flush; on legacy (shadow) tables also the commit of the tables the zap removed.
        b.emit(new Ops.Call(Primitives.get("remote_flush_or_zap"), new Expr[] {Expr.local(flush)}, -1));
        b.patch(skip, new Ops.JumpUnless(Expr.local(flush), b.here(), "flush"));
        b.emit(new Ops.Release(LockId.rcu));
        b.emit(new Ops.Release(LockId.mmu_lock));
    }

    /**
     * An MMU-notifier invalidation (kvm_mmu_notifier_invalidate_range_start/_end, v6.x): each half
     * takes mmu_lock for write; start unmaps and flushes before unlocking, end bumps mmu_invalidate_seq.
     */
    public static void mmuNotifierInvalidate(PathBuilder b, Expr startGpa, Expr endGpa) {
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new NotifierOps.InvalidateRangeStart(startGpa, endGpa));
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.emit(new NotifierOps.HostUnmap(startGpa, endGpa));
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new NotifierOps.InvalidateRangeEnd());
        b.emit(new Ops.Release(LockId.mmu_lock));
    }

    public static void flushRemoteTlbs(PathBuilder b) {
        b.emit(new Ops.Call(Primitives.get("flush_remote_tlbs"), new Expr[0], -1));
    }

    private static Expr or(int a, int b) {
        return Expr.of(Footprint.LOCAL, new int[] {a, b}, (s, t) -> {
            long[] l = s.threads[t].locals;
            return (l[a] != 0 || l[b] != 0) ? 1 : 0;
        });
    }
}
