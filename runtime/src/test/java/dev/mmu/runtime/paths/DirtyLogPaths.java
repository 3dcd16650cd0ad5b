package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.Lock.Mode;

/**
 * The prelude's dirty-log paths (kernel/kvm_main.mmu dirty_log_enable, dirty_log_disable,
 * clear_dirty_log; kernel/x86.mmu, mmu.mmu, tdp_mmu.mmu) as the interpreter compiles them, op for
 * op, for the runtime's unit tests, which cannot load the prelude (the interpreter's
 * DirtyLogPreludeTest steps the prelude itself). Change it with the prelude.
 */
final class DirtyLogPaths {
    private DirtyLogPaths() {}

    static Op call(String primitive, int result, long... args) {
        Expr[] v = new Expr[args.length];
        for (int i = 0; i < v.length; i++) v[i] = Expr.constant(args[i]);
        return new Ops.Call(Primitives.get(primitive), v, result);
    }

    /** kvm_arch_mmu_enable_log_dirty_pt_masked(slot) into the local `flush`. */
    static Op clearDirtyMasked(int slotId, int flush) {
        return call("kvm_arch_mmu_enable_log_dirty_pt_masked", flush, slotId);
    }

    /** kvm_flush_remote_tlbs_memslot(slot). */
    static Op flushMemslot(int slotId) {
        return call("kvm_flush_remote_tlbs_memslot", -1, slotId);
    }

    /** The handler's arguments: those with end_gfn for a handler that takes it (kvm_zap_rmap). */
    private static Expr[] args(String fn, Expr[] head, Expr[] headToEnd) {
        return Primitives.get(fn).params().size() == headToEnd.length ? headToEnd : head;
    }

    /**
     * __walk_slot_rmaps() as the prelude writes it out in its callers (kernel/mmu.mmu): the handler
     * `fn` on (slot, level, gfn), `flush = true` if it says so (flush a local, or -1: the result is
     * unused), the yield point (if need_resched: with flushOnYield the flush owed, then unlock and
     * lock write), slot_rmap_walk_next(), the next level's first head when the level is done.
     */
    static void walkSlotRmaps(PathBuilder b, String fn, int slotId, int pos, int startLevel, int endLevel,
                              boolean flushOnYield, int flush) {
        int level = b.local("level");
        int gfn = b.local("gfn");
        Expr[] head = {Expr.constant(slotId), Expr.local(level), Expr.local(gfn)};
        Expr[] headToEnd = {Expr.constant(slotId), Expr.local(level), Expr.local(gfn), Expr.constant(-1)}; // end_gfn: the slot's last
        b.emit(new Ops.Assign(level, Expr.constant(startLevel), "level"));
        b.emit(new Ops.Assign(gfn, Memslots.baseGfn(pos), "gfn"));
        int loop = b.here();
        int exit = b.placeholder();
        if (flush >= 0) {
            int set = b.placeholder();
            b.emit(new Ops.Assign(flush, Expr.constant(1), "flush = true"));
            b.patch(set, new Ops.Call(Primitives.get(fn), args(fn, head, headToEnd), -1).branch(b.here(), false));
        } else {
            b.emit(new Ops.Call(Primitives.get(fn), args(fn, head, headToEnd), -1));
        }
        int check = b.placeholder();
        if (flushOnYield) {
            int skip = b.placeholder();
            b.emit(new Ops.Call(Primitives.get("flush_remote_tlbs"), new Expr[0], -1));
            b.emit(new Ops.Assign(flush, Expr.constant(0), "flush = false"));
            b.patch(skip, new Ops.JumpUnless(Expr.local(flush), b.here(), "flush"));
        }
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.patch(check, new Ops.NeedResched(b.here()));
        b.emit(new Ops.Call(Primitives.get("slot_rmap_walk_next"), headToEnd, gfn));
        b.emit(new Ops.JumpUnless(new Expr.Computed(Expr.Operator.LT, Expr.local(gfn), Expr.constant(0)), loop, "gfn < 0"));
        b.emit(new Ops.Assign(level, new Expr.Computed(Expr.Operator.ADD, Expr.local(level), Expr.constant(1)), "level + 1"));
        b.emit(new Ops.Assign(gfn, Memslots.baseGfn(pos), "gfn"));
        b.emit(new Ops.Jump(loop));
        b.patch(exit, new Ops.JumpUnless(new Expr.Computed(Expr.Operator.LE, Expr.local(level), Expr.constant(endLevel)),
                b.here(), "level <= end_level"));
    }

    /** walk_slot_rmaps(slot_rmap_write_protect, 4K .. 1G, flush_on_yield = false), its result unused. */
    static void writeProtectRmaps(PathBuilder b, int slotId, int pos) {
        walkSlotRmaps(b, "slot_rmap_write_protect", slotId, pos, 1, 3, false, -1);
    }

