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
 * TDP MMU and the shadow MMU, which is why one recovery loop sees both kinds of page.
 */
public final class Nx {
    private Nx() {}

    /**
     * sp = list_first_entry(&kvm->arch.possible_nx_huge_pages) (mmu.c, v6.x), after the caller's
     * list_empty() check. The list is mmu_lock's held for write, or tdp_mmu_pages_lock's (the TDP
     * MMU links and unlinks pages under the read lock with it held): a reader holding neither
     * races with them, and may find the list emptied since its check, where the kernel would take
     * the list head for a page. That race is a lockdep violation; the page read is then none (-1).
     */
    public record FirstEntry(int slot, String text) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            if (s.mmuWriter != e.thread && !Lock.held(s, e.thread, LockId.tdp_mmu_pages_lock)) {
                e.violate(Invariant.lockdep, text + " without mmu_lock held for write or tdp_mmu_pages_lock");
            }
            e.self().locals[slot] = s.lpageDisallowed.length > 0 ? s.lpageDisallowed[0] : -1;
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public int[] localsWritten(int pc, int target) {
            return new int[] {slot};
        }

        public Footprint footprint() {
            // The lockdep check reads only this thread's holdings (Primitive#footprint): nothing shared
            return Footprint.reads(Resource.NX_LIST).andUpdates(Resource.VIOLATIONS);
        }

        public String describe() {
            return text;
        }
    }

    /**
     * account_nx_huge_page(kvm, sp, nx_huge_page_possible) (v6.12; account_huge_nx_page in v5.10):
     * sp->nx_huge_page_disallowed = true, and track_possible_nx_huge_page() if possible.
     */
    static void account(Exec e, int spId, boolean possible) {
        e.s.spForWrite(spId).nxHugePageDisallowed = true;
        if (possible) add(e, spId, "account_nx_huge_page");
    }

    /** track_possible_nx_huge_page() (v6.12): onto the list, ++nx_lpage_splits; nothing if already on it. */
    static void track(Exec e, int spId) {
        add(e, spId, "track_possible_nx_huge_page");
    }

    private static void add(Exec e, int spId, String what) {
        VmState s = e.s;
        for (int id : s.lpageDisallowed) {
            if (id == spId) return;
        }
        ShadowPage sp = s.sp(spId);
        if (sp == null || sp.status != ShadowPage.LIVE) {
            e.violate(Invariant.accounted_after_zap, what + " of sp" + spId + " after a zap unlinked it: it stays on"
                    + " possible_nx_huge_pages, counted in nx_lpage_splits, while it is freed");
        }
        int[] l = Arrays.copyOf(s.lpageDisallowed, s.lpageDisallowed.length + 1);
        l[l.length - 1] = spId;
        s.lpageDisallowed = l;
        s.addStat(Stat.nx_lpage_splits, 1);
        e.note(what + "(" + s.sp(spId) + "): nx_lpage_splits=" + s.stat(Stat.nx_lpage_splits));
    }

    /**
     * unaccount_nx_huge_page(): clears the flag, unlinks the page from the list, --nx_lpage_splits.
     * Nothing for a page already unaccounted (untrack_possible_nx_huge_page() checks list_empty()),
     * nor for no page or a freed one.
     */
    static void unaccount(Exec e, int spId) {
        VmState s = e.s;
        ShadowPage sp = s.sp(spId);
        if (sp == null || !sp.nxHugePageDisallowed) return;
        ShadowPage w = s.spForWrite(spId);
        w.nxHugePageDisallowed = false;
        int[] l = s.lpageDisallowed;
        for (int i = 0; i < l.length; i++) {
            if (l[i] == spId) {
                int[] n = new int[l.length - 1];
                System.arraycopy(l, 0, n, 0, i);
                System.arraycopy(l, i + 1, n, i, l.length - i - 1);
                s.lpageDisallowed = n;
                s.addStat(Stat.nx_lpage_splits, -1);
                e.note("unaccount_nx_huge_page(" + w + "): nx_lpage_splits=" + s.stat(Stat.nx_lpage_splits));
                return;
            }
        }
    }
}
