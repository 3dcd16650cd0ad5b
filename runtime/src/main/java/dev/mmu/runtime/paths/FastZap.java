package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmState;
import java.util.Arrays;

/**
 * The steps of kvm_mmu_zap_all_fast() (mmu.c:7044 v7.2, its two halves; 6.12's one function the
 * same steps) and kvm_tdp_mmu_zap_invalidated_roots() (tdp_mmu.c:1017, v7.2 as v6.12) under the prelude's kernel/mmu.mmu and kernel/tdp_mmu.mmu: invalidate the
 * roots, make every vCPU reload its root, walk the obsolete legacy pages and the invalidated TDP
 * roots, and zap a root's SPTEs under the read lock.
 */
public final class FastZap {
    private FastZap() {}

    /**
     * kvm_tdp_mmu_invalidate_roots(kvm, KVM_DIRECT_ROOTS) (tdp_mmu.c:1068, v7.2; 6.12's
     * kvm_tdp_mmu_invalidate_all_roots() the same: the model's roots are all direct): list_for_each_entry() over the TDP roots (newest
     * first), each valid one (both address spaces) marked invalid, so that no vCPU loads it again,
     * and the TDP MMU's own reference, held since kvm_tdp_mmu_alloc_root(), passes to the scheduled
     * zap (tdp_mmu_scheduled_root_to_zap: the root joins the invalidated roots). No valid root is
     * left until a vCPU loads one. No TDP root (mmu shadow): nothing to do.
     */
    static void invalidateRoots(Exec e, String name) {
        VmState s = e.s;
        for (int id : TdpMmuRoots.all(s)) {
            if (!invalidate(e, id, name)) continue;
            if (id == s.root) s.root = -1;
            if (id == s.smmRoot) s.smmRoot = -1;
        }
    }

    private static boolean invalidate(Exec e, int id, String name) {
        VmState s = e.s;
        ShadowPage old = s.sp(id);
        if (old == null || !old.tdp || old.invalid) return false;
        s.spForWrite(id).invalid = true;
        addInvalidRoot(s, id);
        e.note(name + ": " + old + " invalid");
        return true;
    }

    /**
     * kvm_make_all_cpus_request(KVM_REQ_MMU_FREE_OBSOLETE_ROOTS) (kvm_main.c:270, v7.2 as v6.12): the request
     * is set on every vCPU, and the IPI kicks each out of the guest (KVM_REQUEST_WAIT: until it has
     * left guest mode). Each serves it at its own next entry ({@link VcpuRoots}): until then it keeps
     * its old root and its reference. The TLB entries of a vCPU whose root is obsolete are parked
     * here ({@link Tlbs#park}): kicked out of the guest, it runs on that root no more, so the zap
     * of the invalidated root need not flush them (tdp_mmu.c:1034, v7.2): kvm_mmu_load() will. The
     * legacy root of the old generation (mmu shadow) is no longer the one kvm_mmu_get_shadow_page()
     * finds, nor is the L2 guest's (mmu both): each joins the invalidated roots until
     * kvm_zap_obsolete_pages() zaps it.
     */
    static void freeObsoleteRoots(Exec e) {
        VmState s = e.s;
        int vcpus = s.config.vcpus();
        if (s.config.mmu() == Mmu.SHADOW && obsolete(s, s.sp(s.root))) {
            addInvalidRoot(s, s.root);
            s.root = -1;
        }
        if (s.nestedRoot >= 0 && obsolete(s, s.sp(s.nestedRoot))) {
            addInvalidRoot(s, s.nestedRoot);
            s.nestedRoot = -1;
        }
        for (int v = 0; v < vcpus; v++) {
            s.freeObsoleteRootsRequests |= 1L << v;
            if (obsolete(s, s.sp(s.vcpuRoots[v]))) Tlbs.park(s, v, false);
            if (obsolete(s, s.sp(s.vcpuNestedRoots[v]))) Tlbs.park(s, v, true);
        }
        e.note("KVM_REQ_MMU_FREE_OBSOLETE_ROOTS made on every vCPU");
    }

    /**
     * A new root with one reference per vCPU loading it and, for a TDP root, one for the TDP MMU
     * itself (kvm_tdp_mmu_alloc_root()'s refcount_set(.., 2) for the first vCPU), put by
     * kvm_tdp_mmu_zap_invalidated_roots(). A shadow root has no TDP MMU reference, and is not on
     * kvm->arch.tdp_mmu_roots; a TDP root goes to its head.
     */
    static int allocRoot(VmState s, int level, boolean tdp, int users) {
        ShadowPage root = s.allocSp(level, 0, tdp);
        root.rootCount = users + (tdp ? 1 : 0);
        if (tdp) TdpMmuRoots.add(s, root.id);
        return root.id;
    }

