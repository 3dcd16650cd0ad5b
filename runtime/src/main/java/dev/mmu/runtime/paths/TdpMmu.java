package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;

/**
 * The TDP MMU's SPTE bookkeeping (arch/x86/kvm/mmu/tdp_mmu.c, v6.x unless a method says otherwise):
 * setting an SPTE, reacting to the change, tearing down removed tables, zapping one shadow page.
 */
public final class TdpMmu {
    private TdpMmu() {}

    /**
     * What {@link #setSpte} may touch: the SPTE, pages_*, and a removed table's teardown (NX
     * unaccount, nx_lpage_splits; call_rcu, freed at the end of the step if a grace period can end; a legacy table
     * onto the thread's invalid_list).
     */
    static final Footprint SET_SPTE = Footprint.updates(Resource.SPTE, Resource.SPTE_ACCESS, Resource.STAT_PAGES,
            Resource.STAT_NX_LPAGE_SPLITS, Resource.NX_LIST, Resource.METRICS, Resource.INVALID_LIST, Resource.VIOLATIONS)
            .union(Rcu.GRACE_PERIOD);

    /** What {@link #putRoot} may touch: the root's count and status, the invalidated roots, call_rcu. */
    static final Footprint PUT_ROOT = Footprint.updates(Resource.SPTE, Resource.INVALID_ROOTS, Resource.VIOLATIONS)
            .andReads(Resource.VCPU_ROOTS).union(Rcu.GRACE_PERIOD);

    /** {@link #linkChild} and a set: a new table records mmu_valid_gen. */
    static final Footprint LINK_CHILD = SET_SPTE.andReads(Resource.INVALID_ROOTS);

    /**
     * {@link #SET_SPTE} under mmu_lock held for read: a table it removes may be NX-disallowed, whose
     * tdp_mmu_unlink_sp() waits for tdp_mmu_pages_lock ({@link PagesLockWait}), so it reads the lock.
     */
    static final Footprint SET_SPTE_SHARED = SET_SPTE.andReads(Resource.TDP_MMU_PAGES_LOCK);

    /**
     * tdp_mmu_set_spte() / __tdp_mmu_set_spte(): write the SPTE, then handle_changed_spte(); for a
     * shadow MMU page mmu_spte_update() / drop_spte(). Both check a new present leaf with
     * check_spte_writable_invariants() (handle_changed_spte() only if it changed).
     */
    static void setSpte(Exec e, int spId, int index, long newSpte) {
        ShadowPage sp = e.s.sp(spId);
        long old = writeSpte(e, spId, index, newSpte);
        if (old != newSpte) checkSpteWritableInvariants(e, sp.level, newSpte, sp.tdp ? "handle_changed_spte" : "mmu_spte_update");
        handleChangedSpte(e, sp.level, old, newSpte);
    }

    /**
     * A write with no handle_changed_spte() and no check: the fast path's try_cmpxchg64()
     * (fast_pf_fix_direct_spte()) and tdp_mmu_clear_spte_bits() only flip W or D of a leaf, which
     * changes no page count and removes no table. Returns the SPTE replaced.
     */
    static long writeSpte(Exec e, int spId, int index, long newSpte) {
        ShadowPage sp = e.s.sp(spId);
        long old = sp.spte(index);
        e.s.setSpte(spId, index, newSpte);
        e.work();
        if (e.tracing()) {
            e.note("SPTE L" + sp.level + "[" + index + "] gfn 0x" + Long.toHexString(sp.gfnOf(index)) + " "
                    + Spte.describe(old, sp.level) + " -> " + Spte.describe(newSpte, sp.level));
        }
        return old;
    }

    /**
     * check_spte_writable_invariants(new_spte) (spte.h, v7.2 as v5.17+), on a present leaf: an
     * MMU-writable SPTE must be Host-writable, and a writable one MMU-writable, or the fast path
     * could make writable a page the host maps read-only, or one KVM write-protected. The kernel
     * calls it in handle_changed_spte() and mmu_spte_update() only: not at the fast path's cmpxchg,
     * aging, tdp_mmu_clear_spte_bits() or a split's children, so a bad bit shows at the next change
     * that goes through one of those two.
     */
    static void checkSpteWritableInvariants(Exec e, int level, long spte, String caller) {
        if (!Spte.present(spte) || !Spte.leaf(spte)) return;
        if (Spte.mmuWritable(spte) ? Spte.hostWritable(spte) : !Spte.writable(spte)) return;
        String what = Spte.mmuWritable(spte) ? "MMU-writable SPTE is not Host-writable" : "Writable SPTE is not MMU-writable";
        e.violate(Invariant.kernel_warning, "WARNING: kvm: " + what + ": " + Spte.describe(spte, level)
                + " (check_spte_writable_invariants(), spte.h, from " + caller + "())");
    }

