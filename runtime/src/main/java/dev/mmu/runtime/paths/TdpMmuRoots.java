package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.VmState;

/**
 * kvm->arch.tdp_mmu_roots ({@link VmState#tdpMmuRoots}) and the order every walk of it visits the
 * roots in: newest first. kvm_tdp_mmu_alloc_root() (tdp_mmu.c:259, v7.2 as v6.12: list_add_rcu) and 5.10's
 * get_tdp_mmu_vcpu_root() (list_add) add a root at the head; the last kvm_tdp_mmu_put_root()
 * takes it off (list_del_rcu; 5.10's kvm_tdp_mmu_free_root(): list_del). for_each_tdp_mmu_root()
 * is list_for_each_entry() and tdp_mmu_next_root() follows the next pointer from the root the walk
 * is in, so a root added during a walk (at the head, behind it) is never visited.
 */
public final class TdpMmuRoots {
    private TdpMmuRoots() {}

    /** list_add_rcu(&root->link, &kvm->arch.tdp_mmu_roots): at the head. */
    static void add(VmState s, int root) {
        int[] r = new int[s.tdpMmuRoots.length + 1];
        r[0] = root;
        System.arraycopy(s.tdpMmuRoots, 0, r, 1, s.tdpMmuRoots.length);
        s.tdpMmuRoots = r;
    }

    /** list_del_rcu(&root->link). */
    static void remove(VmState s, int root) {
        s.tdpMmuRoots = IdLists.without(s.tdpMmuRoots, root);
    }

    /**
     * The list walk's step (tdp_mmu_next_root(), tdp_mmu.c:127 v7.2 as v6.12, by root type since; list_next_entry(), v5.10): the first root
     * after {@code prev} (-1: from the head) that is not invalid when {@code onlyValid}, nor, when
     * {@code skipDying}, one whose last reference went (refcount_inc_not_zero() fails); -1 at the
     * end of the list. A {@code prev} no longer on the list (a walk that held no reference on
     * it) ends the walk: where the kernel would go on from a deleted entry's next pointer is not
     * kept.
     */
    static int next(VmState s, int prev, boolean onlyValid, boolean skipDying) {
        int[] r = s.tdpMmuRoots;
        int i = 0;
        if (prev >= 0) {
            while (i < r.length && r[i] != prev) i++;
            if (i == r.length) return -1;
            i++;
        }
        for (; i < r.length; i++) {
            ShadowPage p = s.sp(r[i]);
            if (p != null && !(onlyValid && p.invalid) && !(skipDying && p.rootCount == 0)) return r[i];
        }
        return -1;
    }

    /** The roots on the list in the walks' order, the invalid ones too (for_each_tdp_mmu_root). */
    static int[] all(VmState s) {
        return s.tdpMmuRoots;
    }
}