    /** is_obsolete_root() -> is_obsolete_sp(): an invalid root, or a shadow root of the old generation. */
    static boolean obsolete(VmState s, ShadowPage root) {
        return root != null && (root.invalid || (!root.tdp && root.gen != s.mmuValidGen));
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

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public int[] localsWritten(int pc, int target) {
            return target == pc + 1 && target != end ? new int[] {sp} : LiveLocals.NONE;
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
        s.invalidRoots = IdLists.without(s.invalidRoots, id);
    }

    /**
     * The walks of kvm->arch.tdp_mmu_roots (tdp_mmu.c, v7.2 as v6.12; v5.10 the same list walk): the TDP root
     * after the one in local `root` (-1: the first) into `root`; none -> `end`. The list's order is
     * newest first (TdpMmuRoots). for_each_tdp_mmu_root() / for_each_valid_tdp_mmu_root() take no
     * reference: the caller holds mmu_lock for write (kvm_lockdep_assert_mmu_lock_held(kvm, false)),
     * or takes one itself before it yields. The _yield_safe forms are tdp_mmu_next_root(): mmu_lock
     * held in either mode, a reference taken on the next root (refcount_inc_not_zero() skips a dying
     * one), the previous one's put; a `break` keeps the last one's, as in the kernel. With rcu,
     * for_each_tdp_mmu_root_rcu() (v6.15+, the lockless aging walk): no mmu_lock, no reference, under
     * rcu_read_lock() (a root's last put frees it by call_rcu()).
     */
    public record NextRoot(int root, int end, boolean onlyValid, boolean yieldSafe, boolean rcu) implements Op {
        public NextRoot(int root, int end, boolean onlyValid, boolean yieldSafe) {
            this(root, end, onlyValid, yieldSafe, false);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            if (rcu) {
                // for_each_tdp_mmu_root_rcu(): list_for_each_entry_rcu(), no mmu_lock (tdp_mmu.c:211, v7.2)
                if (!Lock.held(s, e.thread, dev.mmu.runtime.model.LockId.rcu)) {
                    e.violate(Invariant.lockdep, describe() + " outside rcu_read_lock() (CONFIG_PROVE_RCU:"
                            + " list_for_each_entry_rcu)");
                }
            } else if (yieldSafe ? !s.holdsMmuLock(e.thread) : s.mmuWriter != e.thread) {
                e.violate(Invariant.lockdep, describe() + " without mmu_lock" + (yieldSafe ? "" : " held for write"));
            }
            long[] l = e.self().locals;
            int prev = (int) l[root];
            int next = TdpMmuRoots.next(s, prev, onlyValid, yieldSafe);
            if (yieldSafe) {
                if (next >= 0) TdpMmu.getRoot(e, next);
                if (s.sp(prev) != null) TdpMmu.putRoot(e, prev);
            }
            if (next < 0) {
                e.nextPc = end;
                return;
            }
            l[root] = next;
        }

        public int[] localsRead() {
            return new int[] {root};
        }

        public Footprint footprint() {
            Footprint f = Footprint.reads(Resource.SPTE).andUpdates(Resource.VIOLATIONS); // lockdep: this thread's holding
            if (onlyValid) f = f.andReads(Resource.INVALID_ROOTS); // role.invalid
            return yieldSafe ? f.union(TdpMmu.PUT_ROOT) : f;
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, end};
        }

        public String describe() {
            if (rcu) return "for_each_tdp_mmu_root_rcu" + (onlyValid ? "(KVM_VALID_ROOTS)" : "(KVM_ALL_ROOTS)");
            return "for_each" + (onlyValid ? "_valid" : "") + "_tdp_mmu_root" + (yieldSafe ? "_yield_safe" : "");
        }
    }

