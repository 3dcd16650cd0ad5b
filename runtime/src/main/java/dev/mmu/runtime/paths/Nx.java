package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import java.util.Arrays;

/**
 * NX huge-page accounting (mmu.c): the possible_nx_huge_pages list (old name
 * lpage_disallowed_mmu_pages) that recovery walks, and kvm->stat.nx_lpage_splits. Shared by the
 * TDP MMU and the shadow MMU until v6.18, which is why one recovery loop sees both kinds of page;
 * v6.18 keeps one list per MMU (possible_nx_huge_pages[KVM_NR_MMU_TYPES], {@link
 * dev.mmu.runtime.model.VmConfig#nxListPerMmu}) and recovers each in a pass of its own.
 */
public final class Nx {
    /** What the accounting primitives touch: the NX lists and counters, nx_lpage_splits; they read whether the page still exists. */
    static final Footprint ACCOUNTING = Footprint.updates(Resource.NX_LIST, Resource.STAT_NX_LPAGE_SPLITS, Resource.VIOLATIONS)
            .andReads(Resource.SPTE);

    private Nx() {}

    /**
     * sp = list_first_entry(&kvm->arch.possible_nx_huge_pages) (mmu.c, v6.x), after the caller's
     * list_empty() check; since v6.18 of possible_nx_huge_pages[mmu_type].pages. The list is
     * mmu_lock's held for write, or tdp_mmu_pages_lock's (the TDP MMU links and unlinks pages under
     * the read lock with it held): a reader holding neither races with them, and may find the list
     * emptied since its check, where the kernel would take the list head for a page. That race is
     * a lockdep violation; the page read is then none (-1).
     */
    public record FirstEntry(int slot, Expr mmuType, String text) implements Op {
        /** Of lpage_disallowed, the one list before v6.18 (possible_nx_huge_pages[KVM_SHADOW_MMU] since). */
        public FirstEntry(int slot, String text) {
            this(slot, Expr.constant(VmState.KVM_SHADOW_MMU), text);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            if (s.mmuWriter != e.thread && !Lock.held(s, e.thread, LockId.tdp_mmu_pages_lock)) {
                e.violate(Invariant.lockdep, text + " without mmu_lock held for write or tdp_mmu_pages_lock" + Lockdep.NX_LIST_RULE);
            }
            int[] list = s.possibleNxHugePages((int) mmuType.eval(s, e.thread));
            e.self().locals[slot] = list.length > 0 ? list[0] : -1;
        }

        public int[] localsRead() {
            return mmuType.locals();
        }

        public int[] localsWritten(int pc, int target) {
            return new int[] {slot};
        }

        public Footprint footprint() {
            // The lockdep check reads only this thread's holdings (Primitive#footprint): nothing shared
            return Footprint.reads(Resource.NX_LIST).andUpdates(Resource.VIOLATIONS).union(mmuType.footprint());
        }

        public String describe() {
            return text;
        }
    }

    /**
     * account_nx_huge_page(kvm, sp, nx_huge_page_possible) (v6.12; account_huge_nx_page in v5.10; 6.18's and
     * 7.2's, mmu.c:828, onto the list of the MMU type, by nxListPerMmu):
     * sp->nx_huge_page_disallowed = true, and track_possible_nx_huge_page() if possible.
     */
    static void account(Exec e, int spId, boolean possible) {
        e.s.spForWrite(spId).nxHugePageDisallowed = true;
        if (possible) add(e, spId, "account_nx_huge_page");
    }

    /** track_possible_nx_huge_page() (v6.12; 7.2's mmu.c:808 by MMU type, nxListPerMmu): onto the list, ++nx_lpage_splits; nothing if already on it. */
    static void track(Exec e, int spId) {
        add(e, spId, "track_possible_nx_huge_page");
    }

    /**
     * Onto possible_nx_huge_pages: the one list before v6.18; since, the list of the page's MMU
     * (track_possible_nx_huge_page(kvm, sp, KVM_TDP_MMU) in kvm_tdp_mmu_map(), KVM_SHADOW_MMU in
     * account_nx_huge_page()), which is_tdp_mmu_page(sp) tells.
     */
    private static void add(Exec e, int spId, String what) {
        VmState s = e.s;
        ShadowPage sp = s.sp(spId);
        int mmuType = s.config.nxListPerMmu() && sp != null && sp.tdp ? VmState.KVM_TDP_MMU : VmState.KVM_SHADOW_MMU;
        int[] list = s.possibleNxHugePages(mmuType);
        if (IdLists.contains(list, spId)) return;
        if (sp == null || sp.status != ShadowPage.LIVE) {
            e.violate(Invariant.accounted_after_zap, what + " of sp" + spId + " after a zap unlinked it: it stays on"
                    + " possible_nx_huge_pages, counted in nx_lpage_splits, while it is freed");
        }
        int[] l = Arrays.copyOf(list, list.length + 1);
        l[l.length - 1] = spId;
        s.setPossibleNxHugePages(mmuType, l);
        s.addStat(Stat.nx_lpage_splits, 1);
        s.addNxNrPages(mmuType, 1);
        if (e.tracing()) e.note(what + "(" + s.sp(spId) + "): nx_lpage_splits=" + s.stat(Stat.nx_lpage_splits));
    }

