package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;

/**
 * Page aging for the MMU notifier's clear_flush_young, clear_young and test_young. v6.12's
 * kvm_age_gfn() and kvm_test_age_gfn() under mmu_lock are one step ({@link #age}). v7.2's lockless
 * walk (mmu.c:1785, tdp_mmu.c:1329-1397) is prelude source over this class's steps: the cmpxchg of
 * one aged SPTE ({@link #cmpxchg}), a patch's plain store ({@link #writeSpte}) and the rmap half,
 * kvm_rmap_age_gfn_range() ({@link #ageRmaps}: with `mmu both` the nested guest's leaves, with
 * `mmu shadow` those of every root RmapWalks.shadowRoots() names).
 */
final class Aging {
    private Aging() {}

    /** Reads the tables and the memslots (hva to gfn), clears A bits. */
    static final Footprint AGE = Footprint.updates(Resource.SPTE_ACCESS)
            .andReads(Resource.SPTE, Resource.MEMSLOTS, Resource.INVALID_ROOTS);

    /**
     * 6.12's kvm_age_gfn() / kvm_test_age_gfn() in one step under the caller's write lock: whether a
     * leaf SPTE mapping the hva range [startGpa, endGpa) has its A bit set in any TDP root
     * (kvm_tdp_mmu_handle_gfn(): for_each_tdp_mmu_root, invalidated roots included) or rmap
     * (kvm_age_rmap); unless testOnly, clears it. age_gfn_range() (A/D bits enabled) clears A with
     * tdp_mmu_clear_spte_bits(): an atomic fetch-and when the SPTE has volatile bits, so a D bit the
     * CPU sets meanwhile survives. No handle_changed_spte(), no flush of its own. (7.2's lockless walk
     * is prelude source: kernel/tdp_mmu.mmu, over {@link #cmpxchg} and {@link #ageRmaps}.)
     */
    static boolean age(Exec e, long startGpa, long endGpa, boolean testOnly) {
        var s = e.s;
        long[] r = Memslots.gfnRangesOfHva(s, startGpa >>> 12, endGpa >>> 12);
        boolean young = false;
        // mmu shadow: kvm_age_rmap over every leaf in an rmap, a vCPU's and the SMM root's too
        int[] roots = s.config.mmu() == Mmu.SHADOW ? RmapWalks.shadowRoots(s) : s.liveRoots();
        for (int k = 0; k < r.length; k += 2) {
            for (int root : roots) young |= ageIn(e, root, r[k], r[k + 1], testOnly);
            if (s.nestedRoot >= 0) young |= ageIn(e, s.nestedRoot, r[k], r[k + 1], testOnly);
        }
        if (e.tracing()) e.note((testOnly ? "kvm_tdp_mmu_test_age_gfn" : "kvm_tdp_mmu_age_gfn_range") + ": " + (young ? "young" : "old"));
        return young;
    }

    /**
     * kvm_rmap_age_gfn_range(kvm, range, test_only) (mmu.c:1732, v7.2) over a memslot's gfns: the
     * shadow MMU's leaves only (mmu shadow: every root RmapWalks.shadowRoots() names; mmu both: the
     * nested guest's), under no mmu_lock, each rmap under its own bit lock; one step.
     */
    static boolean ageRmaps(Exec e, long startGfn, long endGfn, boolean testOnly) {
        var s = e.s;
        boolean young = false;
        if (s.config.mmu() == Mmu.SHADOW) {
            for (int root : RmapWalks.shadowRoots(s)) young |= ageIn(e, root, startGfn, endGfn, testOnly);
        }
        if (s.nestedRoot >= 0) young |= ageIn(e, s.nestedRoot, startGfn, endGfn, testOnly);
        return young;
    }

    /** The rmaps' half: no root's role.invalid (the rmaps hold every shadow leaf). */
    static final Footprint AGE_RMAPS = Footprint.updates(Resource.SPTE_ACCESS).andReads(Resource.SPTE);

    /** The aging walk's cmpxchg: compares the whole SPTE, clears A (or D). */
    static final Footprint CMPXCHG = Footprint.updates(Resource.SPTE_ACCESS).andReads(Resource.SPTE);
    /**
     * A plain store of an SPTE value (kvm_tdp_mmu_write_spte), and the lost update it may be: no
     * handle_changed_spte(), so no stats, lists or freed tables.
     */
    static final Footprint WRITE = Footprint.updates(Resource.SPTE, Resource.SPTE_ACCESS, Resource.VIOLATIONS);

