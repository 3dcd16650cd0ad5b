package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.Lock.Mode;

/**
 * The built-in paths of dirty logging (kvm_main.c, x86.c, mmu.c, v6.x), emitted as ops step by
 * step like KernelPaths.
 */
public final class SlotPaths {
    private SlotPaths() {}

    /** The mmu_lock mode of the slot walkers: read on the TDP MMU, write on the shadow MMU. */
    private static Mode walkMode(VmConfig c) {
        return c.mmu() == Mmu.SHADOW ? Mode.WRITE : Mode.READ;
    }

    private static int position(VmConfig c, int slotId) {
        for (int i = 0; i < c.memslots().size(); i++) if (c.memslots().get(i).id() == slotId) return i;
        throw new IllegalArgumentException("no memslot " + slotId);
    }

    /**
     * With mmu both (kvm_memslots_have_rmaps()), a slot-wide operation first runs its shadow-MMU
     * half over the rmaps under write_lock (mmu.c v6.x), then the TDP MMU half.
     */
    private static void rmapHalf(PathBuilder b, VmConfig c, SlotOps.RmapWalk walk, int pos) {
        if (c.mmu() != Mmu.BOTH) return;
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new SlotOps.RmapSlotWalk(walk, pos, -1));
        b.emit(new Ops.Release(LockId.mmu_lock));
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
        b.emit(new MmuOps.IterStart(it, Memslots.baseGfn(pos), Memslots.endGfn(pos), startSlot, endSlot, minLevel));
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
        b.emit(new MmuOps.IterPutRoot(it));
    }

    /**
     * kvm_mmu_slot_remove_write_access(kvm, slot, PG_LEVEL_4K) (mmu.c, v6.x): TDP: read_lock;
     * kvm_tdp_mmu_wrprot_slot() -> wrprot_gfn_range(); read_unlock. No flush here (the caller
     * flushes after the unlock). Shadow MMU: the same walk under write_lock (walk_slot_rmaps).
     * mmu both: the nested guest's rmaps first, under write_lock.
     */
    public static void slotRemoveWriteAccess(PathBuilder b, VmConfig c, Memslot slot) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int end = b.local("end");
        int spteSet = b.local("spte_set");
        rmapHalf(b, c, SlotOps.RmapWalk.WRITE_PROTECT, position(c, slot.id()));
        b.emit(new Ops.Acquire(LockId.mmu_lock, walkMode(c)));
        slotWalk(b, c, slot, dev.mmu.runtime.model.Level.PG_LEVEL_4K, it, end,
                loop -> b.emit(new SlotOps.WrprotStep(it, end, spteSet)));
        b.emit(new Ops.Release(LockId.mmu_lock));
    }

    /**
     * kvm_mmu_slot_try_split_huge_pages(kvm, slot, PG_LEVEL_4K) (mmu.c, v6.x): TDP: read_lock;
     * kvm_tdp_mmu_try_split_huge_pages(shared = true) -> tdp_mmu_split_huge_pages_root() walking
     * levels >= 2M, dropping the lock to allocate each new table; read_unlock. No flush.
     * mmu both: kvm_shadow_mmu_try_split_huge_pages() on the nested guest's rmaps first.
     */
    public static void slotTrySplitHugePages(PathBuilder b, VmConfig c, Memslot slot) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int end = b.local("end");
        int sp = b.local("sp (preallocated)");
        rmapHalf(b, c, SlotOps.RmapWalk.SPLIT, position(c, slot.id()));
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
     * zap = freeze, flush, unfreeze); read_unlock. mmu both: kvm_rmap_zap_collapsible_sptes()
     * under write_lock first.
     */
    public static void zapCollapsibleSptes(PathBuilder b, VmConfig c, Memslot slot) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int end = b.local("end");
        int pos = position(c, slot.id());
        rmapHalf(b, c, SlotOps.RmapWalk.ZAP_COLLAPSIBLE, pos);
        b.emit(new Ops.Acquire(LockId.mmu_lock, walkMode(c)));
        slotWalk(b, c, slot, dev.mmu.runtime.model.Level.PG_LEVEL_2M, it, end, loop -> {
            b.emit(new SlotOps.CollapsibleStep(it, end, pos, loop));
            b.emit(new SlotOps.ZapAtomicFinish(it, end, loop));
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
}
