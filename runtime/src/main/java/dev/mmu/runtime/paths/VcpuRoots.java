package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.VmState;

/**
 * A vCPU's own root (vcpu->arch.root_mmu.root.hpa) at its own guest entry, v6.12: vcpu_enter_guest()
 * (x86.c) serves KVM_REQ_MMU_FREE_OBSOLETE_ROOTS with kvm_mmu_free_obsolete_roots() (mmu.c: an
 * obsolete root is freed, kvm_mmu_free_roots() -> mmu_free_root_page() -> kvm_tdp_mmu_put_root()
 * under mmu_lock for read), then kvm_mmu_reload() -> kvm_mmu_load() -> mmu_alloc_direct_roots() ->
 * kvm_tdp_mmu_alloc_root() (tdp_mmu.c) gives it a root of its role if it has none, and
 * flush_tlb_current(). Until then the vCPU keeps its old root and its reference: the window in
 * which an invalidated root is zapped while still referenced. (Later kernels also serve the
 * request from kvm_mmu_reload() itself, for KVM_PRE_FAULT_MEMORY, which enters no guest.)
 * These are Java ops, not prelude source: a guest access is compiled for one vCPU, and vCPU
 * symmetry identifies twin threads only through {@link FaultOps.VcpuOp}s.
 */
public final class VcpuRoots {
    private VcpuRoots() {}

    /** Reading the vCPU's root and request bits. */
    static Footprint reads(int vcpu) {
        return Footprint.LOCAL.andReadsRoots(vcpu);
    }

    /** Whether the vCPU must run the code below before it enters the guest: a request, or no root. */
    static boolean mustReload(VmState s, int vcpu) {
        return (s.freeObsoleteRootsRequests & (1L << vcpu)) != 0 || s.vcpuRoots[vcpu] < 0;
    }