    /** handle_changed_spte(): page stats when leafness changes; a removed table is torn down. */
    static void handleChangedSpte(Exec e, int level, long old, long newSpte) {
        boolean wasLeaf = Spte.present(old) && Spte.leaf(old);
        boolean isLeaf = Spte.present(newSpte) && Spte.leaf(newSpte);
        if (wasLeaf != isLeaf && level <= Level.PG_LEVEL_1G) {
            e.s.addStat(Stat.pagesAt(level), isLeaf ? 1 : -1);
        }
        if (Spte.present(old) && !Spte.leaf(old)
                && (!Spte.present(newSpte) || Spte.leaf(newSpte) || Spte.child(newSpte) != Spte.child(old))) {
            handleRemovedPt(e, Spte.child(old));
        }
    }

    /**
     * handle_removed_pt() (v6.x): unlink the table (NX unaccount), clear each of its SPTEs
     * recursively, and free it with call_rcu(). It never yields and does not flush: since
     * "KVM: x86/mmu: Defer TLB flush to caller when freeing TDP MMU shadow pages" (v5.18) the
     * caller owes the flush. (v5.10-5.17 flushed the range here before freeing.)
     */
    static void handleRemovedPt(Exec e, int spId) {
        VmState s = e.s;
        Nx.unlink(e, spId); // tdp_mmu_unlink_sp(): untrack with KVM_TDP_MMU
        ShadowPage sp = s.spForWrite(spId);
        sp.status = ShadowPage.UNLINKED;
        sp.parent = -1;
        for (int i : sp.usedIndexes()) {
            long old = sp.spte(i);
            s.setSpte(spId, i, 0);
            e.work();
            handleChangedSpte(e, sp.level, old, 0);
        }
        if (sp.tdp) {
            Rcu.callRcu(s, spId);
            e.note("handle_removed_pt(" + sp + "): call_rcu");
        } else {
            // A legacy page is freed only by kvm_mmu_commit_zap_page() after its flush (mmu.c, v6.x).
            sp.invalid = true;
            ShadowMmu.queueInvalid(e, spId);
            e.note("legacy " + sp + " unlinked: invalid_list=" + e.self().invalidList.length);
        }
    }

    /** kvm_tdp_mmu_zap_sp() (v6.x): clear the one SPTE that points at sp; returns true (flush needed). */
    static boolean zapSp(Exec e, int spId) {
        ShadowPage sp = e.s.sp(spId);
        if (sp == null || sp.parent < 0 || sp.status != ShadowPage.LIVE) return false;
        setSpte(e, sp.parent, sp.parentIndex, 0);
        return true;
    }

    /**
     * kvm_tdp_mmu_get_root() (tdp_mmu.c, v6.x) as for_each_tdp_mmu_root_yield_safe() takes it: a
     * walk holds a reference on its TDP root, so the root outlives kvm_mmu_zap_all_fast() while the
     * walk has dropped mmu_lock. Legacy roots are not counted (their walkers hold mmu_lock).
     */
    static void getRoot(Exec e, int rootId) {
        if (e.s.sp(rootId).tdp) e.s.spForWrite(rootId).rootCount++;
    }

    /** kvm_tdp_mmu_get_root() (tdp_mmu.h:15, v7.2 as v6.12): refcount_inc_not_zero(); false for a root whose last reference went. */
    static boolean tryGetRoot(Exec e, int rootId) {
        ShadowPage p = e.s.sp(rootId);
        if (p == null || p.rootCount == 0) return false;
        e.s.spForWrite(rootId).rootCount++;
        return true;
    }

    /**
     * kvm_tdp_mmu_put_root() (tdp_mmu.c:85, v7.2 as v6.12): refcount_dec_and_test(); the last
     * reference (only ever on an invalidated root) unlinks the root (list_del_rcu) and frees it
     * with call_rcu(). A put too many is freed_root_in_use ({@link Invariants#rootPutTooMany}): the
     * count below the root's holders, the last put on a valid root (KVM_BUG_ON(!root->role.invalid))
     * among them, or a put of a count already 0 (refcount_t's underflow WARN: the count saturates,
     * nothing more is freed).
     */
    static void putRoot(Exec e, int rootId) {
        VmState s = e.s;
        if (s.sp(rootId) == null) {
            e.violate(Invariant.freed_root_in_use, "kvm_tdp_mmu_put_root(sp" + rootId + "): the root was freed (refcount_t: underflow, use-after-free)");
            return;
        }
        if (!s.sp(rootId).tdp) return;
        ShadowPage p = s.spForWrite(rootId);
        if (p.rootCount <= 0) {
            e.violate(Invariant.freed_root_in_use, "kvm_tdp_mmu_put_root(" + p + "): tdp_mmu_root_count is already 0, the root"
                    + " freed by the put that took it there (refcount_t: underflow, use-after-free)");
            return;
        }
        p.rootCount--;
        String tooMany = Invariants.rootPutTooMany(s, rootId);
        if (tooMany != null) e.violate(Invariant.freed_root_in_use, "kvm_tdp_mmu_put_root(): a put too many: " + tooMany);
        if (p.rootCount > 0) {
            e.note("kvm_tdp_mmu_put_root(" + p + "): still referenced");
            return;
        }
        p.status = ShadowPage.UNLINKED;
        TdpMmuRoots.remove(s, rootId);
        FastZap.dropInvalidRoot(s, rootId);
        Rcu.callRcu(s, rootId);
        e.note("kvm_tdp_mmu_put_root(" + p + "): last reference, call_rcu");
    }