    /** kvm_shadow_mmu_try_split_huge_pages(): a walk per level, 1G then 2M; no flush is ever owed. */
    static void trySplitRmaps(PathBuilder b, int slotId, int pos) {
        for (int level = 3; level > 1; level--) walkSlotRmaps(b, "shadow_mmu_try_split_huge_pages", slotId, pos, level, level, false, -1);
    }

    /** kvm_rmap_zap_collapsible_sptes(): the walk over 4K .. 2M, then the flush still owed. */
    static void zapCollapsibleRmaps(PathBuilder b, int slotId, int pos, boolean flushOnYield) {
        int flush = b.local("flush");
        b.emit(new Ops.Assign(flush, Expr.constant(0), "flush = false"));
        walkSlotRmaps(b, "kvm_mmu_zap_collapsible_spte", slotId, pos, 1, 2, flushOnYield, flush);
        int skip = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("flush_remote_tlbs"), new Expr[0], -1));
        b.patch(skip, new Ops.JumpUnless(Expr.local(flush), b.here(), "flush"));
    }

    /** __kvm_rmap_zap_gfn_range() over the slot (can_yield), its flush owed in local `flush` (set first). */
    static void zapRmaps(PathBuilder b, int slotId, int pos, boolean flushOnYield, int flush) {
        walkSlotRmaps(b, "kvm_zap_rmap", slotId, pos, 1, 3, flushOnYield, flush);
    }

    private static void locked(PathBuilder b, Mode mode, Runnable body) {
        b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
        body.run();
        b.emit(new Ops.Release(LockId.mmu_lock));
    }

    static void slotRemoveWriteAccess(PathBuilder b, VmConfig c, int slotId) {
        int pos = Memslots.position(c, slotId);
        if (c.mmu() == Mmu.BOTH) locked(b, Mode.WRITE, () -> writeProtectRmaps(b, slotId, pos));
        Mode mode = c.mmu() == Mmu.SHADOW ? Mode.WRITE : Mode.READ;
        locked(b, mode, () -> SlotPaths.wrprotGfnRange(b, Memslots.baseGfn(pos), Memslots.endGfn(pos), 1, mode, -1));
    }

    static void slotTrySplitHugePages(PathBuilder b, VmConfig c, int slotId) {
        if (c.mmu() == Mmu.SHADOW) return;
        int pos = Memslots.position(c, slotId);
        if (c.mmu() == Mmu.BOTH) {
            locked(b, Mode.WRITE, () -> trySplitRmaps(b, slotId, pos));
        }
        locked(b, Mode.READ, () -> SlotPaths.splitHugePagesRoot(b, Memslots.baseGfn(pos), Memslots.endGfn(pos), Mode.READ));
    }

    static void zapCollapsibleSptes(PathBuilder b, VmConfig c, int slotId) {
        int pos = Memslots.position(c, slotId);
        if (c.mmu() == Mmu.BOTH) {
            locked(b, Mode.WRITE, () -> zapCollapsibleRmaps(b, slotId, pos, true));
        }
        Mode mode = c.mmu() == Mmu.SHADOW ? Mode.WRITE : Mode.READ;
        locked(b, mode, () -> SlotPaths.zapCollapsibleSpteRange(b, pos, mode));
    }

    /** kvm_set_memslot(KVM_MR_FLAGS_ONLY)'s swap alone, under slots_lock as the ioctl takes it. */
    static void setLogDirty(PathBuilder b, int pos, boolean on) {
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        b.emit(new SlotOps.SetLogDirty(pos, on));
        b.emit(new Ops.Release(LockId.slots_lock));
    }

    static void dirtyLogEnable(PathBuilder b, VmConfig c, int slotId) {
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        b.emit(new SlotOps.SetLogDirty(Memslots.position(c, slotId), true));
        b.emit(new SlotOps.SynchronizeSrcu());
        if (c.eagerPageSplit()) slotTrySplitHugePages(b, c, slotId);
        slotRemoveWriteAccess(b, c, slotId);
        b.emit(flushMemslot(slotId));
        b.emit(new Ops.Release(LockId.slots_lock));
    }

    static void dirtyLogDisable(PathBuilder b, VmConfig c, int slotId) {
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        b.emit(new SlotOps.SetLogDirty(Memslots.position(c, slotId), false));
        b.emit(new SlotOps.SynchronizeSrcu());
        zapCollapsibleSptes(b, c, slotId);
        b.emit(new Ops.Release(LockId.slots_lock));
    }

    static void clearDirtyLog(PathBuilder b, VmConfig c, int slotId) {
        int flush = b.local("flush");
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        locked(b, Mode.WRITE, () -> b.emit(clearDirtyMasked(slotId, flush)));
        int skip = b.placeholder();
        b.emit(flushMemslot(slotId));
        b.patch(skip, new Ops.JumpUnless(Expr.local(flush), b.here(), "flush"));
        b.emit(new Ops.Release(LockId.slots_lock));
    }
}
