package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmState;
import java.util.Arrays;

/**
 * The steps of kvm_mmu_zap_all_fast() (mmu.c, v6.12) and kvm_tdp_mmu_zap_invalidated_roots()
 * (tdp_mmu.c, v6.12) under the prelude's kernel/mmu.mmu and kernel/tdp_mmu.mmu: invalidate the
 * roots, make every vCPU reload its root, walk the obsolete legacy pages and the invalidated TDP
 * roots, and zap a root's SPTEs under the read lock.
 */
public final class FastZap {
    private FastZap() {}

    /**
     * kvm_tdp_mmu_invalidate_all_roots() (v6.12): every valid TDP root (both address spaces) is
     * marked invalid, so that no vCPU uses it again, and the TDP MMU's own reference, held since
     * kvm_tdp_mmu_alloc_root(), passes to the scheduled zap (tdp_mmu_scheduled_root_to_zap: the
     * root joins the invalidated roots). No TDP root (mmu shadow): nothing to do.
     */
    static void invalidateAllRoots(Exec e) {
        invalidate(e, e.s.root);
        invalidate(e, e.s.smmRoot);
    }

    private static void invalidate(Exec e, int id) {
        VmState s = e.s;
        ShadowPage old = s.sp(id);
        if (old == null || !old.tdp || old.invalid) return;
        s.spForWrite(id).invalid = true;
        addInvalidRoot(s, id);
        e.note("kvm_tdp_mmu_invalidate_all_roots: " + old + " invalid");
    }

    /**
     * kvm_make_all_cpus_request(KVM_REQ_MMU_FREE_OBSOLETE_ROOTS), which kicks every vCPU out of the
     * guest and waits: each drops its obsolete root (kvm_mmu_free_obsolete_roots(), is_obsolete_root:
     * an invalid TDP root, or a shadow root of the old mmu_valid_gen) and, before it enters the
     * guest again, kvm_mmu_reload() gives it a root of its role (kvm_tdp_mmu_alloc_root) and
     * flush_tlb_current(); with mmu both, the L2 (guest_mmu) shadow root too. The model does the
     * reload for all vCPUs here (the request waits for them); an obsolete shadow root joins the
     * invalidated roots until kvm_zap_obsolete_pages() zaps it.
     */
    static void freeObsoleteRoots(Exec e) {
        VmState s = e.s;
        int vcpus = s.config.vcpus();
        int inSmm = Long.bitCount(s.smmVcpus);
        boolean reload = false;
        if (obsolete(s, s.sp(s.root))) {
            s.root = reloadRoot(e, s.root, vcpus - inSmm);
            reload = true;
        }
        if (s.smmRoot >= 0 && obsolete(s, s.sp(s.smmRoot))) {
            // No vCPU in SMM: nobody loads a new SMM root (the old one waits for its zap).
            s.smmRoot = inSmm == 0 ? -1 : reloadRoot(e, s.smmRoot, inSmm);
            reload = true;
        }
        if (s.nestedRoot >= 0 && obsolete(s, s.sp(s.nestedRoot))) {
            ShadowPage oldNested = s.spForWrite(s.nestedRoot);
            oldNested.rootCount = 0;
            addInvalidRoot(s, oldNested.id);
            ShadowPage nested = s.allocSp(oldNested.level, 0, false);
            nested.rootCount = vcpus;
            s.nestedRoot = nested.id;
            reload = true;
        }
        if (!reload) {
            e.note("KVM_REQ_MMU_FREE_OBSOLETE_ROOTS: no obsolete root");
            return;
        }
        for (int v = 0; v < s.tlb.length; v++) Tlbs.flushCurrent(s, v);
        e.note("KVM_REQ_MMU_FREE_OBSOLETE_ROOTS: vCPUs load " + s.sp(s.root) + " and flush_tlb_current");
    }

    /** The `users` vCPUs on an obsolete root put it (kvm_mmu_free_roots) and load a new one of its role. */
    private static int reloadRoot(Exec e, int old, int users) {
        dropRoot(e, old, users);
        return allocRoot(e.s, e.s.sp(old).level, e.s.config.mmu() != Mmu.SHADOW, users);
    }

    /**
     * The vCPUs drop their references; walkers inside the root keep theirs (TdpMmu.getRoot), and the
     * scheduled zap its own. An obsolete shadow root waits for kvm_zap_obsolete_pages().
     */
    private static void dropRoot(Exec e, int old, int users) {
        ShadowPage p = e.s.spForWrite(old);
        p.rootCount = p.tdp ? p.rootCount - users : 0;
        if (!p.tdp) addInvalidRoot(e.s, old);
    }

