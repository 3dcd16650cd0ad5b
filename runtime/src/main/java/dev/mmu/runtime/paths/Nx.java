package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import java.util.Arrays;

/**
 * NX huge-page accounting (mmu.c): the possible_nx_huge_pages list (old name
 * lpage_disallowed_mmu_pages) that recovery walks, and kvm->stat.nx_lpage_splits. Shared by the
 * TDP MMU and the shadow MMU, which is why one recovery loop sees both kinds of page.
 */
final class Nx {
    private Nx() {}

    /** account_nx_huge_page() + track_possible_nx_huge_page() (v6.x; account_huge_nx_page in v5.10). */
    static void account(Exec e, ShadowPage sp) {
        VmState s = e.s;
        ShadowPage w = s.spForWrite(sp.id);
        w.nxHugePageDisallowed = true;
        for (int id : s.lpageDisallowed) {
            if (id == sp.id) return;
        }
        int[] l = Arrays.copyOf(s.lpageDisallowed, s.lpageDisallowed.length + 1);
        l[l.length - 1] = sp.id;
        s.lpageDisallowed = l;
        s.addStat(Stat.nx_lpage_splits, 1);
        e.note("account_nx_huge_page(" + sp + "): nx_lpage_splits=" + s.stat(Stat.nx_lpage_splits));
    }

    /** unaccount_nx_huge_page(): clears the flag, unlinks the page from the list, --nx_lpage_splits. */
    static void unaccount(Exec e, int spId) {
        VmState s = e.s;
        ShadowPage w = s.spForWrite(spId);
        if (!w.nxHugePageDisallowed) return;
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
