package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;

/**
 * The prelude's fast_page_fault, kvm_tdp_mmu_page_fault and kvm_tdp_mmu_map, direct_page_fault and
 * direct_map (kernel/mmu.mmu, kernel/tdp_mmu.mmu) as the interpreter compiles them, for the runtime's
 * unit tests, which cannot load the prelude: the guest access with its fast path, its TDP fault and
 * its shadow MMU fault. Change it with the prelude.
 */
final class FaultPaths {
    private FaultPaths() {}

    static void guestAccess(PathBuilder b, VmConfig c, int vcpu, Access kind, Expr gpa) {
        guestAccess(b, c, vcpu, kind, gpa, false);
    }

    static void guestAccess(PathBuilder b, VmConfig c, int vcpu, Access kind, Expr gpa, boolean nested) {
        KernelPaths.guestAccess(b, c, vcpu, kind, gpa, nested, (p, f) -> kvmTdpMmuPageFault(p, c, f, true),
                (p, f) -> directPageFault(p, c, f), FaultPaths::fastPageFault, (p, v, guestMode) -> vcpuEnterGuest(p, c, v, guestMode));
    }

    /** direct_page_fault() from write_lock(), with direct_map() inlined. */
    static void directPageFault(PathBuilder b, VmConfig c, TdpMap.Fault f) {
        directPageFault(b, c, f, Mode.WRITE);
    }

    /** direct_page_fault() with mmu_lock taken in `mode` (READ: a patch that breaks the kernel's locking). */
    static void directPageFault(PathBuilder b, VmConfig c, TdpMap.Fault f, Mode mode) {
        b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
        int stale = b.placeholder();
        int start = b.placeholder();
        int walk = b.placeholder();
        int top = b.here();
        Expr level = Expr.local(f.slot("level"));
        int notTarget = b.placeholder();
        b.emit(new DirectMap.SetSpte(f.gpa(), f.m(), f.pfn(), f.slotFlags()));
        int mapped = b.placeholder();
        b.patch(notTarget, new Ops.JumpUnless(new Expr.Computed(Expr.Operator.EQ, level, Expr.local(f.slot("goal_level"))),
                b.here(), "it.level == fault.goal_level"));
        b.emit(new DirectMap.Link(f.gpa(), f.m()));
        if (f.exec() && c.nxHugePages()) {
            Expr possible = new Expr.Computed(Expr.Operator.GE, Expr.local(f.slot("req_level")), level);
            b.emit(new Ops.Call(Primitives.get("account_nx_huge_page"), new Expr[] {Expr.local(f.slot("sp")), possible}, -1));
        }
        int next = b.placeholder();
        b.emit(new Ops.Jump(top));
        int end = b.here();
        b.patch(walk, new DirectMap.Walk(f.gpa(), f.m(), false, end));
        b.patch(next, new DirectMap.Walk(f.gpa(), f.m(), true, end));
        b.patch(mapped, new Ops.Jump(end));
        b.patch(start, new DirectMap.Start(f.vcpu(), f.gpa(), f.m(), f.slotFlags(), f.exec(), f.nested(), end));
        b.patch(stale, new FaultOps.PageFaultStale(f.vcpu(), f.gpa(), f.seq(), -1, end, true, true, f.nested()));
    }

    /**
     * vcpu_enter_guest() (kernel/x86.mmu) with kvm_mmu_free_obsolete_roots(), kvm_mmu_reload() and
     * kvm_mmu_load() (kernel/mmu.mmu), kvm_tdp_mmu_alloc_root() (kernel/tdp_mmu.mmu) inlined, for the
     * TDP MMU's root_mmu and (mmu both) the L2 guest's guest_mmu; in guest mode the L2 root is loaded.
     */
    static void vcpuEnterGuest(PathBuilder b, VmConfig c, int vcpu, boolean guestMode) {
        int noRequest = b.placeholder();
        int notObsolete = b.placeholder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
        b.emit(vcpuCall("mmu_free_root_page", vcpu, -1));
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.patch(notObsolete, vcpuCall("is_obsolete_root", vcpu, -1).branch(b.here(), false));
        if (c.mmu() == Mmu.BOTH) {
            int l2NotObsolete = b.placeholder();
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(guestMmuCall("mmu_free_root_page", vcpu, -1));
            b.emit(new Ops.Call(Primitives.get("commit_zap"), new Expr[0], -1));
            b.emit(new Ops.Release(LockId.mmu_lock));
            b.patch(l2NotObsolete, guestMmuCall("is_obsolete_root", vcpu, -1).branch(b.here(), false));
        }
        b.patch(noRequest, vcpuCall("kvm_check_request_free_obsolete_roots", vcpu, -1).branch(b.here(), false));
        int valid = b.placeholder();
        if (guestMode) {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(guestMmuCall("mmu_alloc_root", vcpu, -1));
        } else {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
            b.emit(vcpuCall("tdp_mmu_get_or_alloc_root", vcpu, -1));
        }
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.emit(vcpuCall("flush_tlb_current", vcpu, -1));
        b.patch(valid, (guestMode ? guestMmuCall("root_hpa_valid", vcpu, -1) : vcpuCall("root_hpa_valid", vcpu, -1)).branch(b.here(), true));
    }

