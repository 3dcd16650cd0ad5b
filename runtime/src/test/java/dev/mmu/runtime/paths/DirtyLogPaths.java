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

    private static void locked(PathBuilder b, Mode mode, Runnable body) {
        b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
        body.run();
        b.emit(new Ops.Release(LockId.mmu_lock));
    }

    static void slotRemoveWriteAccess(PathBuilder b, VmConfig c, int slotId) {
        int pos = Memslots.position(c, slotId);
        if (c.mmu() == Mmu.BOTH) locked(b, Mode.WRITE, () -> RmapWalks.writeProtect(b, pos, false, "slot_rmap_write_protect"));
        Mode mode = c.mmu() == Mmu.SHADOW ? Mode.WRITE : Mode.READ;
        locked(b, mode, () -> SlotPaths.wrprotGfnRange(b, Memslots.baseGfn(pos), Memslots.endGfn(pos), 1, mode, -1));
    }

    static void slotTrySplitHugePages(PathBuilder b, VmConfig c, int slotId) {
        if (c.mmu() == Mmu.SHADOW) return;
        int pos = Memslots.position(c, slotId);
        if (c.mmu() == Mmu.BOTH) {
            locked(b, Mode.WRITE, () -> RmapWalks.trySplitHugePages(b, pos, "kvm_shadow_mmu_try_split_huge_pages"));
        }
        locked(b, Mode.READ, () -> SlotPaths.splitHugePagesRoot(b, Memslots.baseGfn(pos), Memslots.endGfn(pos), Mode.READ));
    }

    static void zapCollapsibleSptes(PathBuilder b, VmConfig c, int slotId) {
        int pos = Memslots.position(c, slotId);
        if (c.mmu() == Mmu.BOTH) {
            locked(b, Mode.WRITE, () -> RmapWalks.zapCollapsibleSptes(b, pos, true, "kvm_rmap_zap_collapsible_sptes"));
        }
        Mode mode = c.mmu() == Mmu.SHADOW ? Mode.WRITE : Mode.READ;
        locked(b, mode, () -> SlotPaths.zapCollapsibleSpteRange(b, pos, mode));
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