    /**
     * Emits vcpu_enter_guest()'s root handling for one vCPU; it ends by jumping to `enter` (the guest
     * access). Returns the pc it starts at.
     */
    static int emitEnterGuest(PathBuilder b, int vcpu, int enter) {
        int start = b.here();
        int check = b.placeholder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, Lock.Mode.READ)); // kvm_mmu_free_roots(): read_lock (TDP MMU)
        b.emit(new FreeRoot(vcpu));
        b.emit(new Ops.Release(LockId.mmu_lock));
        int reload = b.emit(new Reload(vcpu, enter));
        b.emit(new Ops.Acquire(LockId.mmu_lock, Lock.Mode.READ)); // kvm_tdp_mmu_alloc_root(): read_lock
        b.emit(new AllocRoot(vcpu));
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.emit(new Ops.Jump(enter));
        b.patch(check, new FreeObsoleteRoots(vcpu, reload));
        return start;
    }

    /**
     * kvm_check_request(KVM_REQ_MMU_FREE_OBSOLETE_ROOTS, vcpu) clears the request; then
     * kvm_mmu_free_obsolete_roots() frees the current root if is_obsolete_root() (falls through to
     * kvm_mmu_free_roots()), else goes on to kvm_mmu_reload() (`reload`).
     */
    public record FreeObsoleteRoots(int vcpu, int reload) implements FaultOps.VcpuOp {
        public FreeObsoleteRoots forVcpu(int v) {
            return new FreeObsoleteRoots(v, reload);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            boolean requested = (s.freeObsoleteRootsRequests & (1L << vcpu)) != 0;
            s.freeObsoleteRootsRequests &= ~(1L << vcpu);
            if (!requested || !FastZap.obsolete(s, s.sp(s.vcpuRoots[vcpu]))) e.nextPc = reload;
            else e.note("vCPU " + vcpu + ": KVM_REQ_MMU_FREE_OBSOLETE_ROOTS, " + s.sp(s.vcpuRoots[vcpu]) + " is obsolete");
        }

        public Footprint footprint() {
            return Footprint.reads(Resource.INVALID_ROOTS).andUpdatesRoots(vcpu);
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, reload};
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public String describe() {
            return "kvm_mmu_free_obsolete_roots";
        }
    }

    /**
     * mmu_free_root_page() (v6.12) from kvm_mmu_free_roots(): kvm_tdp_mmu_put_root() under
     * lockdep_assert_held_read(), root.hpa = INVALID_PAGE. The vCPU's TLB entries are emptied here:
     * tagged with the root it no longer has, nothing reaches them before kvm_mmu_load() flushes
     * (flush_tlb_current), and nothing but this vCPU fills them.
     */
    public record FreeRoot(int vcpu) implements FaultOps.VcpuOp {
        public FreeRoot forVcpu(int v) {
            return new FreeRoot(v);
        }

        public void exec(Exec e, int choice) {
            if ((e.s.mmuReaders & (1L << e.thread)) == 0) e.violate(Invariant.lockdep, "mmu_free_root_page without mmu_lock held for read");
            freeRoot(e, vcpu);
        }

        public Footprint footprint() {
            return TdpMmu.PUT_ROOT.andReads(Resource.MMU_LOCK).andUpdatesRoots(vcpu).andUpdatesTlb(vcpu).naming(vcpu);
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public String describe() {
            return "mmu_free_root_page";
        }
    }

    /** mmu_free_root_page() of the vCPU's root (the caller checks the lock). */
    static void freeRoot(Exec e, int vcpu) {
        VmState s = e.s;
        int root = s.vcpuRoots[vcpu];
        if (root < 0) return; // if (!VALID_PAGE(*root_hpa)) return;
        s.vcpuRoots[vcpu] = -1;
        TdpMmu.putRoot(e, root);
        Tlbs.flushCurrent(s, vcpu);
    }

    /** A vCPU number passed to a primitive, checked. */
    static int vcpu(Exec e, long v) {
        if (v < 0 || v >= e.s.config.vcpus()) throw new ScenarioError("no vCPU " + v);
        return (int) v;
    }

    /**
     * kvm_smm_changed()'s hflags update (smm.c, v6.12): HF_SMM_MASK set or cleared; the root the
     * vCPU loads next is of address space 1 in SMM. The SMM root is modelled with mmu tdp only.
     */
    static void setSmm(Exec e, long v, boolean smm) {
        int vcpu = vcpu(e, v);
        if (e.s.config.mmu() != Mmu.TDP) throw new ScenarioError("kvm_smm_changed: SMM roots are modelled with mmu tdp only");
        if (smm) e.s.smmVcpus |= 1L << vcpu;
        else e.s.smmVcpus &= ~(1L << vcpu);
        e.note("vCPU " + vcpu + (smm ? " enters" : " leaves") + " SMM");
    }

    /** kvm_mmu_reload(): a vCPU that has a root enters the guest (`enter`); else kvm_mmu_load(). */
    public record Reload(int vcpu, int enter) implements FaultOps.VcpuOp {
        public Reload forVcpu(int v) {
            return new Reload(v, enter);
        }

        public void exec(Exec e, int choice) {
            if (e.s.vcpuRoots[vcpu] >= 0) e.nextPc = enter;
        }

        public Footprint footprint() {
            return reads(vcpu);
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, enter};
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public String describe() {
            return "kvm_mmu_reload";
        }
    }

    /**
     * kvm_tdp_mmu_alloc_root() (tdp_mmu.c, v6.12) under mmu_lock for read: a valid root of the
     * vCPU's role (address space 1 in SMM) gets a reference (for_each_valid_tdp_mmu_root_yield_safe
     * keeps the one it took), else, rechecked under tdp_mmu_pages_lock (one step with the lookup
     * here), a new root starts at 2: the vCPU's and the TDP MMU's own. Then kvm_mmu_load()'s
     * flush_tlb_current() (after read_unlock in the kernel; only this vCPU fills its TLB).
     */
    public record AllocRoot(int vcpu) implements FaultOps.VcpuOp {
        public AllocRoot forVcpu(int v) {
            return new AllocRoot(v);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            if ((s.mmuReaders & (1L << e.thread)) == 0) e.violate(Invariant.lockdep, "kvm_tdp_mmu_alloc_root without mmu_lock held for read");
            int root = allocRoot(s, s.inSmm(vcpu));
            s.vcpuRoots[vcpu] = root;
            Tlbs.flushCurrent(s, vcpu);
            e.note("vCPU " + vcpu + ": kvm_mmu_load loads " + s.sp(root) + ", flush_tlb_current");
        }

        public Footprint footprint() {
            return Footprint.updates(Resource.SPTE, Resource.VIOLATIONS).andReads(Resource.MMU_LOCK, Resource.INVALID_ROOTS)
                    .andUpdatesRoots(vcpu).andUpdatesTlb(vcpu).naming(vcpu);
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public String describe() {
            return "kvm_tdp_mmu_alloc_root";
        }
    }

    /** kvm_tdp_mmu_alloc_root(): the role's valid root with a reference more, else a new one (count 2). */
    static int allocRoot(VmState s, boolean smm) {
        int current = smm ? s.smmRoot : s.root;
        ShadowPage p = s.sp(current);
        if (p != null && p.status == ShadowPage.LIVE && !p.invalid) {
            s.spForWrite(current).rootCount++;
            return current;
        }
        int root = FastZap.allocRoot(s, s.config.tdpLevels(), true, 1);
        if (smm) s.smmRoot = root;
        else s.root = root;
        return root;
    }
}