    /** A root primitive on the vCPU's guest_mmu (guest_mmu = true). */
    private static Ops.VcpuCall guestMmuCall(String primitive, int vcpu, int result) {
        return new Ops.VcpuCall(Primitives.get(primitive), vcpu, new Expr[] {Expr.constant(1)}, result);
    }

    /** A primitive whose only parameter is vcpu_id, on that vCPU. */
    static Ops.VcpuCall vcpuCall(String primitive, int vcpu, int result) {
        return new Ops.VcpuCall(Primitives.get(primitive), vcpu, new Expr[0], result);
    }

    /** fast_page_fault() from its first cmpxchg: the retry loop; returns the local of ret. */
    static int fastPageFault(PathBuilder b, TdpMap.Fault f, int spte) {
        int ret = b.local("ret");
        int retryCount = b.local("retry_count");
        int pass = b.local("pass");
        b.emit(new Ops.Assign(ret, Expr.constant(FaultOps.RET_PF_INVALID), "ret = RET_PF_INVALID"));
        b.emit(new Ops.Assign(retryCount, Expr.constant(0), "retry_count = 0"));
        int top = b.here();
        int fix = b.placeholder();
        b.emit(new Ops.Assign(ret, Expr.constant(FaultOps.RET_PF_FIXED), "ret = RET_PF_FIXED"));
        int fixedExit = b.placeholder();
        b.patch(fix, new FaultOps.FastPfFixDirectSpte(f.vcpu(), f.gpa(), spte, f.slotFlags(), -1).branch(b.here(), false));
        Expr count = Expr.local(retryCount);
        b.emit(new Ops.Assign(retryCount, new Expr.Computed(Expr.Operator.ADD, count, Expr.constant(1)), "retry_count + 1"));
        int again = b.placeholder();
        int tooMany = b.placeholder();
        b.patch(again, new Ops.JumpUnless(new Expr.Computed(Expr.Operator.GT, count, Expr.constant(4)), b.here(),
                "retry_count > 4"));
        b.emit(new FaultOps.FastPfGetLastSptep(f.vcpu(), f.gpa(), spte, f.slotFlags(), pass));
        int fixable = b.placeholder();
        b.emit(new Ops.Assign(ret, Expr.local(pass), "ret = pass"));
        int passExit = b.placeholder();
        b.patch(fixable, new Ops.JumpUnless(Expr.local(pass), b.here(), "pass != RET_PF_CONTINUE"));
        b.emit(new Ops.Jump(top));
        b.patch(fixedExit, new Ops.Jump(b.here()));
        b.patch(tooMany, new Ops.Jump(b.here()));
        b.patch(passExit, new Ops.Jump(b.here()));
        return ret;
    }

    /**
     * kvm_tdp_mmu_page_fault() from read_lock(); with recheck false, the NX tracking after a link
     * without v6.2's `if (sp->nx_huge_page_disallowed)` (the pre-fix kernel).
     */
    static void kvmTdpMmuPageFault(PathBuilder b, VmConfig c, TdpMap.Fault f, boolean recheck) {
        kvmTdpMmuPageFault(b, c, f, recheck, false);
    }

    /** The same with spuriousIfAllowed: tdp_mmu_map_handle_target_level() as v6.13+ has it. */
    static void kvmTdpMmuPageFault(PathBuilder b, VmConfig c, TdpMap.Fault f, boolean recheck, boolean spuriousIfAllowed) {
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
        int stale = b.placeholder();
        kvmTdpMmuMap(b, c, f, recheck, spuriousIfAllowed);
        b.patch(stale, new FaultOps.PageFaultStale(f.vcpu(), f.gpa(), f.seq(), 0).branch(b.here(), true));
    }