    /**
     * unaccount_nx_huge_page() (v6.x): clears sp->nx_huge_page_disallowed and untracks the page
     * with KVM_SHADOW_MMU, whichever MMU's page it is (v6.18 mmu.c: "untrack_possible_nx_huge_page(kvm,
     * sp, KVM_SHADOW_MMU)"): its callers are kvm_mmu_prepare_zap_page() and kvm_recover_nx_huge_pages(),
     * whose TDP MMU pass calls it for TDP MMU pages too. Nothing for a page already unaccounted.
     */
    static void unaccount(Exec e, int spId) {
        ShadowPage sp = e.s.sp(spId);
        if (sp == null || !sp.nxHugePageDisallowed) return;
        e.s.spForWrite(spId).nxHugePageDisallowed = false;
        untrack(e, spId, VmState.KVM_SHADOW_MMU, "unaccount_nx_huge_page");
    }

    /**
     * tdp_mmu_unlink_sp()'s accounting (v6.18): if sp->nx_huge_page_disallowed, under
     * tdp_mmu_pages_lock (the step waits for it: {@link PagesLockWait}), clear it and untrack
     * with KVM_TDP_MMU (a legacy table of handle_removed_pt() with KVM_SHADOW_MMU, as
     * kvm_mmu_prepare_zap_page() would).
     */
    static void unlink(Exec e, int spId) {
        ShadowPage sp = e.s.sp(spId); // handle_removed_pt()'s table: still allocated
        if (!sp.nxHugePageDisallowed) return;
        // spin_lock(&kvm->arch.tdp_mmu_pages_lock): the step waits while a thread holds it (PagesLockWait)
        if (Lock.owner(e.s, LockId.tdp_mmu_pages_lock) >= 0) e.spinOnPagesLock();
        e.s.spForWrite(spId).nxHugePageDisallowed = false;
        untrack(e, spId, sp.tdp ? VmState.KVM_TDP_MMU : VmState.KVM_SHADOW_MMU, "unaccount_nx_huge_page");
    }

    /**
     * untrack_possible_nx_huge_page(kvm, sp, mmu_type) (v6.18; v6.12's takes no type): nothing if the
     * page's link is empty (list_empty()); else --nx_lpage_splits, --possible_nx_huge_pages[mmu_type].nr_pages
     * and list_del_init(), which takes the page off whichever list holds it, so a counter other than
     * its list's may be decremented. Before v6.18 the one counter is the one list's.
     */
    static void untrack(Exec e, int spId, int mmuType, String what) {
        VmState s = e.s;
        int counted = s.config.nxListPerMmu() ? mmuType : VmState.KVM_SHADOW_MMU;
        for (int listType : new int[] {VmState.KVM_SHADOW_MMU, VmState.KVM_TDP_MMU}) {
            int[] l = s.possibleNxHugePages(listType);
            if (!IdLists.contains(l, spId)) continue;
            s.setPossibleNxHugePages(listType, IdLists.without(l, spId));
            s.addStat(Stat.nx_lpage_splits, -1);
            s.addNxNrPages(counted, -1);
            if (e.tracing()) e.note(untracked(s, spId, counted, what));
            return;
        }
    }

    /** The trace's clause for an untrack: since v6.18 with the type and the counter it decremented. */
    private static String untracked(VmState s, int spId, int counted, String what) {
        String splits = ": nx_lpage_splits=" + s.stat(Stat.nx_lpage_splits);
        if (!s.config.nxListPerMmu()) return what + "(" + s.sp(spId) + ")" + splits;
        String type = mmuTypeName(counted);
        return what + "(" + s.sp(spId) + ") with " + type + splits + ", possible_nx_huge_pages[" + type + "].nr_pages="
                + Long.toUnsignedString(s.nxNrPages(counted));
    }

    /** The enum kvm_mmu_type constant's name. */
    static String mmuTypeName(int mmuType) {
        return mmuType == VmState.KVM_TDP_MMU ? "KVM_TDP_MMU" : "KVM_SHADOW_MMU";
    }
}
