package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.VmState;

/**
 * A vCPU's own roots (vcpu->arch.root_mmu.root.hpa, and with mmu both guest_mmu's: the L2
 * guest's), its KVM_REQ_MMU_FREE_OBSOLETE_ROOTS and HF_SMM_MASK, v7.2 as v6.12: the primitives under the
 * prelude's vcpu_enter_guest() (x86.mmu), which a vCPU's guest access runs when it has the request
 * pending or no root. Until then the vCPU keeps its old root and its reference: the window in
 * which an obsolete root is zapped while still referenced.
 */
public final class VcpuRoots {
    private VcpuRoots() {}

    /** Reading the vCPU's root and request bits. */
    static Footprint reads(int vcpu) {
        return Footprint.LOCAL.andReadsRoots(vcpu);
    }

    /**
     * Whether the vCPU must run vcpu_enter_guest() before it enters the guest (the L2 guest if
     * nested): a request, or no root in the MMU it runs on (vcpu->arch.mmu: guest_mmu in guest mode).
     */
    static boolean mustReload(VmState s, int vcpu, boolean nested) {
        return (s.freeObsoleteRootsRequests & (1L << vcpu)) != 0 || s.root(vcpu, nested) < 0;
    }

    /** mmu->root.hpa of root_mmu, or of guest_mmu (mmu both: the L2 guest's shadow root). */
    private static void setRoot(VmState s, int vcpu, boolean guestMmu, int root) {
        if (guestMmu) s.vcpuNestedRoots[vcpu] = root;
        else s.vcpuRoots[vcpu] = root;
    }

    /** kvm_check_request(KVM_REQ_MMU_FREE_OBSOLETE_ROOTS, vcpu): test and clear. */
    static boolean checkRequest(Exec e, int vcpu) {
        VmState s = e.s;
        boolean requested = (s.freeObsoleteRootsRequests & (1L << vcpu)) != 0;
        s.freeObsoleteRootsRequests &= ~(1L << vcpu);
        return requested;
    }

    /**
     * is_obsolete_root(kvm, mmu->root.hpa) of root_mmu or guest_mmu (mmu.c:6291, v7.2 as v6.12): the root is invalid or
     * of an old generation; `return !sp || is_obsolete_sp(kvm, sp)`: a root without its shadow page
     * (in the model: freed under the vCPU) counts as obsolete.
     */
    static boolean obsoleteRoot(Exec e, int vcpu, boolean guestMmu) {
        VmState s = e.s;
        int root = s.root(vcpu, guestMmu);
        boolean obsolete = root >= 0 && (s.sp(root) == null || FastZap.obsolete(s, s.sp(root)));
        if (obsolete) e.note("vCPU " + vcpu + ": " + s.sp(root) + " is obsolete");
        return obsolete;
    }

    /**
     * mmu_free_root_page() of the vCPU's root (the caller checks mmu_lock is held; v7.2 asserts it
     * held for read for a TDP MMU root, for write for a legacy one): kvm_tdp_mmu_put_root(),
     * root.hpa = INVALID_PAGE. Nothing flushes the vCPU's TLB: its entries stay tagged with the
     * root's page ({@link Tlbs#park}) until kvm_mmu_load()'s flush_tlb_current().
     */
    static void freeRoot(Exec e, int vcpu, boolean guestMmu) {
        VmState s = e.s;
        int root = s.root(vcpu, guestMmu);
        if (root < 0) return; // if (!VALID_PAGE(*root_hpa)) return;
        Tlbs.park(s, vcpu, guestMmu);
        setRoot(s, vcpu, guestMmu, -1);
        if (s.sp(root) == null) {
            e.violate(Invariant.freed_root_in_use, "mmu_free_root_page: vCPU " + vcpu + "'s root sp" + root + " was freed under it");
        } else if (s.sp(root).tdp) {
            // lockdep_assert_held_read(): mmu_lock held for write fails it too (trial14)
            if (s.mmuWriter == e.thread) {
                e.violate(Invariant.lockdep, "mmu_free_root_page of a TDP MMU root with mmu_lock held for write, not read");
            }
            TdpMmu.putRoot(e, root);
        } else putShadowRoot(e, root);
    }