    /**
     * kvm_tdp_mmu_alloc_root() (v6.12) when no valid root of the role exists: a new root with one
     * reference per vCPU loading it and one for the TDP MMU itself (refcount_set(.., 2) for the
     * first vCPU), put by kvm_tdp_mmu_zap_invalidated_roots(). A shadow root has no TDP MMU reference.
     */
    static int allocRoot(VmState s, int level, boolean tdp, int users) {
        ShadowPage root = s.allocSp(level, 0, tdp);
        root.rootCount = users + (tdp ? 1 : 0);
        return root.id;
    }

    /**
     * kvm_smm_changed(vcpu, entering_smm) (smm.c, v6.12): HF_SMM_MASK flips and
     * kvm_mmu_reset_context() unloads the vCPU's root (kvm_mmu_free_roots -> kvm_tdp_mmu_put_root);
     * before it enters the guest again kvm_mmu_reload() loads a root of its new role
     * (kvm_tdp_mmu_get_vcpu_root_hpa -> kvm_tdp_mmu_alloc_root: a valid root with the same role,
     * address space 1 for SMM, gets a reference, else a new one) and flush_tlb_current(). One step:
     * the vCPU runs no guest code in between (the allocation's read lock is left out).
     */
    static void smmChanged(Exec e, int vcpu, boolean entering) {
        VmState s = e.s;
        if (vcpu < 0 || vcpu >= s.config.vcpus()) throw new ScenarioError("kvm_smm_changed: no vCPU " + vcpu);
        if (s.config.mmu() != Mmu.TDP) throw new ScenarioError("kvm_smm_changed: SMM roots are modelled with mmu tdp only");
        boolean in = (s.smmVcpus & (1L << vcpu)) != 0;
        if (in == entering) {
            e.note("kvm_smm_changed: vCPU " + vcpu + " already " + (in ? "in" : "out of") + " SMM");
            return;
        }
        TdpMmu.putRoot(e, s.root(vcpu, false));
        s.smmVcpus ^= 1L << vcpu;
        if (entering) s.smmRoot = loadRoot(s, s.smmRoot);
        else s.root = loadRoot(s, s.root);
        Tlbs.flushCurrent(s, vcpu);
        e.note("kvm_smm_changed: vCPU " + vcpu + (entering ? " enters SMM, loads " : " leaves SMM, loads ")
                + s.sp(s.root(vcpu, false)));
    }

    /** kvm_tdp_mmu_alloc_root(): reuse the role's valid root (a reference more), else allocate one. */
    private static int loadRoot(VmState s, int current) {
        ShadowPage p = s.sp(current);
        if (p != null && p.status == ShadowPage.LIVE && !p.invalid) {
            s.spForWrite(current).rootCount++;
            return current;
        }
        return allocRoot(s, s.config.tdpLevels(), true, 1);
    }

    /** is_obsolete_root(): an invalid TDP root, or a shadow root of the old generation. */
    private static boolean obsolete(VmState s, ShadowPage root) {
        return root.tdp ? root.invalid : root.gen != s.mmuValidGen;
    }

    private static void addInvalidRoot(VmState s, int id) {
        int[] r = Arrays.copyOf(s.invalidRoots, s.invalidRoots.length + 1);
        r[r.length - 1] = id;
        s.invalidRoots = r;
    }

