package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;

/**
 * recover_huge_pages_range() (tdp_mmu.c, v6.13+; 6.18 and 7.2's kvm_tdp_mmu_recover_huge_pages(),
 * which replaced zap_collapsible_spte_range() when dirty logging stops): a table that could be
 * mapped huge again is replaced in place by a huge leaf made from a leaf under it, and the flush
 * is owed, not done: at the walk's next yield or after the root's walk, before rcu_read_unlock().
 */
public final class HugePageRecovery {
    private HugePageRecovery() {}

    /**
     * The walk over the slot in each valid root, mmu_lock held in `mode` by the caller
     * (kvm_tdp_mmu_recover_huge_pages: for_each_valid_tdp_mmu_root_yield_safe): rcu_read_lock();
     * for_each_tdp_pte_min_level(PG_LEVEL_2M) { retry: if (tdp_mmu_iter_cond_resched(kvm, &iter,
     * flush, true)) { flush = false; continue; } STEP } if (flush) kvm_flush_remote_tlbs_memslot();
     * rcu_read_unlock(). The yield flushes what is owed (IterCondResched).
     */
    public static void recoverHugePagesRange(PathBuilder b, int pos, Mode mode) {
        recoverHugePagesRange(b, pos, mode, null);
    }

    /** As above; atYield (if not null) runs when it yields, before it retakes mmu_lock (a {@link Ops.MightResched}). */
    public static void recoverHugePagesRange(PathBuilder b, int pos, Mode mode, Op atYield) {
        int it = b.locals("iter", TdpIter.SLOTS);
        int endSlot = b.local("end");
        int flush = b.local("flush");
        int warn = b.placeholder();
        SlotPaths.slotWalk(b, Memslots.baseGfn(pos), Memslots.endGfn(pos), Level.PG_LEVEL_2M, mode, it, endSlot, flush, atYield,
                loop -> b.emit(new RecoverStep(it, endSlot, pos, flush)));
        b.patch(warn, new DirtyTrackWarn(pos, b.here()));
    }

    /**
     * if (WARN_ON_ONCE(kvm_slot_dirty_track_enabled(slot))) return; (tdp_mmu.c:1764, v7.2), first
     * in each root's walk: a recovery while the slot logs dirty pages splats and recovers nothing,
     * in every root (the flag changes only under the slots_lock the caller holds). The model's
     * kvm_mmu_max_mapping_level() is 4K then, so only the splat was missing (trial15: a
     * dirty_log_disable recovering before it cleared the flag passed). It reads the memslot flags,
     * which only the slots_lock holder writes: silent then, it merges into the step before it.
     */
    record DirtyTrackWarn(int pos, int skip) implements Op {
        public void exec(Exec e, int choice) {
            if (!Memslots.logging(e.s, pos)) return;
            e.violate(Invariant.kernel_warning, "WARNING: at arch/x86/kvm/mmu/tdp_mmu.c:1764"
                    + " recover_huge_pages_range(): WARN_ON_ONCE(kvm_slot_dirty_track_enabled(slot))");
            e.nextPc = skip;
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return Footprint.reads(Resource.MEMSLOTS).andUpdates(Resource.VIOLATIONS);
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, skip};
        }