    /**
     * mmu_free_root_page() of a legacy root (mmu shadow's, or the L2 guest's of guest_mmu; mmu.c:3849, v7.2 as v6.12), under mmu_lock for write: if (!--sp->root_count
     * && sp->role.invalid) kvm_mmu_prepare_zap_page(). A root is invalid only once
     * kvm_zap_obsolete_pages() prepared its zap (children unlinked, kept off invalid_list while
     * referenced): the last put queues it for the caller's kvm_mmu_commit_zap_page().
     */
    static void putShadowRoot(Exec e, int root) {
        if (e.s.mmuWriter != e.thread) {
            e.violate(Invariant.lockdep, "mmu_free_root_page of a shadow root without mmu_lock held for write");
        }
        ShadowPage p = e.s.spForWrite(root);
        p.rootCount--;
        String tooMany = Invariants.rootPutTooMany(e.s, root);
        if (tooMany != null) e.violate(Invariant.freed_root_in_use, "mmu_free_root_page(): a put too many: " + tooMany);
        if (p.rootCount == 0 && p.invalid) {
            ShadowMmu.queueInvalid(e, root);
            e.note("mmu_free_root_page(" + p + "): last reference to a zapped root, on invalid_list");
        }
    }

    /** A vCPU number passed to a primitive, checked. */
    static int vcpu(Exec e, long v) {
        if (v < 0 || v >= e.s.config.vcpus()) throw new ScenarioError("no vCPU " + v);
        return (int) v;
    }

    /**
     * kvm_smm_changed()'s hflags update (smm.c:112, v7.2 as v6.12): HF_SMM_MASK set or cleared; the root the
     * vCPU loads next is of address space 1 in SMM. The SMM root is modelled with mmu tdp only.
     */
    static void setSmm(Exec e, long v, boolean smm) {
        int vcpu = vcpu(e, v);
        if (e.s.config.mmu() != Mmu.TDP) throw new ScenarioError("kvm_smm_changed: SMM roots are modelled with mmu tdp only");
        if (smm) e.s.smmVcpus |= 1L << vcpu;
        else e.s.smmVcpus &= ~(1L << vcpu);
        e.note("vCPU " + vcpu + (smm ? " enters" : " leaves") + " SMM");
    }

    /**
     * SMRAM in address space 1 over [gpa, gpa + size) (QEMU's KVM_SET_USER_MEMORY_REGION of as_id 1):
     * the SMM root maps other pages there than address space 0's. Refused while a vCPU is in SMM:
     * the model's roots keep their pfns, so only the role of the root an access uses tells the spaces apart.
     */
    static void setSmram(Exec e, long gpa, long size) {
        VmState s = e.s;
        if (s.config.mmu() != Mmu.TDP) throw new ScenarioError("kvm_set_smram_region: SMM roots are modelled with mmu tdp only");
        if (size <= 0 || (gpa & 0xfff) != 0 || (size & 0xfff) != 0) {
            throw new ScenarioError("kvm_set_smram_region: gpa and size must be 4K-aligned and size positive");
        }
        if (s.smmVcpus != 0) {
            throw new ScenarioError("kvm_set_smram_region: declare SMRAM while no vCPU is in SMM");
        }
        s.smramStart = gpa >>> 12;
        s.smramEnd = (gpa + size) >>> 12;
        e.note("address space 1 maps SMRAM at gpa 0x" + Long.toHexString(gpa) + "..0x" + Long.toHexString(gpa + size));
    }

    /** Whether the vCPU runs on a root whose role.smm is not its HF_SMM_MASK (kvm_smm_changed() without the unload). */
    static boolean roleMismatch(VmState s, int vcpu) {
        ShadowPage root = s.sp(s.root(vcpu, false));
        return root != null && root.smm != s.inSmm(vcpu);
    }