    /**
     * list_for_each_entry_safe_reverse(active_mmu_pages): the next obsolete legacy page that is not
     * already invalid (oldest first; the model takes the lowest id), into `sp`; none -> `end`.
     */
    public record NextObsolete(int sp, int end) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            for (int id = 0; id < s.spCapacity(); id++) {
                ShadowPage p = s.sp(id);
                if (p != null && !p.tdp && p.gen != s.mmuValidGen && !p.invalid && p.status == ShadowPage.LIVE) {
                    e.self().locals[sp] = id;
                    return;
                }
            }
            e.nextPc = end;
        }

        public Footprint footprint() {
            return Footprint.reads(Resource.SPTE, Resource.INVALID_ROOTS);
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, end};
        }

        public String describe() {
            return "is_obsolete_sp";
        }
    }

    /** __kvm_mmu_prepare_zap_page(sp, &kvm->arch.zapped_obsolete_pages, &nr_zapped): returns nr_zapped. */
    static long prepareObsolete(Exec e, int id) {
        int before = e.self().invalidList.length;
        ShadowMmu.prepareZapPage(e, id);
        dropInvalidRoot(e.s, id);
        return Math.max(1, e.self().invalidList.length - before);
    }

    static void dropInvalidRoot(VmState s, int id) {
        int[] r = s.invalidRoots;
        for (int i = 0; i < r.length; i++) {
            if (r[i] != id) continue;
            int[] n = new int[r.length - 1];
            System.arraycopy(r, 0, n, 0, i);
            System.arraycopy(r, i + 1, n, i, r.length - i - 1);
            s.invalidRoots = n;
            return;
        }
    }

    /**
     * for_each_tdp_mmu_root() (tdp_mmu.c, v6.12; v5.10 the same list walk): the TDP root after the
     * one in local `root` (-1: the first), valid or not, into `root`; none -> `end`. The list's
     * order is the roots' ids. No reference is taken: the caller holds mmu_lock for write
     * (kvm_lockdep_assert_mmu_lock_held(kvm, false)), or takes one itself before it yields.
     */
    public record NextRoot(int root, int end) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            if (s.mmuWriter != e.thread) e.violate(Invariant.lockdep, "for_each_tdp_mmu_root without mmu_lock held for write");
            long[] l = e.self().locals;
            for (int id = (int) l[root] + 1; id < s.spCapacity(); id++) {
                ShadowPage p = s.sp(id);
                if (p != null && p.tdp && p.parent < 0 && p.status == ShadowPage.LIVE) {
                    l[root] = id;
                    return;
                }
            }
            e.nextPc = end;
        }

        public Footprint footprint() {
            return Footprint.reads(Resource.SPTE, Resource.MMU_LOCK).andUpdates(Resource.VIOLATIONS);
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, end};
        }

        public String describe() {
            return "for_each_tdp_mmu_root";
        }
    }

    /** for_each_invalid_tdp_mmu_root(): the next invalidated TDP root into `root`; none -> `end`. */
    public record NextInvalidRoot(int root, int end) implements Op {
        public void exec(Exec e, int choice) {
            for (int id : e.s.invalidRoots) {
                ShadowPage p = e.s.sp(id);
                if (p != null && p.tdp && p.status == ShadowPage.LIVE) {
                    e.self().locals[root] = id;
                    return;
                }
            }
            e.nextPc = end;
        }

        public Footprint footprint() {
            return Footprint.reads(Resource.SPTE, Resource.INVALID_ROOTS);
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, end};
        }

        public String describe() {
            return "for_each_invalid_tdp_mmu_root";
        }
    }

    /**
     * __tdp_mmu_zap_root(kvm, root, shared, zap_level) (tdp_mmu.c, v6.12), the root in local
     * `root`, the level in local `zapLevel`: for_each_tdp_pte_min_level(iter, kvm, root, zap_level,
     * 0, max gfn) { retry: if (tdp_mmu_iter_cond_resched(kvm, &iter, false, shared)) continue; STEP }.
     * Yields never flush.
     */
    public static void zapRoot(PathBuilder b, int root, int zapLevel, Lock.Mode mode) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int end = b.local("end");
        int noFlush = b.local("flush (always false)");
        b.emit(new RootIterStart(it, root, end, zapLevel));
        int walk = b.here();
        int exit = b.placeholder();
        int condResched = b.placeholder();
        b.emit(new Ops.Acquire(dev.mmu.runtime.model.LockId.mmu_lock, mode));
        b.emit(new MmuOps.IterRestart(it, end, false, -1));
        b.emit(new Ops.Jump(walk));
        b.patch(condResched, new MmuOps.IterCondResched(it, noFlush, b.here()));
        b.emit(new ZapRootStep(it, end, zapLevel));
        b.emit(new Ops.Jump(walk));
        b.patch(exit, new Ops.JumpUnless(Expr.local(it + TdpIter.VALID), b.here(), "iter.valid"));
    }

    /** tdp_iter_start in the root of local `root`, walking levels >= local `zapLevel`. */
    public record RootIterStart(int it, int root, int endSlot, int zapLevel) implements Op {
        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            l[endSlot] = 1L << 36;
            int r = (int) l[root];
            TdpIter.startIn(e.s, l, it, r, 0, l[endSlot], (int) l[zapLevel]);
        }

        public Footprint footprint() {
            return Footprint.reads(Resource.SPTE);
        }

        public String describe() {
            return "tdp_iter_start";
        }
    }

    /**
     * One iteration of __tdp_mmu_zap_root(kvm, root, shared = true, zap_level) (v6.x): a present
     * SPTE at exactly zap_level (local `zapLevel`) is cleared with tdp_mmu_set_spte_atomic()
     * (tables are torn down by handle_removed_pt); no flush: no vCPU can use an invalid root.
     */
    public record ZapRootStep(int it, int endSlot, int zapLevel) implements Op {
        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            Walk w = TdpIter.position(e.s, l, it);
            if (w != null && Spte.present(w.spte()) && w.level() == l[zapLevel]) {
                if (!e.s.holdsMmuLock(e.thread)) e.violate(Invariant.lockdep, "__tdp_mmu_zap_root without mmu_lock");
                TdpMmu.setSpte(e, w.spId(), w.index(), 0);
            }
            TdpIter.next(e.s, l, it, l[endSlot]);
        }

        public Footprint footprint() {
            return TdpMmu.SET_SPTE.andReads(Resource.MMU_LOCK).andUpdates(Resource.VIOLATIONS);
        }

        public String describe() {
            return "__tdp_mmu_zap_root step";
        }
    }
}