    /** -EBUSY, __tdp_mmu_set_spte_atomic()'s failure. */
    static final long EBUSY = -16;

    /**
     * __tdp_mmu_set_spte_atomic() of the aging walk: try_cmpxchg64 at the SPTE mapping gfn at
     * level in root against old_spte. A table unlinked since the walk read it is no longer reached
     * from the root: its entries are FROZEN_SPTE (handle_removed_pt), so the cmpxchg fails.
     */
    static long cmpxchg(Exec e, int root, long gfn, int level, long oldSpte, long newSpte) {
        if (((oldSpte ^ newSpte) & ~(Spte.ACCESSED | Spte.DIRTY)) != 0) {
            throw new ScenarioError("__tdp_mmu_set_spte_atomic: the model's takes an A/D change"
                    + " only (kvm_tdp_mmu_age_spte's), not 0x" + Long.toHexString(oldSpte) + " -> 0x" + Long.toHexString(newSpte));
        }
        Walk w = Walk.to(e.s, root, gfn, level);
        if (w == null || w.level() != level || w.spte() != oldSpte) {
            if (e.tracing()) e.note("__tdp_mmu_set_spte_atomic: SPTE of gfn 0x" + Long.toHexString(gfn) + " L" + level
                    + " changed since the walk read it, -EBUSY (not retried)");
            return EBUSY;
        }
        e.s.setSpte(w.spId(), w.index(), newSpte);
        if (e.tracing()) e.note("cmpxchg SPTE L" + level + " gfn 0x" + Long.toHexString(gfn) + " "
                + Spte.describe(oldSpte, level) + " -> " + Spte.describe(newSpte, level) + ((newSpte & Spte.ACCESSED) == 0 ? ", old" : ""));
        return 0;
    }

    /**
     * kvm_tdp_mmu_write_spte(): stores new_spte whatever the SPTE holds now. If that differs from
     * old_spte in more than the bits the CPU and fast_page_fault() set (W/A/D), another thread's
     * change (a zap, a fault's new leaf, a split) is overwritten: lost_spte_update. A table found
     * there is left (the violation is recorded; the model does not orphan it).
     */
    static long writeSpte(Exec e, int root, long gfn, int level, long oldSpte, long newSpte) {
        Walk w = Walk.to(e.s, root, gfn, level);
        if (w == null || w.level() != level) {
            if (e.tracing()) e.note("kvm_tdp_mmu_write_spte: no table at L" + level + " for gfn 0x" + Long.toHexString(gfn));
            return 0;
        }
        long memory = w.spte();
        long bits = Spte.WRITABLE | Spte.ACCESSED | Spte.DIRTY;
        if ((memory & ~bits) != (oldSpte & ~bits)) {
            e.violate(Invariant.lost_spte_update, "kvm_tdp_mmu_write_spte over the SPTE of gfn 0x" + Long.toHexString(gfn)
                    + " L" + level + " replaced " + Spte.describe(memory, level) + ", not the snapshot "
                    + Spte.describe(oldSpte, level) + " it was computed from: another thread's change since the read is lost");
        }
        if (Spte.present(memory) && !Spte.leaf(memory) && level > 1) return memory;
        e.s.setSpte(w.spId(), w.index(), newSpte);
        if (e.tracing()) e.note("kvm_tdp_mmu_write_spte L" + level + " gfn 0x" + Long.toHexString(gfn) + " "
                + Spte.describe(memory, level) + " -> " + Spte.describe(newSpte, level));
        return memory;
    }

    private static boolean ageIn(Exec e, int spId, long start, long end, boolean testOnly) {
        boolean young = false;
        for (long[] leaf : SlotOps.rmapLeaves(e.s, spId, start, end)) {
            long spte = e.s.sp((int) leaf[0]).spte((int) leaf[1]);
            if ((spte & Spte.ACCESSED) == 0) continue;
            young = true;
            if (!testOnly) e.s.setSpte((int) leaf[0], (int) leaf[1], spte & ~Spte.ACCESSED);
        }
        return young;
    }
}
