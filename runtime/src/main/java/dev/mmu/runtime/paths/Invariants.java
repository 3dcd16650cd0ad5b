package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import java.util.EnumSet;
import java.util.Set;

/**
 * Whether a state breaks a built-in invariant. Event invariants (a use after free, an unlock with a
 * stale TLB) are recorded by the step that broke them; structural ones are computed from the
 * tables here.
 */
public final class Invariants {
    /** Invariants the runtime can detect today; the others are refused at compile time. */
    public static final Set<Invariant> CHECKED = EnumSet.of(Invariant.freed_page_table_walk, Invariant.use_after_free, Invariant.stale_tlb_at_unlock,
            Invariant.nx_exec_huge, Invariant.huge_and_child, Invariant.stats_consistent, Invariant.page_table_leak,
            Invariant.dirty_log_lost, Invariant.dangling_memslot, Invariant.lockdep, Invariant.lock_balance,
            Invariant.deadlock, Invariant.dirty_bit_lost, Invariant.freed_root_in_use,
            Invariant.lost_spte_update, Invariant.accounted_after_zap, Invariant.freed_page_mapped, Invariant.nx_pages_counted,
            Invariant.wrong_address_space, Invariant.kernel_warning);

    private Invariants() {}

    /**
     * The invariants computed from the state rather than recorded by the step that broke them: no
     * op says so, so a trace gets their {@link #why} where one starts to hold ({@link MmuSystem}).
     */
    public static final Set<Invariant> STRUCTURAL = EnumSet.of(Invariant.nx_exec_huge, Invariant.huge_and_child,
            Invariant.stats_consistent, Invariant.page_table_leak, Invariant.dangling_memslot,
            Invariant.freed_page_mapped, Invariant.nx_pages_counted);

    /** Recorded by a step, or (a structural one) computed from s: {@link #why} says why only on a breach. */
    public static boolean violated(Invariant inv, VmState s) {
        return inv.violatedIn(s) || why(inv, s) != null;
    }

    /**
     * Why s breaks the structural invariant inv, in the trace's words (which table, SPTE or
     * counter), or null if it does not: {@link #violated} without the recorded bit.
     */
    public static String why(Invariant inv, VmState s) {
        return switch (inv) {
            case nx_exec_huge -> s.config.nxHugePages() ? execHuge(s) : null;
            case huge_and_child -> {
                int id = hugeAndChild(s);
                if (id < 0) yield null;
                ShadowPage sp = s.sp(id);
                ShadowPage parent = s.sp(sp.parent);
                yield sp + " is still live under SPTE L" + parent.level + "[" + sp.parentIndex + "] gfn 0x"
                        + Long.toHexString(parent.gfnOf(sp.parentIndex)) + ", now a huge leaf";
            }
            case stats_consistent -> statsInconsistency(s);
            case page_table_leak -> {
                int id = leaked(s);
                if (id < 0) yield null;
                ShadowPage sp = s.sp(id);
                yield sp.status == ShadowPage.LIVE ? sp + " is live but no root or walker reaches it"
                        : sp + " is unlinked but queued on neither call_rcu nor an invalid_list";
            }
            case dangling_memslot -> SlotOps.dangling(s);
            case freed_page_mapped -> freedPageMapped(s);
            case nx_pages_counted -> nxPagesMiscounted(s);
            default -> null;
        };
    }

    /**
     * What checking the invariant reads besides its violation bit (which partial-order reduction
     * watches step by step): the structures the structural checks below walk.
     */
    public static Footprint reads(Invariant inv) {
        return switch (inv) {
            case nx_exec_huge, huge_and_child -> Footprint.reads(Resource.SPTE, Resource.SPTE_ACCESS);
            case stats_consistent -> Footprint.reads(Resource.SPTE, Resource.SPTE_ACCESS, Resource.STAT_PAGES,
                    Resource.STAT_NX_LPAGE_SPLITS, Resource.NX_LIST);
            case page_table_leak -> Footprint.reads(Resource.SPTE, Resource.SPTE_ACCESS, Resource.INVALID_ROOTS,
                    Resource.RCU_PENDING, Resource.INVALID_LIST);
            case dangling_memslot -> Footprint.reads(Resource.SPTE, Resource.SPTE_ACCESS, Resource.TLB, Resource.MEMSLOTS);
            case freed_page_mapped -> Footprint.reads(Resource.SPTE, Resource.FREED_PFNS);
            case nx_pages_counted -> Footprint.reads(Resource.NX_LIST);
            default -> Footprint.LOCAL;
        };
    }

