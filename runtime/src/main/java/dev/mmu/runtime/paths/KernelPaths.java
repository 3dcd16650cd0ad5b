package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
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
     * zap_gfn_range() walk over [start, end) gfns of every root (v5.12-v5.19 with can_yield), mmu_lock
     * held for write by the caller. Ends with the "flush needed" flag in flushSlot, which the caller
     * owes. (Its v6.x successor, tdp_mmu_zap_leafs(), is prelude source: kernel/tdp_mmu.mmu.)
     */
    public static void zapGfnRange(PathBuilder b, Expr start, Expr end, int flushSlot, boolean canYield) {
        zapGfnRange(b, start, end, flushSlot, canYield, false);
    }

    /**
     * The same walk on a kernel whose teardown of a removed table flushes before freeing it
     * (v5.10-v5.17, {@link MmuOps.ZapStep}): only a huge leaf's zap leaves a flush owed.
     */
    public static void zapGfnRange(PathBuilder b, Expr start, Expr end, int flushSlot, boolean canYield,
                                   boolean teardownFlushes) {
        zapGfnRange(b, start, end, flushSlot, canYield, teardownFlushes, null);
    }

    /** As above; atYield (if not null) runs at each yield, before mmu_lock is retaken (a {@link Ops.MightResched}). */
    public static void zapGfnRange(PathBuilder b, Expr start, Expr end, int flushSlot, boolean canYield,
                                   boolean teardownFlushes, Op atYield) {
        zapGfnRange(b, start, end, flushSlot, canYield, teardownFlushes, atYield, Mode.WRITE);
    }

    /**
     * As above, the yield retaking mmu_lock in `mode`, the mode the caller took it in. The kernel's
     * walk passes shared = false (write); a copy under read_lock() fails lockdep on entry, and a
     * yield retaking it for write would go on with a lock mode the path never took.
     */
    public static void zapGfnRange(PathBuilder b, Expr start, Expr end, int flushSlot, boolean canYield,
                                   boolean teardownFlushes, Op atYield, Mode mode) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int startSlot = b.local("start");
        int endSlot = b.local("end");
        b.emit(new MmuOps.IterStart(it, start, end, startSlot, endSlot, TdpIter.Roots.ALL));
        int loop = b.here();
        int exit = b.placeholder();
        if (canYield) {
            int condResched = b.placeholder();
            if (atYield != null) b.emit(atYield);
            b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
            b.emit(new MmuOps.IterRestart(it, endSlot, false, -1));
            b.emit(new Ops.Jump(loop));
            b.patch(condResched, new MmuOps.IterCondResched(it, flushSlot, b.here()));
        }
        b.emit(new MmuOps.ZapStep(it, startSlot, endSlot, flushSlot, teardownFlushes));
        b.emit(new Ops.Jump(loop));
        b.patch(exit, new Ops.JumpUnless(Expr.local(it + TdpIter.VALID), b.here(), "iter.valid"));
        // for_each_tdp_mmu_root_yield_safe (v5.12), __for_each_tdp_mmu_root_yield_safe(.., false) of
        // kvm_tdp_mmu_unmap_gfn_range (tdp_mmu.c:1306, v7.2 as v6.12): every root, invalidated ones included.
        int next = b.placeholder();
        b.emit(new Ops.Jump(loop));
        b.patch(next, new MmuOps.IterNextRoot(it, startSlot, endSlot, TdpIter.Roots.ALL, b.here()));
    }

    /**
     * kvm_tdp_mmu_zap_sp(kvm, sp) before v5.13 (tdp_mmu.h, 5.12; 5.10.y has it by backport of
     * 33a3164161fc): __kvm_tdp_mmu_zap_gfn_range(kvm, sp->gfn, sp->gfn +
     * KVM_PAGES_PER_HPAGE(sp->role.level), can_yield = false), zap_gfn_range() without yields in
     * every root one after the other. sp->role.level was then the level of the SPTE pointing at sp
     * (alloc_tdp_mmu_page(vcpu, iter.gfn, iter.level), until v5.13's "KVM: x86/mmu: Fix TDP MMU
     * page table level"), so the range is the whole huge page sp replaced, [sp.gfn, sp.gfn_end). A
     * table the walk removes is flushed before it is freed (ZapStep.teardownFlushes, v5.10-v5.17).
     * With {@code rcu} (5.12, not 5.10), zap_gfn_range() holds rcu_read_lock() over its walk, and
     * the tables it removed wait for a grace period after it. Ends with the flush owed in flushSlot.
     */
    public static void zapSpByRange(PathBuilder b, Expr sp, int flushSlot, boolean rcu) {
        int spSlot = b.local("sp");
        b.emit(new Ops.Assign(spSlot, sp, "sp"));
        b.emit(new Ops.Assign(flushSlot, Expr.constant(0), "flush = false"));
        if (rcu) b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        zapGfnRange(b, spField(spSlot, "gfn"), spField(spSlot, "gfn_end"), flushSlot, false, true);
        if (rcu) b.emit(new Ops.Release(LockId.rcu));
    }

    /** sp->gfn, or the end of the range sp's table maps, of the shadow page in local `spSlot`. */
    private static Expr spField(int spSlot, String field) {
        return Expr.of(Footprint.reads(Resource.SPTE), new int[] {spSlot},
                (s, t) -> Queries.sp(s, s.threads[t].locals[spSlot], field));
    }

    /**
     * A user-written for_each_tdp_pte(iter, root, start, end) loop being emitted; `holdsRoot`: the
     * loop took its own reference on its root (the builtin `root`), which it puts at its end.
     */
    public record TdpLoop(int it, int endSlot, int top, int exit, boolean holdsRoot, boolean leafOnly) {
        public TdpLoop(int it, int endSlot, int top, int exit, boolean holdsRoot) {
            this(it, endSlot, top, exit, holdsRoot, false);
        }

        /** The local slot of an iterator field (gfn, level), or -1 for fields read from the SPTE. */
        public int slot(String field) {
            int f = MmuOps.iterSlot(field);
            return f < 0 ? -1 : it + f;
        }

        public Expr spteField(String field) {
            return MmuOps.iterSpte(it, field.equals("leaf"));
        }

        /** The root the walk is in: where iter.sptep points. */
        public Expr root() {
            return Expr.local(it + TdpIter.ROOT);
        }
    }

    /**
     * for_each_tdp_pte(iter, root, start, end) over gfns: the loop head; the body follows. With
     * `root` null, the valid root of address space 0 with a reference for the walk; else that root.
     */
    public static TdpLoop beginTdpPteLoop(PathBuilder b, Expr root, Expr startGfn, Expr endGfn) {
        return beginTdpPteLoop(b, root, startGfn, endGfn, false);
    }

    /** As above; lockless: root is a for_each_tdp_mmu_root_rcu() root, walked without mmu_lock. */
    public static TdpLoop beginTdpPteLoop(PathBuilder b, Expr root, Expr startGfn, Expr endGfn, boolean lockless) {
        return beginTdpPteLoop(b, root, startGfn, endGfn, lockless, false);
    }

    /**
     * As above; leafOnly: tdp_root_for_each_leaf_pte() (tdp_mmu.c:737), whose body sees the present
     * leaves only. The iterator's steps over the SPTEs it skips are in the step that reaches the
     * next leaf (as kvm_tdp_mmu_map()'s walk reads present tables in one step): docs/kernel-model.md,
     * "The aging walk".
     */
    public static TdpLoop beginTdpPteLoop(PathBuilder b, Expr root, Expr startGfn, Expr endGfn, boolean lockless,
                                          boolean leafOnly) {
        if (leafOnly && root == null) throw new IllegalArgumentException("tdp_root_for_each_leaf_pte takes a root");
        int it = b.locals("iter", TdpIter.SLOTS);
        int startSlot = b.local("start");
        int endSlot = b.local("end");
        b.emit(root == null ? new MmuOps.IterStart(it, startGfn, endGfn, startSlot, endSlot, TdpIter.Roots.ROOT)
                : new MmuOps.IterStartIn(it, root, startGfn, endGfn, startSlot, endSlot, lockless, leafOnly));
        int top = b.here();
        int exit = b.placeholder();
        return new TdpLoop(it, endSlot, top, exit, root == null, leafOnly);
    }

    /** The loop's tail: tdp_iter_next() (which restarts from the root after a yield) and back to the head. */
    public static void endTdpPteLoop(PathBuilder b, TdpLoop loop) {
        b.emit(new MmuOps.IterNext(loop.it(), loop.endSlot(), false, loop.leafOnly()));
        b.emit(new Ops.Jump(loop.top()));
        b.patch(loop.exit(), new Ops.JumpUnless(Expr.local(loop.it() + TdpIter.VALID), b.here(), "iter.valid"));
    }

    /** After the loop (where a break lands too): the walk's own root reference, if it took one, is put. */
    public static void putTdpPteLoopRoot(PathBuilder b, TdpLoop loop) {
        if (loop.holdsRoot()) b.emit(new MmuOps.IterPutRoot(loop.it()));
    }

    /**
     * tdp_mmu_iter_cond_resched(kvm, &iter, flush, shared) in a user loop: result 1 if it yielded
     * (flushing first when flush is set); the next tdp_iter_next() then restarts from the root.
     * perTable: a yield point only at the first SPTE of each last-level table (the prelude's walks).
     */
    public static void iterCondResched(PathBuilder b, TdpLoop loop, Expr flush, int result, Mode mode,
                                       boolean forwardProgressGuard, boolean perTable) {
        iterCondResched(b, loop, flush, result, mode, forwardProgressGuard, perTable, null);
    }

    /** As above; atYield (if not null) runs when it yields, before it retakes mmu_lock (a {@link Ops.MightResched}). */
    public static void iterCondResched(PathBuilder b, TdpLoop loop, Expr flush, int result, Mode mode,
                                       boolean forwardProgressGuard, boolean perTable, Op atYield) {
        int flushSlot = b.local("flush_arg");
        int tableSlot = perTable ? b.local("yield_table") : -1;
        b.emit(new Ops.Assign(flushSlot, flush, "flush"));
        b.emit(new Ops.Assign(result, Expr.constant(0), "yielded = false"));
        int check = b.placeholder();
        if (atYield != null) b.emit(atYield);
        b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
        b.emit(new MmuOps.IterRestart(loop.it(), loop.endSlot(), true, result));
        b.patch(check, new MmuOps.IterCondResched(loop.it(), flushSlot, b.here(), forwardProgressGuard, tableSlot));
    }

    /**
     * Emits kvm_tdp_mmu_page_fault() from its read_lock() on, or direct_page_fault() from its
     * write_lock() on: the prelude's source (kernel/mmu.mmu) as the interpreter compiles it, with
     * the struct kvm_page_fault the access made.
     */
    public interface PageFault {
        void emit(PathBuilder b, TdpMap.Fault fault);
    }

    /**
     * Emits fast_page_fault() after the guest access's first pass (the prelude's source, kernel/mmu.mmu,
     * as the interpreter compiles it), the fault's lockless SPTE in local spte; returns the local
     * of its `ret`.
     */
    public interface FastPageFault {
        int emit(PathBuilder b, TdpMap.Fault fault, int spte);
    }

    /**
     * Emits vcpu_enter_guest()'s root handling for a vCPU, in guest mode (is_guest_mode()) for an
     * access of the L2 guest: the prelude's source (kernel/x86.mmu) as the interpreter compiles it,
     * each call on that vCPU ({@link Ops.VcpuCall}).
     */
    public interface EnterGuest {
        void emit(PathBuilder b, int vcpu, boolean guestMode);
    }

    /**
     * A guest access by a vCPU: TLB, hardware walk, or an EPT violation handled by
     * kvm_tdp_page_fault() (v6.x: mmu_lock for read, the fault's steps emitted by tdpPageFault) /
     * direct_page_fault() on the shadow MMU (mmu_lock for write, emitted by directPageFault),
     * retried until the access succeeds. With nested = true (mmu both), the access is the L2
     * guest's: it walks the shadow root, and its faults build legacy shadow pages (direct_map,
     * mmu_lock for write) that share the NX list. A write first runs fast_page_fault() (emitted by
     * fastPageFault) if the walk says it can be fast.
     */
    public static void guestAccess(PathBuilder b, VmConfig c, int vcpu, Access kind, Expr gpa, boolean nested,
                                   PageFault tdpPageFault, PageFault directPageFault, FastPageFault fastPageFault,
                                   EnterGuest enterGuestPath) {
        guestAccess(b, c, vcpu, kind, gpa, nested, tdpPageFault, directPageFault, fastPageFault, enterGuestPath, false);
    }

    /**
     * As above; with everyEntry the access runs vcpu_enter_guest()'s root handling before each
     * entry, as the kernel does (kvm_mmu_reload() on every entry), and not only when the vCPU has a
     * request or no root: the compiler asks for it when the scenario pastes a path of that
     * handling, whose copy may do something (take a reference, free a root) where the prelude's
     * does nothing.
     */
    public static void guestAccess(PathBuilder b, VmConfig c, int vcpu, Access kind, Expr gpa, boolean nested,
                                   PageFault tdpPageFault, PageFault directPageFault, FastPageFault fastPageFault,
                                   EnterGuest enterGuestPath, boolean everyEntry) {
        boolean tdp = c.mmu() != Mmu.SHADOW && !nested;
        int seq = b.local("mmu_seq");
        int pfn = b.local("pfn");
        int slot = b.local(Memslots.FAULT_SLOT);
        int oldSpte = b.local("spte (lockless read)");
        int access = b.here();
        if (everyEntry) {
            enterGuestPath.emit(b, vcpu, nested);
            b.atomic(b.emit(new FaultOps.VmEntry(vcpu, nested, b.here() + 1)));
        }
        int accessOp = b.placeholder();
        int faultIn = b.placeholder();
        int m = b.locals("fault", TdpMap.SLOTS);
        (tdp ? tdpPageFault : directPageFault).emit(b, new TdpMap.Fault(vcpu, gpa, kind == Access.EXEC, kind == Access.WRITE, seq, pfn, slot, m,
                nested));
        b.emit(new FaultOps.FaultUnlock());
        b.emit(new Ops.Jump(access));
        int fastPf = -1;
        if (kind == Access.WRITE && !nested) {
            fastPf = b.here();
            int ret = fastPageFault.emit(b, new TdpMap.Fault(vcpu, gpa, false, true, seq, pfn, slot, -1, false), oldSpte);
            b.atomic(b.emit(new FaultOps.FastPageFaultReturn(ret, access, faultIn)));
        }
        int enterGuest = access;
        if (!everyEntry) {
            enterGuest = b.here();
            enterGuestPath.emit(b, vcpu, nested);
            b.atomic(b.emit(new FaultOps.VmEntry(vcpu, nested, access)));
        }
        int done = b.here();
        b.patch(accessOp, new FaultOps.GuestAccess(vcpu, kind, gpa, done, nested, fastPf, oldSpte, slot, enterGuest));
        b.patch(faultIn, new FaultOps.FaultIn(gpa, seq, pfn, slot, access, done, kind == Access.WRITE));
    }

    static Expr gfn(Expr gpa) {
        return Expr.of(gpa.footprint(), gpa.locals(), (s, t) -> gpa.eval(s, t) >>> 12);
    }

}
