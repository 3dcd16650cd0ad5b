package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.paths.Primitive.Requires;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The kernel functions a user path can call as one atomic step. Built-in paths call the same ones,
 * so a user's rewrite of a kernel routine and the routine itself share every step.
 * Shadow pages are passed as ids ("sp" handles).
 */
public final class Primitives {
    private static final Map<String, Primitive> ALL = new LinkedHashMap<>();

    static {
        add("tdp_zap_sp", Requires.WRITE, "kvm_tdp_mmu_zap_sp", TdpMmu.SET_SPTE,
                (e, a) -> TdpMmu.zapSp(e, (int) a[0]) ? 1 : 0);
        add("prepare_zap", Requires.WRITE, "kvm_mmu_prepare_zap_page", ShadowMmu.PREPARE_ZAP, (e, a) -> {
            ShadowPage sp = e.s.sp((int) a[0]);
            if (sp != null && sp.tdp) {
                e.note("kvm_mmu_prepare_zap_page on a TDP MMU page: ignored (WARN)");
                return 0;
            }
            ShadowMmu.prepareZapPage(e, (int) a[0]);
            return 0;
        });
        add("commit_zap", Requires.WRITE, "kvm_mmu_commit_zap_page", ShadowMmu.COMMIT_ZAP, (e, a) -> {
            ShadowMmu.commitZapPage(e);
            return 0;
        });
        add("remote_flush_or_zap", Requires.WRITE, "kvm_mmu_remote_flush_or_zap", ShadowMmu.COMMIT_ZAP,
                (e, a) -> ShadowMmu.remoteFlushOrZap(e, a[0] != 0) ? 1 : 0);
        add("flush_remote_tlbs", Requires.NONE, "kvm_flush_remote_tlbs", Tlbs.FLUSH, (e, a) -> {
            Tlbs.flushRemoteTlbs(e);
            return 0;
        });
        // The list is mmu_lock's for write, or tdp_mmu_pages_lock's (v6.18's read-lock TDP recovery).
        add("unaccount_nx", Requires.NX_LIST, "unaccount_nx_huge_page",
                Footprint.updates(Resource.NX_LIST, Resource.STATS, Resource.VIOLATIONS).andReads(Resource.SPTE), (e, a) -> {
            if (e.s.sp((int) a[0]) == null) { // the page went with its RCU callback or commit: freed memory
                e.violate(dev.mmu.runtime.model.Invariant.freed_page_table_walk,
                        "unaccount_nx_huge_page reads sp" + a[0] + " after it was freed");
                return 0;
            }
            Nx.unaccount(e, (int) a[0]);
            return 0;
        });
        // Flips only the W bit of a present leaf: no stats, no table torn down.
        add("cmpxchg_spte", Requires.NONE, "fast_pf_fix_direct_spte",
                Footprint.updates(Resource.SPTE_ACCESS, Resource.METRICS).andReads(Resource.SPTE), (e, a) -> {
            // The lockless cmpxchg of fast_page_fault() (mmu.c, v6.x) on the leaf SPTE of gfn: sets
            // or clears PT_WRITABLE_MASK. Unlike fast_pf_fix_direct_spte() it does not call
            // mark_page_dirty_in_slot(); a path that adds W must mark the page itself.
            Walk w = Walk.of(e.s, a[0]);
            if (w == null || !w.presentLeaf()) return 0;
            long spte = a[1] != 0 ? w.spte() | dev.mmu.runtime.model.Spte.WRITABLE
                    : w.spte() & ~dev.mmu.runtime.model.Spte.WRITABLE;
            if (spte == w.spte()) return 0;
            TdpMmu.setSpte(e, w.spId(), w.index(), spte);
            return 1;
        });
        // Reads the page's role, and whether the page still exists.
        add("is_tdp_mmu_page", Requires.NONE, "is_tdp_mmu_page", Footprint.reads(Resource.SPTE), (e, a) -> {
            ShadowPage sp = e.s.sp((int) a[0]);
            return sp != null && sp.tdp ? 1 : 0;
        });
    }

    static {
        add("split_huge", Requires.HELD, "tdp_mmu_split_huge_page", TdpMmu.LINK_CHILD,
                (e, a) -> TdpMmu.splitHuge(e, a[0]) ? 1 : 0);
        add("set_spte", Requires.WRITE, "tdp_mmu_set_spte", TdpMmu.SET_SPTE.union(Host.GFN_TO_PFN), (e, a) -> {
            TdpMmu.setSpteAt(e, a[0], (int) a[1], a[2] != 0, a[3] != 0, a[4] != 0);
            return 0;
        });
    }

    static {
        // gfn_to_memslot(sp->gfn) && kvm_slot_dirty_track_enabled(slot) (mmu.c, v6.2+; a helper of
        // its own since v6.18): one step, as the memslots cannot change under the caller's SRCU.
        add("kvm_mmu_sp_dirty_logging_enabled", Requires.NONE, "kvm_mmu_sp_dirty_logging_enabled",
                Footprint.reads(Resource.SPTE, Resource.MEMSLOTS), (e, a) -> {
            var p = e.s.sp((int) a[0]);
            return p != null && Memslots.logging(e.s, Memslots.of(e.s, p.gfn)) ? 1 : 0;
        });
        // kvm_tdp_mmu_zap_possible_nx_huge_page() (tdp_mmu.c, v6.18): under the read lock, zaps the
        // SPTE pointing at sp with tdp_mmu_set_spte_atomic(); false if another task changed it first.
        // handle_removed_pt()'s freezing of each child SPTE is folded into this one step: the model's
        // faults install SPTEs in one step each, so none can land between the parent's cmpxchg and it.
        add("tdp_mmu_zap_possible_nx_huge_page", Requires.READ, "kvm_tdp_mmu_zap_possible_nx_huge_page",
                TdpMmu.SET_SPTE, (e, a) -> TdpMmu.zapSp(e, (int) a[0]) ? 1 : 0);
    }

    static {
        // kvm_mmu_notifier_invalidate_range_start() -> kvm_handle_hva_range() (kvm_main.c, v6.12)
        // with .on_lock = kvm_mmu_invalidate_begin, .handler = kvm_mmu_unmap_gfn_range and
        // .flush_on_ret: one step under the caller's write lock (see NotifierOps.InvalidateRangeStart).
        add("kvm_handle_hva_range_unmap", Requires.WRITE, "kvm_handle_hva_range", NotifierOps.START, (e, a) -> {
            NotifierOps.rangeStart(e, a[0], a[1]);
            return 0;
        });
        // kvm_mmu_invalidate_end() (kvm_main.c, v6.12): ++mmu_invalidate_seq, --in_progress.
        add("kvm_mmu_invalidate_end", Requires.WRITE, "kvm_mmu_invalidate_end", Footprint.updates(Resource.INVALIDATE),
                (e, a) -> {
            NotifierOps.rangeEnd(e);
            return 0;
        });
        // The host mm clears its own PTEs for a gpa range (the hva range of the notifier): not KVM.
        add("host_unmap", Requires.NONE, "zap_page_range_single (host mm)", Footprint.updates(Resource.HOST), (e, a) -> {
            Host.unmap(e, a[0] >>> 12, a[1] >>> 12);
            return 0;
        });
    }

    private Primitives() {}

    private static void add(String name, Requires requires, String kernel, Footprint effects, Primitive.Body body) {
        ALL.put(name, new Primitive(name, requires, kernel, effects, body));
    }

    public static Primitive get(String name) {
        return ALL.get(name);
    }

    public static Map<String, Primitive> all() {
        return java.util.Collections.unmodifiableMap(ALL);
    }
}