    /**
     * The first live leaf SPTE that maps a page the host freed, as "SPTE L1[1] gfn 0x201 maps pfn
     * 0x1000, which the host freed", or null: the invariant, and the trace's words for it (it is
     * structural, so the step only read "host frees pfn 0x1000").
     */
    private static String freedPageMapped(VmState s) {
        if (s.freedPfns.length == 0) return null;
        String leaf = firstLeaf(s, (level, spte) -> Host.freedIn(s, Spte.pfn(spte), Level.pagesPerHpage(level)));
        return leaf == null ? null : leaf + ", which the host freed";
    }

    /** The first huge leaf the guest may execute while nx_huge_pages is on, or null. */
    private static String execHuge(VmState s) {
        String leaf = firstLeaf(s, (level, spte) -> level > 1 && Spte.exec(spte));
        return leaf == null ? null : leaf + " as an executable huge page";
    }

    private interface LeafTest {
        boolean test(int level, long spte);
    }

    /** "SPTE L1[1] gfn 0x201 maps pfn 0x1000" of the first live leaf SPTE that passes the test, or null. */
    private static String firstLeaf(VmState s, LeafTest t) {
        for (int id = 0; id < s.spCapacity(); id++) {
            ShadowPage sp = s.sp(id);
            if (sp == null || sp.status != ShadowPage.LIVE) continue;
            for (int i : sp.usedIndexes()) {
                long spte = sp.spte(i);
                if (Spte.present(spte) && Spte.leaf(spte) && t.test(sp.level, spte)) {
                    return "SPTE L" + sp.level + "[" + i + "] gfn 0x" + Long.toHexString(sp.gfnOf(i)) + " maps pfn 0x"
                            + Long.toHexString(Spte.pfn(spte));
                }
            }
        }
        return null;
    }

    /**
     * The id of a live table whose parent SPTE is a huge leaf, or -1. A live table whose parent is
     * freed is page_table_leak's (it is no one's child any more).
     */
    private static int hugeAndChild(VmState s) {
        for (int id = 0; id < s.spCapacity(); id++) {
            ShadowPage sp = s.sp(id);
            if (sp == null || sp.status != ShadowPage.LIVE || sp.parent < 0 || s.sp(sp.parent) == null) continue;
            long p = s.sp(sp.parent).spte(sp.parentIndex);
            if (Spte.present(p) && Spte.leaf(p)) return id;
        }
        return -1;
    }

    /**
     * pages_4k/2m/1g count the leaf SPTEs of live tables; nx_lpage_splits counts the NX list, whose
     * pages are all in the tables (one zapped stays there only if tracked after its unlink). The
     * first counter that disagrees, or null.
     */
    private static String statsInconsistency(VmState s) {
        long[] leaves = new long[4];
        for (int id = 0; id < s.spCapacity(); id++) {
            ShadowPage sp = s.sp(id);
            if (sp == null || sp.status != ShadowPage.LIVE || sp.level > Level.PG_LEVEL_1G) continue;
            for (int i : sp.usedIndexes()) {
                long spte = sp.spte(i);
                if (Spte.present(spte) && Spte.leaf(spte)) leaves[sp.level]++;
            }
        }
        for (int mmuType : new int[] {VmState.KVM_SHADOW_MMU, VmState.KVM_TDP_MMU}) {
            for (int id : s.possibleNxHugePages(mmuType)) {
                ShadowPage sp = s.sp(id);
                if (sp == null || sp.status != ShadowPage.LIVE) {
                    return (sp == null ? "sp" + id : sp.toString()) + " is on possible_nx_huge_pages but no longer a live table";
                }
            }
        }
        Stat[] pages = {null, Stat.pages_4k, Stat.pages_2m, Stat.pages_1g};
        for (int level = 1; level <= 3; level++) {
            if (leaves[level] != s.stat(pages[level])) {
                return "stat." + pages[level] + " is " + s.stat(pages[level]) + " but " + leaves[level]
                        + " leaf SPTEs of that size are present";
            }
        }
        // nx_lpage_splits counts both lists (v6.18 keeps one per MMU)
        long listed = s.lpageDisallowed.length + s.tdpMmuNxHugePages.length;
        return listed == s.stat(Stat.nx_lpage_splits) ? null
                : "stat.nx_lpage_splits is " + s.stat(Stat.nx_lpage_splits) + " but " + listed
                        + " pages are on the possible_nx_huge_pages lists";
    }