    /**
     * for_each_tdp_mmu_root_yield_safe() with tdp_mmu_scheduled_root_to_zap (tdp_mmu.c:1026, v7.2 as
     * v6.12): from the root in local `root` (-1: the head), the next root on the list (newest first)
     * still scheduled for the zap into `root`; none -> `end`. As tdp_mmu_next_root(), the iterator
     * takes a reference on the root it gives (refcount_inc_not_zero(): a dying one is skipped) and
     * puts the previous one's after, and the body's `root->tdp_mmu_scheduled_root_to_zap = false`
     * is here (nothing runs between them). So a body that puts the TDP MMU's reference before its
     * zap still zaps a live root (the iterator's reference keeps it on the list), and one that does
     * not put it goes on to the next root (the root then keeps that reference: a leak, which
     * kvm_mmu_uninit_tdp_mmu() WARNs about), as in the kernel. A root the kernel visits but skips
     * (not scheduled) is got and put in the same step: nothing to model.
     */
    public record NextInvalidRoot(int root, int end) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            if (!s.holdsMmuLock(e.thread)) e.violate(Invariant.lockdep, describe() + " without mmu_lock");
            long[] l = e.self().locals;
            int prev = (int) l[root];
            int next = prev;
            do {
                next = TdpMmuRoots.next(s, next, false, true);
            } while (next >= 0 && !IdLists.contains(s.invalidRoots, next));
            if (next >= 0) {
                TdpMmu.getRoot(e, next);
                dropInvalidRoot(s, next); // root->tdp_mmu_scheduled_root_to_zap = false
            }
            if (prev >= 0 && s.sp(prev) != null) TdpMmu.putRoot(e, prev);
            if (next < 0) {
                e.nextPc = end;
                return;
            }
            l[root] = next;
        }

        public int[] localsRead() {
            return new int[] {root};
        }

        public int[] localsWritten(int pc, int target) {
            return target == pc + 1 && target != end ? new int[] {root} : LiveLocals.NONE;
        }

        public Footprint footprint() {
            return Footprint.reads(Resource.SPTE).andUpdates(Resource.VIOLATIONS).union(TdpMmu.PUT_ROOT); // lockdep, the get and the put
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, end};
        }

        public String describe() {
            return "for_each_invalid_tdp_mmu_root";
        }
    }

    /**
     * __tdp_mmu_zap_root(kvm, root, shared, zap_level) (tdp_mmu.c:806, v7.2 as v6.12), the root in local
     * `root`, the level in local `zapLevel`: for_each_tdp_pte_min_level(iter, kvm, root, zap_level,
     * 0, max gfn) { retry: if (tdp_mmu_iter_cond_resched(kvm, &iter, false, shared)) continue; STEP }.
     * Yields never flush. With advanceAfterRestart, the iterator before 3a0f64de479c (v5.16): the
     * `continue` after a yield ran tdp_iter_next() on the restarted walk, which at zap_level == the
     * root's level steps past the SPTE the walk had not yet zapped.
     */
    public static void zapRoot(PathBuilder b, int root, int zapLevel, Lock.Mode mode, boolean advanceAfterRestart) {
        zapRoot(b, root, zapLevel, mode, advanceAfterRestart, null);
    }

    /** As above; atYield (if not null) runs when it yields, before it retakes mmu_lock (a {@link Ops.MightResched}). */
    public static void zapRoot(PathBuilder b, int root, int zapLevel, Lock.Mode mode, boolean advanceAfterRestart, Op atYield) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int end = b.local("end");
        int noFlush = b.local("flush (always false)");
        b.emit(new RootIterStart(it, root, end, zapLevel));
        int walk = b.here();
        int exit = b.placeholder();
        int condResched = b.placeholder();
        if (atYield != null) b.emit(atYield);
        b.emit(new Ops.Acquire(dev.mmu.runtime.model.LockId.mmu_lock, mode));
        b.emit(new MmuOps.IterRestart(it, end, false, -1));
        if (advanceAfterRestart) b.emit(new MmuOps.IterNext(it, end, true));
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

        public int[] localsRead() {
            return new int[] {root, zapLevel};
        }

        public int[] localsWritten(int pc, int target) {
            return TdpIter.fields(it, TdpIter.START, endSlot);
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
        /** mmu_lock held, and inside tdp_mmu_zap_root()'s rcu_read_lock() (the iterator's rcu_dereference()). */
        static final Lockdep LOCKDEP = Lockdep.MMU_HELD.andRcu();

        /** shared = true: a table it zaps may be NX-disallowed; it waits for tdp_mmu_pages_lock ({@link PagesLockWait}). */
        public int choices(VmState s, int thread) {
            return PagesLockWait.choices(this, s, thread);
        }

        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            Walk w = TdpIter.position(e.s, l, it);
            if (w != null && Spte.present(w.spte()) && w.level() == l[zapLevel]) {
                if (!LOCKDEP.satisfied(e.s, e.thread)) {
                    e.violate(Invariant.lockdep, e.s.holdsMmuLock(e.thread) ? "__tdp_mmu_zap_root() needs " + LOCKDEP.unmet(e.s, e.thread)
                            : "__tdp_mmu_zap_root without mmu_lock");
                }
                TdpMmu.setSpte(e, w.spId(), w.index(), 0);
            }
            TdpIter.next(e.s, l, it, l[endSlot]);
        }

        public int[] localsRead() {
            return TdpIter.fields(it, TdpIter.NEXT, endSlot, zapLevel);
        }

        public Footprint footprint() {
            return TdpMmu.SET_SPTE_SHARED.andUpdates(Resource.VIOLATIONS); // lockdep: this thread's holding
        }

        public String describe() {
            return "__tdp_mmu_zap_root step";
        }
    }
}