    /**
     * v5.10's kvm_mmu_put_root() (mmu_internal.h): --sp->root_count; return !sp->root_count. It
     * never frees; a put too many is freed_root_in_use as for {@link #putRoot}.
     */
    static boolean putRootV510(Exec e, int rootId) {
        ShadowPage p = e.s.spForWrite(rootId);
        p.rootCount--;
        String tooMany = Invariants.rootPutTooMany(e.s, rootId);
        if (tooMany != null) e.violate(Invariant.freed_root_in_use, "kvm_mmu_put_root(): a put too many: " + tooMany);
        return p.rootCount == 0;
    }

    /** Allocates a child table for SPTE `index` of `parent` and links it (tdp_mmu_init_child_sp + link). */
    static ShadowPage linkChild(Exec e, int parentId, int index, boolean tdp) {
        ShadowPage parent = e.s.sp(parentId);
        ShadowPage child = e.s.allocSp(parent.level - 1, parent.gfnOf(index), tdp);
        child.parent = parentId;
        child.parentIndex = index;
        return child;
    }

    /** split_huge(gfn): replace the huge leaf covering gfn in root by a table of next-level leaves; false if none. */
    static boolean splitHuge(Exec e, int root, long gfn) {
        Walk w = Walk.to(e.s, root, gfn, 1);
        if (w == null || !w.presentLeaf() || w.level() == Level.PG_LEVEL_4K) return false;
        ShadowPage child = linkChild(e, w.spId(), w.index(), e.s.sp(w.spId()).tdp);
        splitHugePage(e, child, w.spte());
        setSpte(e, w.spId(), w.index(), Spte.table(child.id));
        return true;
    }

    /** set_spte(gfn, level, present, writable, exec): tdp_mmu_set_spte() at the SPTE mapping gfn at level in root. */
    static void setSpteAt(Exec e, int root, long gfn, int level, boolean present, boolean writable, boolean exec) {
        Walk w = Walk.to(e.s, root, gfn, level);
        if (w == null || w.level() != level) {
            e.note("set_spte: no table at L" + level + " for gfn 0x" + Long.toHexString(gfn));
            return;
        }
        long value = 0;
        if (present) {
            long pfn = Host.gfnToPfn(e, gfn);
            value = Spte.leaf(pfn - (gfn & (Level.pagesPerHpage(level) - 1)), writable, exec);
        }
        setSpte(e, w.spId(), w.index(), value);
    }

    /**
     * Eager page splitting's tdp_mmu_split_huge_page() (v6.x): a new child table (not NX
     * accounted: tdp_mmu_init_child_sp) filled with the huge SPTE's pfns, linked in place of the
     * huge leaf with tdp_mmu_link_sp(); no flush.
     */
    static void splitInPlace(Exec e, int spId, int index) {
        long huge = e.s.sp(spId).spte(index);
        ShadowPage child = linkChild(e, spId, index, e.s.sp(spId).tdp);
        splitHugePage(e, child, huge);
        setSpte(e, spId, index, Spte.table(child.id));
    }

    /**
     * tdp_mmu_split_huge_page() (v6.x): fill the new child with SPTEs mapping the same pfns at the
     * next level (make_small_spte(), spte.c:345 v7.2, make_huge_page_split_spte() before v6.13:
     * child_spte = huge_spte plus the offset, so the huge SPTE's bits, MMU- and Host-writable and
     * A/D included; written directly, so no check_spte_writable_invariants(); 4K children get exec back under NX). A/D were dropped until the trial9 session: a
     * child of a dirty huge SPTE came out clean, so with PML its next write set D and was logged,
     * and enabling dirty logging without kvm_mmu_slot_leaf_clear_dirty() passed.
     */
    static void splitHugePage(Exec e, ShadowPage child, long huge) {
        boolean x = Spte.exec(huge) || (e.s.config.nxHugePages() && child.level == Level.PG_LEVEL_4K);
        long per = Level.pagesPerHpage(child.level);
        long kept = huge & (Spte.MMU_WRITABLE | Spte.HOST_READONLY | Spte.ACCESSED | Spte.DIRTY);
        for (int i = 0; i < Level.ENTRIES; i++) {
            e.s.setSpte(child.id, i, Spte.leaf(Spte.pfn(huge) + i * per, Spte.writable(huge), x) & ~Spte.ACCESSED | kept);
        }
        e.s.addStat(Stat.pagesAt(child.level), Level.ENTRIES);
        // shadow_mmu_split_huge_page() (mmu.c v7.2) for the rmaps' pages: the trace named the TDP MMU's (trial9)
        e.note((child.tdp ? "tdp_mmu_split_huge_page: " : "shadow_mmu_split_huge_page: ") + Level.size(child.level + 1) + " -> " + Level.ENTRIES + " x "
                + Level.size(child.level) + " in " + child);
    }
}
