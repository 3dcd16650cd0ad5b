package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The shadow MMU's rmaps of a memslot with mmu both or mmu shadow (kvm_memslots_have_rmaps(), mmu.c
 * v6.12; v7.2 reads the same): the heads __walk_slot_rmaps() visits (slot_rmap_walk_next) and its handlers on
 * one head, the steps of the loops the prelude writes out (kernel/mmu.mmu) with the walk's yield
 * points. The model's rmaps are the legacy leaves (the nested guest's with mmu both), found from
 * their roots (they hold exactly those leaf SPTEs: {@link #leaves}); a head is (level, iterator.gfn). A step visits a head and the heads after
 * it in its group, those whose leaves one last-level table holds: the walk yields between tables,
 * not between the 512 heads of a split 2M page, as the TDP MMU's slot walks do. A walk ends at
 * end_gfn (inclusive, as __walk_slot_rmaps() takes it: the slot's last gfn for walk_slot_rmaps(),
 * end - 1 for __kvm_rmap_zap_gfn_range()); iterator.gfn steps from start_gfn by the level's page
 * count, so above 4K it is start_gfn's offset into each head, not the head's first gfn.
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
        KVM_MMU_ZAP_COLLAPSIBLE_SPTE,
        /**
         * __rmap_clear_dirty() (v7.2 mmu.c:1380): W cleared where spte_ad_need_write_protect() (the
         * L2 guest's pages under PML, kvm_mmu_page_ad_need_write_protect(): mmu both), else D
         * (mmu shadow's A/D-enabled leaves); a flush is owed if a bit went.
         */
        RMAP_CLEAR_DIRTY
    }

    /** What a handler may touch: splits and zaps of the legacy leaves, the slot's extent and logging. */
    static final Footprint VISIT = TdpMmu.LINK_CHILD.andReads(Resource.MEMSLOTS);

    /** The collapsible zap's handler also flushes the SPTE it zaps when the ranged flush exists. */
    static final Footprint VISIT_AND_FLUSH = VISIT.union(Tlbs.FLUSH);

    /** __rmap_clear_dirty() clears W or D bits only (no handle_changed_spte(): the kernel's test_and_clear_bit). */
    static final Footprint CLEAR_DIRTY = Footprint.updates(Resource.SPTE_ACCESS).andReads(Resource.SPTE, Resource.MEMSLOTS);

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
     * The walk's end_gfn: `last` itself, or the slot's last gfn for -1 (what walk_slot_rmaps()
     * passes: slot->base_gfn + slot->npages - 1).
     */
    static long endGfn(VmState s, int pos, long last) {
        return last < 0 ? Memslots.end(s, pos) - 1 : last;
    }

    /**
     * Every leaf of the slot that is in an rmap (mmu_set_spte()'s rmap_add(), v7.2 mmu.c): the
     * shadow MMU's. With mmu both those are the L2 guest's tables (its root); with mmu shadow the
     * legacy tables of every live root (VmState.liveRoots(): the VM's and the invalidated ones not
     * yet freed), each root a vCPU holds and the SMM root, each leaf once: an obsolete page's leaves
     * stay in the rmaps until it is zapped. The SMM root's are address space 1's rmaps, which the
     * model's slots stand for too, as the one-step notifier and the TDP MMU's walks zap them.
     */
    static List<long[]> leaves(VmState s, int pos) {
        long base = Memslots.base(s, pos);
        long end = Memslots.end(s, pos);
        if (s.config.mmu() != Mmu.SHADOW) return SlotOps.rmapLeaves(s, s.nestedRoot, base, end);
        List<long[]> out = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (int root : shadowRoots(s)) {
            for (long[] leaf : SlotOps.rmapLeaves(s, root, base, end)) {
                if (seen.add(leaf[0] * 1024 + leaf[1])) out.add(leaf);
            }
        }
        return out;
    }

    /**
     * The live legacy roots whose leaves mmu shadow's rmaps hold (see {@link #leaves}): the VM's,
     * the invalidated ones not yet freed, each vCPU's and the SMM root, each once, in that order.
     * The aging notifiers' kvm_rmap_age_gfn_range() visits the same (Aging).
     */
    static int[] shadowRoots(VmState s) {
        Set<Integer> roots = new LinkedHashSet<>();
        int[] live = s.liveRoots();
        int[] all = Arrays.copyOf(live, live.length + s.vcpuRoots.length + 1);
        System.arraycopy(s.vcpuRoots, 0, all, live.length, s.vcpuRoots.length);
        all[all.length - 1] = s.smmRoot;
        for (int root : all) {
            var sp = root < 0 ? null : s.sp(root);
            if (sp != null && !sp.tdp && sp.status == ShadowPage.LIVE) roots.add(root);
        }
        return roots.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The leaves (spId, index) of the shadow MMU's tables in the rmap heads of (level, gfn) and
     * the heads after it in its group, up to the head of end_gfn (iterator->end_rmap).
     */
    static List<long[]> rmap(VmState s, int pos, int level, long gfn, long last) {
        List<long[]> out = new ArrayList<>();
        long head = index(s, pos, level, gfn);
        long endHead = index(s, pos, level, endGfn(s, pos, last));
        long end = groupEnd(level, gfn);
        for (long[] leaf : leaves(s, pos)) {
            var sp = s.sp((int) leaf[0]);
            long g = sp.gfnOf((int) leaf[1]);
            long i = index(s, pos, level, g);
            if (sp.level == level && i >= head && i <= endHead && g < end) out.add(leaf);
        }
        return out;
    }

    /**
     * iterator.gfn once the step has visited the heads of (level, gfn)'s group: that of the last
     * head holding an SPTE, or gfn if none does. Read before the handler zaps them: the range a
     * yield right after the step flushes ends there (kvm_flush_remote_tlbs_range(kvm, start_gfn,
     * iterator.gfn - start_gfn + 1)), as it would after the kernel's visit of that last head.
     */
    static long lastHead(VmState s, int pos, int level, long gfn, long last) {
        long first = index(s, pos, level, gfn);
        long best = first;
        for (long[] leaf : rmap(s, pos, level, gfn, last)) {
            var sp = s.sp((int) leaf[0]);
            best = Math.max(best, index(s, pos, level, sp.gfnOf((int) leaf[1])));
        }
        return gfn + (best - first) * Level.pagesPerHpage(level);
    }

    /**
     * The iterator gfn of the first head of `level` past gfn's group that holds an SPTE, or -1
     * (slot_rmap_walk_next() skips the empty heads; the model also the rest of the group, which
     * the step that visited gfn's head did).
     */
    static long nextHead(VmState s, int pos, int level, long gfn, long last) {
        long endHead = index(s, pos, level, endGfn(s, pos, last));
        long end = groupEnd(level, gfn);
        long best = -1;
        for (long[] leaf : leaves(s, pos)) {
            var sp = s.sp((int) leaf[0]);
            long g = sp.gfnOf((int) leaf[1]);
            if (sp.level != level || g < end) continue;
            long i = index(s, pos, level, g);
            if (i <= endHead && (best < 0 || i < best)) best = i;
        }
        // iterator->gfn += KVM_PAGES_PER_HPAGE(level) per head: the same offset into the new head
        return best < 0 ? -1 : gfn + (best - index(s, pos, level, gfn)) * Level.pagesPerHpage(level);
    }

    /**
     * fn on the heads of (level, gfn)'s group from it on, up to end_gfn's (`last`, -1 for the slot's
     * last); returns whether it owes a TLB flush.
     */
    static boolean handle(Exec e, Handler fn, int pos, int level, long gfn, long last) {
        VmState s = e.s;
        boolean flush = false;
        for (long[] leaf : rmap(s, pos, level, gfn, last)) {
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
                case RMAP_CLEAR_DIRTY -> {
                    long bit = s.config.mmu() == Mmu.BOTH && s.config.pml() ? Spte.WRITABLE : Spte.DIRTY;
                    if ((spte & bit) != 0) {
                        s.setSpte(spId, i, spte & ~bit);
                        if (e.tracing()) e.note("__rmap_clear_dirty: L" + level + " gfn 0x" + Long.toHexString(s.sp(spId).gfnOf(i))
                                + (bit == Spte.WRITABLE ? " W" : " D") + " cleared");
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
                        // if (kvm_available_flush_remote_tlbs_range()) kvm_flush_remote_tlbs_sptep():
                        // the SPTE's own gfns now; else need_tlb_flush = 1, for the caller
                        if (s.config.flushRemoteTlbsRange()) {
                            Tlbs.flushRemoteTlbsRange(e, Level.alignDown(s.sp(spId).gfnOf(i), level), Level.pagesPerHpage(level));
                        } else {
                            flush = true;
                        }
                    }
                }
            }
        }
        return flush;
    }
}