    /**
     * wrong_address_space: a vCPU's access to gfn through a root whose role.smm is not the vCPU's
     * (kvm_mmu_reset_context() without kvm_mmu_unload()) where SMRAM makes the address spaces differ,
     * or null. The nested (L2) guest's shadow root is not an SMM one.
     */
    static String wrongAddressSpace(VmState s, int vcpu, long gfn) {
        if (gfn < s.smramStart || gfn >= s.smramEnd || !roleMismatch(s, vcpu)) return null;
        ShadowPage root = s.sp(s.root(vcpu, false));
        return s.inSmm(vcpu)
                ? "vCPU " + vcpu + " is in SMM but runs on " + root + " of address space 0 (role.smm 0): gfn 0x"
                        + Long.toHexString(gfn) + " reaches guest RAM where address space 1 maps SMRAM"
                : "vCPU " + vcpu + " left SMM but runs on " + root + " of address space 1 (role.smm 1): gfn 0x"
                        + Long.toHexString(gfn) + " reaches SMRAM outside SMM";
    }

    /**
     * kvm_tdp_mmu_alloc_root() (tdp_mmu.c:259, v7.2 as v6.12 for direct roots) under mmu_lock for read: a valid root of the
     * vCPU's role (address space 1 in SMM) gets a reference, else a new one; root.hpa is set.
     */
    static void loadRoot(Exec e, int vcpu) {
        VmState s = e.s;
        int root = allocRoot(s, s.inSmm(vcpu));
        setRoot(s, vcpu, false, root);
        e.note("vCPU " + vcpu + ": " + (s.sp(root).tdp ? "kvm_tdp_mmu_alloc_root" : "mmu_alloc_root") + " loads " + s.sp(root));
    }

    /**
     * kvm_tdp_mmu_alloc_root(): the role's valid root with a reference more, else a new one (count
     * 2). mmu_alloc_root() of the legacy MMU (mmu shadow, mmu.c:3966, v7.2 as v6.12): kvm_mmu_get_shadow_page() finds
     * the root of the current generation (for_each_valid_sp skips obsolete pages) or makes one, and
     * ++sp->root_count.
     */
    static int allocRoot(VmState s, boolean smm) {
        int current = smm ? s.smmRoot : s.root;
        ShadowPage p = s.sp(current);
        if (p != null && p.status == ShadowPage.LIVE && !FastZap.obsolete(s, p)) {
            s.spForWrite(current).rootCount++;
            return current;
        }
        boolean tdp = s.config.mmu() != Mmu.SHADOW;
        int root = FastZap.allocRoot(s, s.config.tdpLevels(), tdp, 1);
        if (smm) s.spForWrite(root).smm = true; // kvm_mmu_page_role.smm, hence its as_id
        if (smm) s.smmRoot = root;
        else s.root = root;
        return root;
    }

    /**
     * mmu_alloc_shadow_roots() of guest_mmu (mmu both, v7.2 as v6.12): mmu_alloc_root() of the L2 guest's
     * root, found by kvm_mmu_get_shadow_page() if of the current generation, else made; ++root_count.
     */
    static void loadNestedRoot(Exec e, int vcpu) {
        VmState s = e.s;
        ShadowPage p = s.sp(s.nestedRoot);
        if (p != null && p.status == ShadowPage.LIVE && !FastZap.obsolete(s, p)) {
            s.spForWrite(s.nestedRoot).rootCount++;
        } else {
            s.nestedRoot = FastZap.allocRoot(s, s.config.tdpLevels(), false, 1);
        }
        setRoot(s, vcpu, true, s.nestedRoot);
        e.note("vCPU " + vcpu + ": mmu_alloc_root (guest_mmu) loads " + s.sp(s.nestedRoot));
    }
}