        public String describe() {
            return "WARN_ON_ONCE(kvm_slot_dirty_track_enabled(slot))";
        }
    }

    /**
     * One iteration (mmu_lock held for read): a present non-leaf SPTE at 2M or 1G whose range lies
     * in the slot and that kvm_mmu_max_mapping_level() allows at its level is replaced, by
     * tdp_mmu_set_spte_atomic(), with tdp_mmu_make_huge_spte()'s huge leaf (handle_changed_spte
     * tears the table down, freed by call_rcu), and `flush = true`; a table without a present leaf
     * under it (-ENOENT) is left. Then tdp_iter_next(). The cmpxchg cannot fail: the step reads
     * and writes the SPTE at once. Abstracted: tdp_mmu_make_huge_spte()'s -EAGAIN (it yields at the
     * parent's position when need_resched(), which the loop's own yield point offers too).
     */
    record RecoverStep(int it, int endSlot, int pos, int flush) implements Op {
        /** The table it replaces may hold NX-disallowed ones: it waits for tdp_mmu_pages_lock ({@link PagesLockWait}). */
        public int choices(VmState s, int thread) {
            return PagesLockWait.choices(this, s, thread);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long[] l = e.self().locals;
            Walk w = TdpIter.position(s, l, it);
            int level = (int) l[it + TdpIter.LEVEL];
            long gfn = l[it + TdpIter.GFN];
            boolean candidate = SlotOps.collapsible(s, w, level, gfn, pos);
            long huge = candidate ? makeHugeSpte(s, Spte.child(w.spte()), gfn, e.s.config.nxHugePages()) : 0;
            if (huge != 0) {
                SlotOps.assertAtomicWrite(e, w.spId(), "recover_huge_pages_range", "tdp_mmu_set_spte_atomic");
                e.note("recover_huge_pages_range: a " + Level.size(level) + " leaf in place of its table, flush owed");
                TdpMmu.setSpte(e, w.spId(), w.index(), huge);
                l[flush] = 1;
            }
            TdpIter.next(s, l, it, l[endSlot]);
        }

        /** flush |= ...: the flush owed is read, and written only by a recovery. */
        public int[] localsRead() {
            return TdpIter.fields(it, TdpIter.NEXT, endSlot, flush);
        }

        public int[] localsWritten(int pc, int target) {
            return TdpIter.fields(it, TdpIter.NEXT, flush);
        }

        public Footprint footprint() {
            return TdpMmu.SET_SPTE_SHARED.andReads(Resource.MEMSLOTS).andUpdates(Resource.VIOLATIONS); // lockdep: own holding
        }

        public String describe() {
            return "recover_huge_pages_range step";
        }
    }

    /**
     * tdp_mmu_make_huge_spte(): make_huge_spte() of the first present leaf under the table
     * (tdp_root_for_each_leaf_pte, in gfn order): its bits with the pfn of the huge page's first
     * gfn (the kernel masks the pfn's low bits; the model's host pages need not be aligned, so it
     * subtracts the leaf's offset), and no X when NX huge pages are on. 0 (-ENOENT) if none.
     */
    static long makeHugeSpte(VmState s, int tableId, long hugeGfn, boolean nxHugePages) {
        ShadowPage sp = s.sp(tableId);
        if (sp == null) return 0;
        for (int i : sp.usedIndexes()) {
            long spte = sp.spte(i);
            if (!Spte.present(spte)) continue; // FROZEN_SPTE is not present
            if (!Spte.leaf(spte)) {
                long huge = makeHugeSpte(s, Spte.child(spte), hugeGfn, nxHugePages);
                if (huge != 0) return huge;
                continue;
            }
            long base = Spte.pfn(spte) - (sp.gfnOf(i) - hugeGfn);
            boolean exec = Spte.exec(spte) && !nxHugePages;
            long keep = spte & (Spte.WRITABLE | Spte.MMU_WRITABLE | Spte.HOST_READONLY | Spte.ACCESSED | Spte.DIRTY);
            return (Spte.leaf(base, false, exec) & ~Spte.ACCESSED) | keep;
        }
        return 0;
    }

    /** if (flush) kvm_flush_remote_tlbs_memslot(kvm, slot), after a root's walk, before rcu_read_unlock(). */
    record FlushIfOwed(int flush) implements Op {
        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            if (l[flush] != 0) Tlbs.flushRemoteTlbs(e);
            l[flush] = 0;
        }

        public int[] localsRead() {
            return new int[] {flush};
        }

        public int[] localsWritten(int pc, int target) {
            return new int[] {flush};
        }

        public Footprint footprint() {
            return Tlbs.FLUSH;
        }

        public String describe() {
            return "kvm_flush_remote_tlbs_memslot if flush";
        }
    }
}