    /**
     * Each MMU's possible_nx_huge_pages[t].nr_pages equals the length of its list, as
     * track_possible_nx_huge_page() and untrack_possible_nx_huge_page() keep them when called with
     * the type of the list the page is on. Before v6.18 the one counter is the one list's length.
     * The first that disagrees, or null.
     */
    private static String nxPagesMiscounted(VmState s) {
        if (s.nxNrPages(VmState.KVM_SHADOW_MMU) != s.lpageDisallowed.length) {
            return "possible_nx_huge_pages[KVM_SHADOW_MMU].nr_pages is " + Long.toUnsignedString(s.nxNrPages(VmState.KVM_SHADOW_MMU))
                    + " but its list holds " + s.lpageDisallowed.length;
        }
        if (s.nxNrPages(VmState.KVM_TDP_MMU) != s.tdpMmuNxHugePages.length) {
            return "possible_nx_huge_pages[KVM_TDP_MMU].nr_pages is " + Long.toUnsignedString(s.nxNrPages(VmState.KVM_TDP_MMU))
                    + " but its list holds " + s.tdpMmuNxHugePages.length;
        }
        return null;
    }

    /** The id of a live table not reachable from the root, or of an unlinked one nobody will free; or -1. */
    private static int leaked(VmState s) {
        boolean[] reachable = new boolean[s.spCapacity()];
        mark(s, s.root, reachable);
        mark(s, s.nestedRoot, reachable);
        mark(s, s.smmRoot, reachable);
        for (int r : s.invalidRoots) {
            ShadowPage p = s.sp(r);
            if (p != null && p.status == ShadowPage.LIVE) mark(s, r, reachable); // obsolete roots, zapped later
        }
        for (int id = 0; id < s.spCapacity(); id++) { // roots a vCPU or walker still holds; a zapped legacy one waits for its last put
            ShadowPage p = s.sp(id);
            if (p != null && p.parent < 0 && p.rootCount > 0 && (p.status == ShadowPage.LIVE || !p.tdp)) mark(s, id, reachable);
        }
        for (int id = 0; id < s.spCapacity(); id++) {
            ShadowPage sp = s.sp(id);
            if (sp == null || reachable[id]) continue;
            if (sp.status == ShadowPage.LIVE || !queued(s, id)) return id;
        }
        return -1;
    }

    /**
     * The first root holding a reference nobody will put, once every thread has ended, as
     * "sp3(L4 gfn 0x0) (invalid) has tdp_mmu_root_count 1, held by none: ...", or null. The
     * references a root may still hold then: one per vCPU whose current root it is (root_mmu's
     * root.hpa; guest_mmu's for the L2 guest's legacy root), and for a TDP root the TDP MMU's own
     * (kvm_tdp_mmu_alloc_root()'s refcount_set(.., 2)) while the root is valid, which
     * kvm_tdp_mmu_invalidate_roots() gifts to the zap (tdp_mmu_scheduled_root_to_zap, in
     * {@link VmState#invalidRoots} until kvm_tdp_mmu_zap_invalidated_roots() takes it). A walk's
     * reference (tdp_mmu_next_root(), kvm_tdp_mmu_get_root()) ends with its thread. Any more and
     * the root is never freed: for a TDP root kvm_mmu_uninit_tdp_mmu()'s
     * WARN_ON(!list_empty(&kvm->arch.tdp_mmu_roots)), for a legacy one kvm_mmu_prepare_zap_page()
     * keeps it off invalid_list. prev_roots are not modelled: a direct root stays current across
     * CR3 loads (is_root_usable() ignores a direct role's pgd).
     */
    public static String leakedRootReference(VmState s) {
        for (int id = 0; id < s.spCapacity(); id++) {
            ShadowPage p = s.sp(id);
            if (p == null || p.rootCount == 0) continue;
            StringBuilder by = new StringBuilder();
            int holders = rootHolders(s, id, by);
            if (p.rootCount > holders) {
                return p + (p.invalid ? " (invalid)" : "") + " has " + (p.tdp ? "tdp_mmu_root_count " : "root_count ")
                        + p.rootCount + ", held by " + (holders == 0 ? "none" : by) + ": " + (p.rootCount - holders)
                        + (p.rootCount - holders == 1 ? " reference is" : " references are") + " never put, the root never freed ("
                        + (p.tdp ? "kvm_mmu_uninit_tdp_mmu(): WARN_ON(!list_empty(&kvm->arch.tdp_mmu_roots))"
                                : "kvm_mmu_prepare_zap_page() keeps it off invalid_list")
                        + ")";
            }
        }
        return null;
    }