    private static void kvmTdpMmuMap(PathBuilder b, VmConfig c, TdpMap.Fault f, boolean recheck, boolean spuriousIfAllowed) {
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        b.emit(new TdpMap.Start(f.vcpu(), f.gpa(), f.m(), f.slotFlags(), f.exec()));
        int walk = b.here();
        b.emit(TdpMap.Walk.at(f.gpa(), f.m(), walk));
        int top = b.here();
        Expr level = Expr.local(f.slot("level"));
        int notFrozen = b.placeholder();
        int retry = b.placeholder();
        b.patch(notFrozen, new Ops.JumpUnless(new Expr.Computed(Expr.Operator.FROZEN, Expr.local(f.slot("old_spte")), null),
                b.here(), "is_frozen_spte(iter.old_spte)"));
        int notTarget = b.placeholder();
        handleTargetLevel(b, f, spuriousIfAllowed);
        int mapped = b.placeholder();
        b.patch(notTarget, new Ops.JumpUnless(new Expr.Computed(Expr.Operator.EQ, level, Expr.local(f.slot("goal_level"))),
                b.here(), "iter.level == fault.goal_level"));
        int link = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("tdp_mmu_free_unused_sp"), new Expr[0], -1));
        int failed = b.placeholder();
        b.patch(link, new TdpMap.Link(f.gpa(), f.m(), f.exec(), -1).branch(b.here(), false));
        // if (fault->huge_page_disallowed && fault->req_level >= iter.level): spin_lock, then one step from the check to the unlock
        int noTrack = b.placeholder();
        int sp = f.slot("sp");
        b.emit(new Ops.Acquire(LockId.tdp_mmu_pages_lock, Mode.WRITE));
        b.emit(new Ops.Note("atomic {"));
        int locked = b.here();
        int flag = b.local("nx_huge_page_disallowed()");
        int untracked = -1;
        if (recheck) {
            b.emit(new Ops.Call(Primitives.get("nx_huge_page_disallowed"), new Expr[] {Expr.local(sp)}, flag));
            untracked = b.placeholder();
        }
        b.emit(new Ops.Call(Primitives.get("track_possible_nx_huge_page"), new Expr[] {Expr.local(sp)}, -1));
        if (recheck) b.patch(untracked, new Ops.JumpUnless(Expr.local(flag), b.here(), "sp->nx_huge_page_disallowed"));
        b.emit(new Ops.Release(LockId.tdp_mmu_pages_lock));
        b.atomic(locked);
        Expr req = new Expr.Computed(Expr.Operator.GE, Expr.local(f.slot("req_level")), level);
        b.patch(noTrack, new Ops.JumpUnless(new Expr.Computed(Expr.Operator.AND,
                Expr.constant(f.exec() && c.nxHugePages() ? 1 : 0), req), b.here(), "fault.huge_page_disallowed && fault.req_level >= iter.level"));
        int next = b.placeholder();
        b.emit(new Ops.Jump(top));
        int end = b.here();
        b.patch(next, TdpMap.Walk.afterLink(f.gpa(), f.m(), end, walk));
        b.patch(retry, new Ops.Jump(end));
        b.patch(mapped, new Ops.Jump(end));
        b.patch(failed, new Ops.Jump(end));
        b.emit(new Ops.Release(LockId.rcu));
    }

    /**
     * tdp_mmu_map_handle_target_level() as the prelude has it (kernel/tdp_mmu.mmu; with
     * spuriousIfAllowed false, kernel/6.12/tdp_mmu.mmu's, without the early return and the leaf
     * flush): the checks of iter.old_spte, make_spte(), tdp_mmu_set_spte_atomic(), the flush.
     */
    static void handleTargetLevel(PathBuilder b, TdpMap.Fault f, boolean spuriousIfAllowed) {
        Expr old = Expr.local(f.slot("old_spte"));
        Expr level = Expr.local(f.slot("level"));
        Expr present = new Expr.Computed(Expr.Operator.SHADOW_PRESENT, old, null);
        Expr last = new Expr.Computed(Expr.Operator.LAST_SPTE, old, level);
        int spurious = spuriousIfAllowed ? b.placeholder() : -1;
        int newSpte = b.local("new_spte");
        b.emit(new TdpMap.MakeSpte(f, newSpte));
        int same = b.placeholder();
        int failed = b.placeholder();
        Expr notLast = new Expr.Computed(Expr.Operator.NOT, last, null);
        Expr replaced = spuriousIfAllowed ? new Expr.Computed(Expr.Operator.OR, notLast,
                new Expr.Computed(Expr.Operator.LEAF_CHANGE_NEEDS_FLUSH, old, Expr.local(newSpte))) : notLast;
        int noFlush = b.placeholder();
        Expr gfn = new Expr.Computed(Expr.Operator.GFN_ROUND_FOR_LEVEL,
                new Expr.Computed(Expr.Operator.DIV, f.gpa(), Expr.constant(4096)), level);
        b.emit(new Ops.Call(Primitives.get("kvm_flush_remote_tlbs_gfn"), new Expr[] {gfn, level}, -1));
        int end = b.here();
        if (spuriousIfAllowed) {
            Expr allowed = new Expr.Computed(Expr.Operator.AND, new Expr.Computed(Expr.Operator.AND, present,
                    new Expr.Computed(Expr.Operator.ACCESS_ALLOWED, old, Expr.constant(Expr.Operator.access(f.exec(), f.write())))), last);
            b.patch(spurious, new Ops.JumpUnless(new Expr.Computed(Expr.Operator.NOT, allowed, null), end,
                    "!(is_shadow_present_pte && is_access_allowed && is_last_spte)"));
        }
        b.patch(same, new Ops.JumpUnless(new Expr.Computed(Expr.Operator.NE, Expr.local(newSpte), old), end,
                "new_spte != iter.old_spte"));
        b.patch(failed, new TdpMap.SetSpteAtomic(f, Expr.local(newSpte), -1).branch(end, true));
        b.patch(noFlush, new Ops.JumpUnless(new Expr.Computed(Expr.Operator.AND, present, replaced), end,
                "is_shadow_present_pte(iter.old_spte) && ..."));
    }
}
