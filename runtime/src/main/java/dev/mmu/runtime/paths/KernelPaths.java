package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;

/**
 * The built-in kernel paths, emitted as ops step by step as the kernel function runs them. Each
 * names the kernel version it follows. Addresses are gpas; the kernel's gfns are gpa >> 12.
 */
public final class KernelPaths {
    private KernelPaths() {}

    /**
     * kvm_recover_nx_huge_pages() (mmu.c, v6.x; kvm_recover_nx_lpages until v6.1, fixed in
     * v5.12 by 048f49809c52 + 33a3164161fc): zap ratio-th of the NX-split pages, threading the TDP
     * "flush needed" and the legacy invalid_list through every yield.
     */
    public static void recoverNxLpages(PathBuilder b, VmConfig c) {
        int toZap = b.local("to_zap");
        int flush = b.local("flush");
        int sp = b.local("sp");
        int tmp = b.local("zapped");
        int ratio = c.nxRecoveryRatio();
        b.emit(new Ops.Acquire(LockId.srcu, Mode.READ));
        b.emit(new Ops.Assign(toZap, (s, t) -> ratio == 0 ? 0 : (s.stat(Stat.nx_lpage_splits) + ratio - 1) / ratio,
                "to_zap = DIV_ROUND_UP(nx_lpage_splits, ratio)"));
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        int loop = b.here();
        int exitIfDone = b.placeholder();
        int exitIfEmpty = b.placeholder();
        b.emit(new Ops.Assign(sp, (s, t) -> s.lpageDisallowed[0], "sp = list_first_entry(possible_nx_huge_pages)"));
        int toLegacy = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("tdp_zap_sp"), new Expr[] {Expr.local(sp)}, tmp));
        b.emit(new Ops.Assign(flush, or(flush, tmp), "flush |= kvm_tdp_mmu_zap_sp(kvm, sp)"));
        int toCheck = b.placeholder();
        int legacy = b.here();
        b.emit(new Ops.Call(Primitives.get("prepare_zap"), new Expr[] {Expr.local(sp)}, -1));
        int check = b.here();
        int needResched = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("remote_flush_or_zap"), new Expr[] {Expr.local(flush)}, -1));
        b.emit(new Ops.Release(LockId.rcu));
        condReschedRwlockWrite(b);
        b.emit(new Ops.Assign(flush, Expr.constant(0), "flush = false"));
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        int next = b.here();
        b.emit(new Ops.Assign(toZap, (s, t) -> s.threads[t].locals[toZap] - 1, "--to_zap"));
        b.emit(new Ops.Jump(loop));
        int end = b.here();
        b.emit(new Ops.Call(Primitives.get("remote_flush_or_zap"), new Expr[] {Expr.local(flush)}, -1));
        b.emit(new Ops.Release(LockId.rcu));
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.emit(new Ops.Release(LockId.srcu));
        b.patch(exitIfDone, new Ops.JumpUnless(Expr.local(toZap), end, "to_zap"));
        b.patch(exitIfEmpty, new Ops.JumpUnless((s, t) -> s.lpageDisallowed.length, end,
                "!list_empty(possible_nx_huge_pages)"));
        b.patch(toLegacy, new Ops.JumpUnless((s, t) -> {
            var p = s.sp((int) s.threads[t].locals[sp]);
            return p != null && p.tdp ? 1 : 0;
        }, legacy, "is_tdp_mmu_page(sp)"));
        b.patch(toCheck, new Ops.Jump(check));
        b.patch(needResched, new Ops.NeedResched(next));
    }

    /** cond_resched_rwlock_write(): drop mmu_lock so a waiter or the scheduler can run, then retake it. */
    public static void condReschedRwlockWrite(PathBuilder b) {
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
    }

    /**
     * zap_gfn_range() walk over [start, end) gfns of the root (v5.12-v5.19 with can_yield;
     * tdp_mmu_zap_leafs() since v6.0), mmu_lock held for write by the caller. Ends with the
     * "flush needed" flag in flushSlot, which the caller owes.
     */
    public static void zapGfnRange(PathBuilder b, Expr start, Expr end, int flushSlot, boolean canYield) {
        zapGfnRange(b, start, end, flushSlot, canYield, false);
    }

    /** zapGfnRange, or with leafsOnly tdp_mmu_zap_leafs() (v6.x): only leaf SPTEs are zapped. */
    public static void zapGfnRange(PathBuilder b, Expr start, Expr end, int flushSlot, boolean canYield,
                                   boolean leafsOnly) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int startSlot = b.local("start");
        int endSlot = b.local("end");
        b.emit(new MmuOps.IterStart(it, start, end, startSlot, endSlot));
        int loop = b.here();
        int exit = b.placeholder();
        if (canYield) {
            int condResched = b.placeholder();
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(new MmuOps.IterRestart(it, endSlot, false, -1));
            b.emit(new Ops.Jump(loop));
            b.patch(condResched, new MmuOps.IterCondResched(it, flushSlot, b.here()));
        }
        b.emit(new MmuOps.ZapStep(it, startSlot, endSlot, flushSlot, leafsOnly));
        b.emit(new Ops.Jump(loop));
        b.patch(exit, new Ops.JumpUnless(Expr.local(it + TdpIter.VALID), b.here(), "iter.valid"));
    }

    /** A user-written for_each_tdp_pte(iter, root, start, end) loop being emitted. */
    public record TdpLoop(int it, int endSlot, int top, int exit) {
        /** The local slot of an iterator field (gfn, level), or -1 for fields read from the SPTE. */
        public int slot(String field) {
            int f = MmuOps.iterSlot(field);
            return f < 0 ? -1 : it + f;
        }

        public Expr spteField(String field) {
            return MmuOps.iterSpte(it, field.equals("leaf"));
        }
    }

    /** for_each_tdp_pte(iter, root, start, end) over gfns: the loop head; the body follows. */
    public static TdpLoop beginTdpPteLoop(PathBuilder b, Expr startGfn, Expr endGfn) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int startSlot = b.local("start");
        int endSlot = b.local("end");
        b.emit(new MmuOps.IterStart(it, startGfn, endGfn, startSlot, endSlot));
        int top = b.here();
        int exit = b.placeholder();
        return new TdpLoop(it, endSlot, top, exit);
    }

    /** The loop's tail: tdp_iter_next() (which restarts from the root after a yield) and back to the head. */
    public static void endTdpPteLoop(PathBuilder b, TdpLoop loop) {
        b.emit(new MmuOps.IterNext(loop.it(), loop.endSlot()));
        b.emit(new Ops.Jump(loop.top()));
        b.patch(loop.exit(), new Ops.JumpUnless(Expr.local(loop.it() + TdpIter.VALID), b.here(), "iter.valid"));
    }

    /**
     * tdp_mmu_iter_cond_resched(kvm, &iter, flush, shared) in a user loop: result 1 if it yielded
     * (flushing first when flush is set); the next tdp_iter_next() then restarts from the root.
     */
    public static void iterCondResched(PathBuilder b, TdpLoop loop, Expr flush, int result, Mode mode,
                                       boolean forwardProgressGuard) {
        int flushSlot = b.local("flush_arg");
        b.emit(new Ops.Assign(flushSlot, flush, "flush"));
        b.emit(new Ops.Assign(result, Expr.constant(0), "yielded = false"));
        int check = b.placeholder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
        b.emit(new MmuOps.IterRestart(loop.it(), loop.endSlot(), true, result));
        b.patch(check, new MmuOps.IterCondResched(loop.it(), flushSlot, b.here(), forwardProgressGuard));
    }

    /**
     * kvm_tdp_mmu_zap_gfn_range() as a caller uses it (v5.12): write_lock, zap_gfn_range with
     * can_yield, flush if the zap says so, write_unlock.
     */
    public static void tdpMmuZapGfnRange(PathBuilder b, Expr startGpa, Expr endGpa) {
        int flush = b.local("flush");
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        zapGfnRange(b, gfn(startGpa), gfn(endGpa), flush, true);
        int skip = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("flush_remote_tlbs"), new Expr[0], -1));
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

    public static void hostFree(PathBuilder b, Expr startGpa, Expr endGpa) {
        b.emit(new NotifierOps.HostFree(startGpa, endGpa));
    }

    public static void flushRemoteTlbs(PathBuilder b) {
        b.emit(new Ops.Call(Primitives.get("flush_remote_tlbs"), new Expr[0], -1));
    }

    /**
     * A guest access by a vCPU: TLB, hardware walk, or an EPT violation handled by
     * kvm_tdp_page_fault() (v6.x: mmu_lock for read) / direct_page_fault() on the shadow MMU
     * (mmu_lock for write), retried until the access succeeds.
     */
    public static void guestAccess(PathBuilder b, VmConfig c, int vcpu, Access kind, Expr gpa) {
        guestAccess(b, c, vcpu, kind, gpa, false);
    }

    /**
     * With nested = true (mmu both), the access is the L2 guest's: it walks the shadow root, and its
     * faults build legacy shadow pages (direct_map, mmu_lock for write) that share the NX list.
     */
    public static void guestAccess(PathBuilder b, VmConfig c, int vcpu, Access kind, Expr gpa, boolean nested) {
        boolean tdp = c.mmu() != Mmu.SHADOW && !nested;
        int seq = b.local("mmu_seq");
        int pfn = b.local("pfn");
        int slot = b.local("fault->slot");
        int oldSpte = b.local("spte (lockless read)");
        int retries = b.local("fast_pf retries");
        int access = b.here();
        int accessOp = b.placeholder();
        int faultIn = b.placeholder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, tdp ? Mode.READ : Mode.WRITE));
        b.emit(new FaultOps.FaultMap(kind, gpa, seq, pfn, tdp, slot, nested));
        b.emit(new FaultOps.FaultUnlock());
        b.emit(new Ops.Jump(access));
        int fastPf = -1;
        if (kind == Access.WRITE && !nested) {
            fastPf = b.emit(new FaultOps.FastPageFault(gpa, oldSpte, retries, access, faultIn));
        }
        int done = b.here();
        b.patch(accessOp, new FaultOps.GuestAccess(vcpu, kind, gpa, done, nested, fastPf, oldSpte));
        b.patch(faultIn, new FaultOps.FaultIn(gpa, seq, pfn, slot, access, done));
    }

    /** The mmu_lock mode of the slot walkers: read on the TDP MMU, write on the shadow MMU. */
    private static Mode walkMode(VmConfig c) {
        return c.mmu() == Mmu.SHADOW ? Mode.WRITE : Mode.READ;
    }

    private static int position(VmConfig c, int slotId) {
        for (int i = 0; i < c.memslots().size(); i++) if (c.memslots().get(i).id() == slotId) return i;
        throw new IllegalArgumentException("no memslot " + slotId);
    }

    /**
     * A walk of a memslot's gfns in the current root, mmu_lock held for read (TDP) by the caller:
     * rcu_read_lock(); for_each_tdp_pte_min_level(minLevel) { retry: if
     * (tdp_mmu_iter_cond_resched(kvm, &iter, false, true)) continue; STEP } rcu_read_unlock().
     * Yields never flush. `step` is built by the caller with the loop head to jump back to.
     */
    private static void slotWalk(PathBuilder b, VmConfig c, Memslot slot, int minLevel, int it, int endSlot,
                                 java.util.function.IntConsumer step) {
        int startSlot = b.local("start");
        int noFlush = b.local("flush (always false)");
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        int pos = position(c, slot.id());
        b.emit(new MmuOps.IterStart(it, (s, t) -> Memslots.base(s, pos), (s, t) -> Memslots.end(s, pos), startSlot,
                endSlot, minLevel));
        int loop = b.here();
        int exit = b.placeholder();
        int condResched = b.placeholder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, walkMode(c)));
        b.emit(new MmuOps.IterRestart(it, endSlot, false, -1));
        b.emit(new Ops.Jump(loop));
        b.patch(condResched, new MmuOps.IterCondResched(it, noFlush, b.here()));
        step.accept(loop);
        b.emit(new Ops.Jump(loop));
        b.patch(exit, new Ops.JumpUnless(Expr.local(it + TdpIter.VALID), b.here(), "iter.valid"));
        b.emit(new Ops.Release(LockId.rcu));
    }

    /**
     * kvm_mmu_slot_remove_write_access(kvm, slot, PG_LEVEL_4K) (mmu.c, v6.x): TDP: read_lock;
     * kvm_tdp_mmu_wrprot_slot() -> wrprot_gfn_range(); read_unlock. No flush here (the caller
     * flushes after the unlock). Shadow MMU: the same walk under write_lock (walk_slot_rmaps).
     */
    public static void slotRemoveWriteAccess(PathBuilder b, VmConfig c, Memslot slot) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int end = b.local("end");
        int spteSet = b.local("spte_set");
        b.emit(new Ops.Acquire(LockId.mmu_lock, walkMode(c)));
        slotWalk(b, c, slot, dev.mmu.runtime.model.Level.PG_LEVEL_4K, it, end,
                loop -> b.emit(new SlotOps.WrprotStep(it, end, spteSet)));
        b.emit(new Ops.Release(LockId.mmu_lock));
    }

    /**
     * kvm_mmu_slot_try_split_huge_pages(kvm, slot, PG_LEVEL_4K) (mmu.c, v6.x): TDP: read_lock;
     * kvm_tdp_mmu_try_split_huge_pages(shared = true) -> tdp_mmu_split_huge_pages_root() walking
     * levels >= 2M, dropping the lock to allocate each new table; read_unlock. No flush.
     */
    public static void slotTrySplitHugePages(PathBuilder b, VmConfig c, Memslot slot) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int end = b.local("end");
        int sp = b.local("sp (preallocated)");
        b.emit(new Ops.Acquire(LockId.mmu_lock, walkMode(c)));
        slotWalk(b, c, slot, dev.mmu.runtime.model.Level.PG_LEVEL_2M, it, end, loop -> {
            b.emit(new SlotOps.SplitStep(it, end, sp, loop));
            // Only after the allocation dropped the locks: read_lock; rcu_read_lock; iter.yielded = true; continue.
            b.emit(new Ops.Acquire(LockId.mmu_lock, walkMode(c)));
            b.emit(new MmuOps.IterRestart(it, end, false, -1));
        });
        b.emit(new Ops.Release(LockId.mmu_lock));
    }

    /**
     * kvm_mmu_zap_collapsible_sptes(kvm, slot) (mmu.c, v6.x): TDP: read_lock;
     * kvm_tdp_mmu_zap_collapsible_sptes() -> zap_collapsible_spte_range() (levels >= 2M, atomic
     * zap = freeze, flush, unfreeze); read_unlock.
     */
    public static void zapCollapsibleSptes(PathBuilder b, VmConfig c, Memslot slot) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int end = b.local("end");
        int pos = position(c, slot.id());
        b.emit(new Ops.Acquire(LockId.mmu_lock, walkMode(c)));
        slotWalk(b, c, slot, dev.mmu.runtime.model.Level.PG_LEVEL_2M, it, end, loop -> {
            b.emit(new SlotOps.CollapsibleStep(it, end, pos, loop));
            b.emit(new SlotOps.ZapAtomicFinish(it, loop));
        });
        b.emit(new Ops.Release(LockId.mmu_lock));
    }

    /**
     * Enabling dirty logging on a memslot: KVM_SET_USER_MEMORY_REGION with KVM_MEM_LOG_DIRTY_PAGES
     * (kvm_set_memslot(KVM_MR_FLAGS_ONLY), kvm_main.c v6.x, slots_lock held) then
     * kvm_mmu_slot_apply_flags() (x86.c v6.x, no PML, no initially-all-set): eager split if
     * eager_page_split, kvm_mmu_slot_remove_write_access(PG_LEVEL_4K), and an unconditional
     * kvm_flush_remote_tlbs_memslot() after the unlock (b64d740ea7dd, v6.0).
     */
    public static void dirtyLogEnable(PathBuilder b, VmConfig c, int slotId) {
        int pos = position(c, slotId);
        Memslot slot = c.memslots().get(pos);
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        b.emit(new SlotOps.SetLogDirty(pos, true));
        b.emit(new SlotOps.SynchronizeSrcu());
        if (c.eagerPageSplit()) slotTrySplitHugePages(b, c, slot);
        slotRemoveWriteAccess(b, c, slot);
        b.emit(new SlotOps.DirtyLogFlush(pos, -1));
        b.emit(new Ops.Release(LockId.slots_lock));
    }

    /**
     * Disabling dirty logging: kvm_set_memslot(KVM_MR_FLAGS_ONLY) without KVM_MEM_LOG_DIRTY_PAGES
     * (the bitmap goes away), then kvm_mmu_slot_apply_flags() -> kvm_mmu_zap_collapsible_sptes()
     * so huge pages can come back (x86.c, v6.x).
     */
    public static void dirtyLogDisable(PathBuilder b, VmConfig c, int slotId) {
        int pos = position(c, slotId);
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        b.emit(new SlotOps.SetLogDirty(pos, false));
        b.emit(new SlotOps.SynchronizeSrcu());
        zapCollapsibleSptes(b, c, c.memslots().get(pos));
        b.emit(new Ops.Release(LockId.slots_lock));
    }

    /**
     * KVM_CLEAR_DIRTY_LOG of the whole slot: kvm_vm_ioctl_clear_dirty_log() (slots_lock) ->
     * kvm_clear_dirty_log_protect() (kvm_main.c, v6.x): KVM_MMU_LOCK (write); clear the bitmap
     * words and write-protect their pages (kvm_arch_mmu_enable_log_dirty_pt_masked); KVM_MMU_UNLOCK;
     * `if (flush) kvm_flush_remote_tlbs_memslot()` after the unlock.
     */
    public static void clearDirtyLog(PathBuilder b, VmConfig c, int slotId) {
        int pos = position(c, slotId);
        int flush = b.local("flush");
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new SlotOps.ClearDirtyMasked(pos, flush));
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.emit(new SlotOps.DirtyLogFlush(pos, flush));
        b.emit(new Ops.Release(LockId.slots_lock));
    }

    /**
     * KVM_SET_USER_MEMORY_REGION deleting a slot: kvm_set_memslot(KVM_MR_DELETE) (kvm_main.c, v6.x,
     * slots_lock held): kvm_invalidate_memslot() (KVM_MEMSLOT_INVALID, swap, synchronize_srcu), then
     * kvm_arch_flush_shadow_memslot() -> kvm_mmu_zap_memslot() (mmu.c v6.12, slot-zap quirk off):
     * write_lock; kvm_unmap_gfn_range() = tdp_mmu_zap_leafs(may_block) over the slot; flush;
     * write_unlock; then kvm_delete_memslot() (swap, synchronize_srcu).
     */
    public static void memslotDelete(PathBuilder b, VmConfig c, int slotId) {
        int pos = position(c, slotId);
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        invalidateAndZap(b, pos);
        b.emit(new SlotOps.DeleteSlot(pos));
        b.emit(new SlotOps.SynchronizeSrcu());
        b.emit(new Ops.Release(LockId.slots_lock));
    }

    /**
     * KVM_SET_USER_MEMORY_REGION moving a slot: kvm_set_memslot(KVM_MR_MOVE) (kvm_main.c, v6.x):
     * the same invalidate + kvm_arch_flush_shadow_memslot(old) as a delete, then kvm_move_memslot()
     * installs the slot at its new base gfn (swap, synchronize_srcu).
     */
    public static void memslotMove(PathBuilder b, VmConfig c, int slotId, long newBaseGfn) {
        int pos = position(c, slotId);
        long npages = c.memslots().get(pos).npages();
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        // __kvm_set_memory_region(): kvm_check_memslot_overlap() -> -EEXIST before anything changes.
        int eexist = b.placeholder();
        invalidateAndZap(b, pos);
        b.emit(new SlotOps.MoveSlot(pos, newBaseGfn));
        b.emit(new SlotOps.SynchronizeSrcu());
        b.patch(eexist, new Ops.JumpUnless((s, t) -> {
            for (int p = 0; p < c.memslots().size(); p++) {
                if (p == pos || (s.slotDeleted & (1 << p)) != 0) continue;
                if (newBaseGfn < Memslots.end(s, p) && Memslots.base(s, p) < newBaseGfn + npages) return 0;
            }
            return 1;
        }, b.here(), "!kvm_check_memslot_overlap()"));
        b.emit(new Ops.Release(LockId.slots_lock));
    }

    /**
     * kvm_invalidate_memslot() then kvm_arch_flush_shadow_memslot(old) -> kvm_mmu_zap_memslot()
     * (mmu.c v6.12, KVM_X86_QUIRK_SLOT_ZAP_ALL off): write_lock; kvm_unmap_gfn_range() =
     * tdp_mmu_zap_leafs(may_block) over the slot (flush before a yield); flush; write_unlock.
     */
    private static void invalidateAndZap(PathBuilder b, int pos) {
        int flush = b.local("flush");
        b.emit(new SlotOps.InvalidateSlot(pos));
        b.emit(new SlotOps.SynchronizeSrcu());
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        zapGfnRange(b, (s, t) -> Memslots.base(s, pos), (s, t) -> Memslots.end(s, pos), flush, true, true);
        int skip = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("flush_remote_tlbs"), new Expr[0], -1));
        b.patch(skip, new Ops.JumpUnless(Expr.local(flush), b.here(), "flush"));
        b.emit(new Ops.Release(LockId.rcu));
        b.emit(new Ops.Release(LockId.mmu_lock));
    }

    /**
     * kvm_mmu_zap_all_fast() (mmu.c, v6.x), with slots_lock held as its callers do: write_lock;
     * new generation, invalidate the TDP roots and make every vCPU reload (FastZap.Begin);
     * kvm_zap_obsolete_pages(): prepare each obsolete legacy page on the per-VM list, and once
     * `batch >= BATCH_ZAP_PAGES` (10) cond_resched_rwlock_write() may yield (no flush: no vCPU
     * can reach obsolete pages) and the walk restarts; commit (flush, free); write_unlock; then
     * kvm_tdp_mmu_zap_invalidated_roots(kvm, true): read_lock; per invalid root rcu_read_lock,
     * __tdp_mmu_zap_root at 1G then at the root level (yielding without flush), rcu_read_unlock,
     * put the root; read_unlock.
     */
    public static void zapAllFast(PathBuilder b, VmConfig c) {
        int sp = b.local("sp");
        int batch = b.local("batch");
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new FastZap.Begin());
        b.emit(new Ops.Assign(batch, Expr.constant(0), "batch = 0"));
        int restart = b.here();
        int next = b.placeholder();
        int full = b.placeholder();
        int resched = b.placeholder();
        b.emit(new Ops.Release(LockId.mmu_lock)); // cond_resched_rwlock_write()
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new Ops.Assign(batch, Expr.constant(0), "batch = 0; goto restart"));
        b.emit(new Ops.Jump(restart));
        int prepare = b.here();
        b.emit(new FastZap.PrepareObsolete(sp, batch));
        b.emit(new Ops.Jump(restart));
        int end = b.here();
        b.emit(new Ops.Call(Primitives.get("commit_zap"), new Expr[0], -1));
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.patch(next, new FastZap.NextObsolete(sp, end));
        b.patch(full, new Ops.JumpUnless((s, t) -> s.threads[t].locals[batch] >= FastZap.BATCH_ZAP_PAGES ? 1 : 0,
                prepare, "batch >= BATCH_ZAP_PAGES"));
        b.patch(resched, new Ops.NeedResched(prepare));
        if (c.mmu() != Mmu.SHADOW) zapInvalidatedRoots(b);
        b.emit(new Ops.Release(LockId.slots_lock));
    }

    /** kvm_tdp_mmu_zap_invalidated_roots(kvm, shared = true) (tdp_mmu.c, v6.x). */
    private static void zapInvalidatedRoots(PathBuilder b) {
        int root = b.local("root");
        int it = b.locals("iter", TdpIter.SLOTS);
        int end = b.local("end");
        int noFlush = b.local("flush (always false)");
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
        int loop = b.here();
        int next = b.placeholder();
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        for (int zapLevel : new int[] {dev.mmu.runtime.model.Level.PG_LEVEL_1G, -1}) {
            // -1: root->role.level, known only at run time; RootIterStart takes it from the root.
            int lvl = zapLevel;
            b.emit(new FastZap.RootIterStart(it, root, end, lvl));
            int walk = b.here();
            int exit = b.placeholder();
            int condResched = b.placeholder();
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
            b.emit(new MmuOps.IterRestart(it, end, false, -1));
            b.emit(new Ops.Jump(walk));
            b.patch(condResched, new MmuOps.IterCondResched(it, noFlush, b.here()));
            b.emit(new FastZap.ZapRootStep(it, end, lvl));
            b.emit(new Ops.Jump(walk));
            b.patch(exit, new Ops.JumpUnless(Expr.local(it + TdpIter.VALID), b.here(), "iter.valid"));
        }
        b.emit(new Ops.Release(LockId.rcu));
        b.emit(new FastZap.PutRoot(root));
        b.emit(new Ops.Jump(loop));
        int done = b.here();
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.patch(next, new FastZap.NextInvalidRoot(root, done));
    }

    private static Expr gfn(Expr gpa) {
        return new Expr() {
            public long eval(dev.mmu.runtime.model.VmState s, int thread) {
                return gpa.eval(s, thread) >>> 12;
            }

            public boolean shared() {
                return gpa.shared();
            }
        };
    }

    private static Expr or(int a, int b) {
        return new Expr() {
            public long eval(dev.mmu.runtime.model.VmState s, int thread) {
                long[] l = s.threads[thread].locals;
                return (l[a] != 0 || l[b] != 0) ? 1 : 0;
            }

            public boolean shared() {
                return false;
            }
        };
    }
}