    /**
     * A put too many, as the put sees the root after its decrement: the root's count below its
     * holders ({@link #leakedRootReference}'s: the vCPUs whose current root it is, the TDP MMU while
     * the root is valid and listed, the scheduled zap while it is invalid and scheduled), as
     * "sp0(L4 gfn 0x0) has tdp_mmu_root_count 1, held by vCPU 0, the TDP MMU: ...", or null. Every
     * holder puts its own reference (kvm_mmu_unload(), kvm_tdp_mmu_zap_invalidated_roots()), so
     * one of them frees the root while another still holds it. The put is the one step that can
     * break this: each step that adds a holder adds its reference with it (kvm_tdp_mmu_alloc_root(),
     * mmu_alloc_root(); kvm_tdp_mmu_invalidate_roots() passes the TDP MMU's to the zap), and
     * mmu_free_root_page() clears root.hpa in the step of its put. A walk's reference
     * (tdp_mmu_next_root(), kvm_tdp_mmu_get_root()) is no holder's: a put too many while a walk
     * still holds one shows at a later put, the walk's at the latest.
     */
    public static String rootPutTooMany(VmState s, int id) {
        ShadowPage p = s.sp(id);
        StringBuilder by = new StringBuilder();
        int holders = rootHolders(s, id, by);
        if (p.rootCount >= holders) return null;
        String held = p + (p.invalid ? " (invalid)" : "") + " has " + (p.tdp ? "tdp_mmu_root_count " : "root_count ")
                + p.rootCount + ", held by " + (holders == 0 ? "none" : by);
        if (holders == 0) return held + ": a put below zero";
        if (!p.tdp) {
            return held + ": the zapped root is freed at root_count 0 (kvm_mmu_prepare_zap_page() queues it on invalid_list)"
                    + " while " + (p.rootCount <= 0 ? "they still hold" : "one of them still holds") + " it";
        }
        return held + ": " + (p.rootCount <= 0 ? "the root is freed (call_rcu) while they still hold it"
                : "one of them frees the root (call_rcu) while another still holds it")
                + ", whose put then underflows (refcount_t: underflow, use-after-free)"
                + (p.rootCount == 0 && !p.invalid ? " (KVM_BUG_ON: the root is valid)" : "");
    }

    /**
     * The references a root's holders own, each named into by: one per vCPU whose current root it
     * is (root_mmu's root.hpa; guest_mmu's for the L2 guest's legacy root), and for a TDP root on
     * the list the TDP MMU's own while the root is valid, or the scheduled zap's while it is
     * invalid and still in {@link VmState#invalidRoots}.
     */
    static int rootHolders(VmState s, int id, StringBuilder by) {
        ShadowPage p = s.sp(id);
        int holders = 0;
        for (int v = 0; v < s.config.vcpus(); v++) {
            if (s.vcpuRoots[v] == id) holders += holder(by, "vCPU " + v);
            if (s.vcpuNestedRoots[v] == id) holders += holder(by, "vCPU " + v + " (guest_mmu)");
        }
        boolean tdp = p.tdp && IdLists.contains(TdpMmuRoots.all(s), id);
        if (tdp && !p.invalid) holders += holder(by, "the TDP MMU");
        if (tdp && p.invalid && IdLists.contains(s.invalidRoots, id)) holders += holder(by, "the scheduled zap");
        return holders;
    }

    private static int holder(StringBuilder by, String who) {
        if (by.length() > 0) by.append(", ");
        by.append(who);
        return 1;
    }

    private static void mark(VmState s, int id, boolean[] reachable) {
        if (id < 0 || id >= reachable.length || reachable[id] || s.sp(id) == null) return;
        reachable[id] = true;
        ShadowPage sp = s.sp(id);
        for (int i : sp.usedIndexes()) {
            long spte = sp.spte(i);
            if (Spte.present(spte) && !Spte.leaf(spte)) mark(s, Spte.child(spte), reachable);
        }
    }

    private static boolean queued(VmState s, int id) {
        for (int p : s.rcuPending) if (p == id) return true;
        for (var t : s.threads) for (int p : t.invalidList) if (p == id) return true;
        return false;
    }
}
