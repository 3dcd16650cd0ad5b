package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmState;

/**
 * The shadow MMU's rmaps of a memslot with mmu both (kvm_memslots_have_rmaps(), mmu.c v6.12; v7.2
 * reads the same): the heads __walk_slot_rmaps() visits (slot_rmap_walk_next) and its handlers on
 * one head, the steps of the loops the prelude writes out (kernel/mmu.mmu) with the walk's yield
 * points. The model's rmaps are the nested guest's legacy leaves, found from its root (they hold
 * exactly its leaf SPTEs); a head is (level, iterator.gfn). A step visits a head and the heads after
 * it in its group, those whose leaves one last-level table holds: the walk yields between tables,
 * not between the 512 heads of a split 2M page, as the TDP MMU's slot walks do.
 */
public final class RmapWalks {
    private RmapWalks() {}

    /** The walk's fn (slot_rmaps_handler): what it does to the SPTEs of one rmap head. */
    enum Handler {
        /** rmap_write_protect(rmap_head, false) (spte_write_protect, pt_protect = false): W only. */
        SLOT_RMAP_WRITE_PROTECT,
        /** kvm_zap_all_rmap_sptes(): every SPTE of the head; a flush is owed if there was one. */
        KVM_ZAP_RMAP,
        /**
         * shadow_mmu_try_split_huge_page() of each huge SPTE (same pfns and rights, one level down);
         * never owes a flush. Its need_topup_split_caches_or_resched() drop of mmu_lock is not modelled.
         */
        SHADOW_MMU_TRY_SPLIT_HUGE_PAGES,
        /** kvm_zap_one_rmap_spte() of a leaf below kvm_mmu_max_mapping_level(); a flush is owed. */
        KVM_MMU_ZAP_COLLAPSIBLE_SPTE
    }

    /** What a handler may touch: splits and zaps of the nested guest's leaves, the slot's extent and logging. */
    static final Footprint VISIT = TdpMmu.LINK_CHILD.andReads(Resource.MEMSLOTS);

    /** What slot_rmap_walk_next() reads: which heads hold an SPTE, and where the slot lies. */
    static final Footprint NEXT = Footprint.reads(Resource.SPTE, Resource.MEMSLOTS);

    /**
     * The rmap head of gfn at `level` in the slot at `pos` (gfn_to_index(): (gfn >> shift) -
     * (base_gfn >> shift)), as its index: a leaf of that level is in the head of its first gfn in
     * the slot.
     */
    private static long index(VmState s, int pos, int level, long gfn) {
        long per = Level.pagesPerHpage(level);
        return Math.max(gfn, Memslots.base(s, pos)) / per - Memslots.base(s, pos) / per;
    }

    /**
     * The gfn past the last head of gfn's group at `level`: the heads whose leaves one last-level
     * table holds (512 heads: a 2M-aligned range at 4K, 1G-aligned at 2M). The model visits a
     * group's heads in one step, as the TDP MMU's slot walks do one table's leaves
     * (docs/kernel-model.md, "Slot walks do one table's leaves in one step").
     */
    private static long groupEnd(int level, long gfn) {
        long span = Level.pagesPerHpage(level) * Level.ENTRIES;
        return gfn - Math.floorMod(gfn, span) + span;
    }

    /**
     * The leaves (spId, index) of the nested guest's tables in the rmap heads of (level, gfn) and
     * the heads after it in its group.
     */
    static java.util.List<long[]> rmap(VmState s, int pos, int level, long gfn) {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        long head = index(s, pos, level, gfn);
        long end = groupEnd(level, gfn);
        for (long[] leaf : SlotOps.rmapLeaves(s, s.nestedRoot, Memslots.base(s, pos), Memslots.end(s, pos))) {
            var sp = s.sp((int) leaf[0]);
            long g = sp.gfnOf((int) leaf[1]);
            if (sp.level == level && index(s, pos, level, g) >= head && g < end) out.add(leaf);
        }
        return out;
    }

    /**
     * The iterator gfn of the first head of `level` past gfn's group that holds an SPTE, or -1
     * (slot_rmap_walk_next() skips the empty heads; the model also the rest of the group, which
     * the step that visited gfn's head did).
     */
    static long nextHead(VmState s, int pos, int level, long gfn) {
        long base = Memslots.base(s, pos);
        long end = groupEnd(level, gfn);
        long best = -1;
        for (long[] leaf : SlotOps.rmapLeaves(s, s.nestedRoot, base, Memslots.end(s, pos))) {
            var sp = s.sp((int) leaf[0]);
            long g = sp.gfnOf((int) leaf[1]);
            if (sp.level != level || g < end) continue;
            long i = index(s, pos, level, g);
            if (best < 0 || i < best) best = i;
        }
        return best < 0 ? -1 : base + best * Level.pagesPerHpage(level);
    }

    /** fn on the heads of (level, gfn)'s group from it on; returns whether it owes a TLB flush. */
    static boolean handle(Exec e, Handler fn, int pos, int level, long gfn) {
        VmState s = e.s;
        boolean flush = false;
        for (long[] leaf : rmap(s, pos, level, gfn)) {
            int spId = (int) leaf[0];
            int i = (int) leaf[1];
            long spte = s.sp(spId).spte(i);
            switch (fn) {
                case SLOT_RMAP_WRITE_PROTECT -> {
                    if (Spte.writable(spte)) {
                        TdpMmu.setSpte(e, spId, i, spte & ~Spte.WRITABLE);
                        flush = true;
                    }
                }
                case KVM_ZAP_RMAP -> {
                    TdpMmu.setSpte(e, spId, i, 0);
                    flush = true;
                }
                case SHADOW_MMU_TRY_SPLIT_HUGE_PAGES -> {
                    if (level > Level.PG_LEVEL_4K) TdpMmu.splitInPlace(e, spId, i);
                }
                case KVM_MMU_ZAP_COLLAPSIBLE_SPTE -> {
                    if (level < SlotOps.maxMappingLevel(s, pos)) {
                        TdpMmu.setSpte(e, spId, i, 0);
                        flush = true;
                    }
                }
            }
        }
        return flush;
    }
}
