package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.ThreadState;
import dev.mmu.runtime.model.VmState;
import java.util.Arrays;

/**
 * The legacy (shadow) MMU's two-phase zap (arch/x86/kvm/mmu/mmu.c, v6.x): prepare unlinks a page
 * and queues it on the caller's invalid_list; commit flushes remote TLBs and only then frees.
 *
 * <p>The list is the caller's: LIST_HEAD(invalid_list) on its stack (v7.2), here
 * {@code ThreadState.invalidList}, and every op changes only its own thread's ({@code e.self()}).
 * So a thread's read of its own list (list_empty(), the commit's walk) is thread-local, as its
 * locals are, and declares no resource ({@link #INVALID_LIST_WALK}, {@link NextInvalid},
 * {@link Queries#OWN_INVALID_LIST_LEN}). What other threads see of a queued page is its shared
 * state (role.invalid, its SPTEs, root_count: {@link Resource#SPTE}), which the ops that queue and
 * free declare. They declare {@link Resource#INVALID_LIST} too, for what reads every thread's list:
 * the page_table_leak check and an expectation's invalid_list.len.
 */
public final class ShadowMmu {
    private ShadowMmu() {}

    /** What {@link #prepareZapPage} touches: SPTEs (and their teardown), the caller's invalid_list, mmu_shadow_zapped. */
    static final Footprint PREPARE_ZAP = TdpMmu.SET_SPTE.andUpdates(Resource.INVALID_LIST, Resource.STAT_MMU_SHADOW_ZAPPED);

    /** What {@link #commitZapPage} and {@link #remoteFlushOrZap} touch: the flush, the freed pages, commit_batch. */
    static final Footprint COMMIT_ZAP = Footprint.updates(Resource.INVALID_LIST, Resource.SPTE, Resource.METRICS)
            .union(Tlbs.FLUSH);
    /** COMMIT_ZAP, and the lockdep check of {@link #freeUnlocked}. */
    static final Footprint COMMIT_ZAP_CHECKED = COMMIT_ZAP.andUpdates(Resource.VIOLATIONS);

    /**
     * kvm_mmu_commit_zap_page() (v5.10 to v7.2) asserts no lock and returns at once on an empty
     * list, so a commit outside mmu_lock is harmless then (trial11: the model's lockdep on entry
     * failed a no-op commit). Freeing pages outside it is a bug the kernel does not assert:
     * kvm_mmu_free_shadow_page()'s hlist_del()/list_del() race with every other mmu_lock holder.
     */
    static void freeUnlocked(Exec e, String fn) {
        if (e.self().invalidList.length > 0 && e.s.mmuWriter != e.thread) {
            e.violate(Invariant.lockdep, fn + "() frees invalid_list's pages without mmu_lock held for"
                    + " write (the kernel asserts none, but kvm_mmu_free_shadow_page()'s hlist_del()/list_del() would race)");
        }
    }

    /**
     * kvm_mmu_prepare_zap_page() drops each leaf SPTE with rmap_remove(), whose gfn_to_rmap() looks
     * the memslot up with __kvm_memslots(): an srcu_dereference_check() that accepts kvm->srcu or
     * slots_lock (v5.10 to v7.2). That is why NX recovery takes srcu_read_lock(); a copy without it
     * passed (trial11). A page with no leaf under it looks no slot up.
     */
    static void assertMemslotsReadable(Exec e, int spId) {
        if (Lock.held(e.s, e.thread, LockId.srcu) || Lock.held(e.s, e.thread, LockId.slots_lock)) return;
        if (!hasLeaf(e.s, spId)) return;
        e.violate(Invariant.lockdep, "kvm_mmu_prepare_zap_page(): rmap_remove()'s gfn_to_rmap() needs"
                + " kvm->srcu or slots_lock held (CONFIG_PROVE_RCU: srcu_dereference_check of kvm->memslots)");
    }

    private static boolean hasLeaf(VmState s, int spId) {
        ShadowPage sp = s.sp(spId);
        if (sp == null || sp.invalid) return false;
        for (int i : sp.usedIndexes()) {
            long v = sp.spte(i);
            if (Spte.leaf(v) || (Spte.present(v) && hasLeaf(s, Spte.child(v)))) return true;
        }
        return false;
    }

    /**
     * __kvm_mmu_prepare_zap_page(): unlink children and parents (sp becomes unreachable), NX
     * unaccount, role.invalid = 1, queue on invalid_list when root_count is 0. No flush, no free.
     * Child tables are zapped with it (the kernel leaves them for later reclaim; see docs).
     */
    static void prepareZapPage(Exec e, int spId) {
        VmState s = e.s;
        ShadowPage sp = s.sp(spId);
        if (sp == null || sp.invalid) return;
        for (int i : sp.usedIndexes()) { // kvm_mmu_page_unlink_children()
            long old = sp.spte(i);
            s.setSpte(spId, i, 0);
            e.work();
            if (Spte.present(old) && !Spte.leaf(old)) prepareZapPage(e, Spte.child(old));
            else TdpMmu.handleChangedSpte(e, sp.level, old, 0);
        }
        if (sp.parent >= 0) { // kvm_mmu_unlink_parents()
            s.setSpte(sp.parent, sp.parentIndex, 0);
            e.work();
        }
        Nx.unaccount(e, spId);
        ShadowPage w = s.spForWrite(spId);
        w.invalid = true;
        w.status = ShadowPage.UNLINKED;
        w.parent = -1;
        s.addStat(Stat.mmu_shadow_zapped, 1);
        if (w.rootCount == 0) queueInvalid(e, spId);
        e.note("kvm_mmu_prepare_zap_page(" + w + "): invalid_list=" + e.self().invalidList.length);
    }

    /** list_move(&sp->link, invalid_list): the page waits for kvm_mmu_commit_zap_page(). */
    static void queueInvalid(Exec e, int spId) {
        ThreadState t = e.self();
        t.invalidList = Arrays.copyOf(t.invalidList, t.invalidList.length + 1);
        t.invalidList[t.invalidList.length - 1] = spId;
    }

    /** kvm_mmu_commit_zap_page(): if the list is non-empty, kvm_flush_remote_tlbs() then free each page. */
    static void commitZapPage(Exec e) {
        ThreadState t = e.self();
        int n = t.invalidList.length;
        if (n == 0) {
            e.note("kvm_mmu_commit_zap_page: invalid_list empty, nothing to do");
            return;
        }
        Tlbs.flushRemoteTlbs(e);
        for (int id : t.invalidList) e.s.freeSp(id);
        t.invalidList = new int[0];
        recordCommitBatch(e, n);
        e.note("kvm_mmu_commit_zap_page frees " + n + " page" + (n == 1 ? "" : "s"));
    }

    /**
     * kvm_mmu_free_shadow_page(sp) (v7.2, mmu.c:1740): hlist_del(&sp->hash_link), list_del(&sp->link)
     * (off the caller's invalid_list) and the page freed. The kernel asserts no lock: freeing
     * outside mmu_lock held for write races the lists' other users (lockdep here, as
     * {@link #freeUnlocked}). A page freed twice is a use-after-free.
     */
    static void freeShadowPage(Exec e, int spId) {
        VmState s = e.s;
        if (s.mmuWriter != e.thread) {
            e.violate(Invariant.lockdep, "kvm_mmu_free_shadow_page(sp" + spId + ") without mmu_lock held for write"
                    + " (the kernel asserts none, but its hlist_del()/list_del() would race)");
        }
        if (spId < 0 || spId >= s.spCapacity() || s.sp(spId) == null) {
            e.violate(Invariant.use_after_free, "kvm_mmu_free_shadow_page(sp" + spId + "): the page was already freed");
            return;
        }
        e.self().invalidList = IdLists.without(e.self().invalidList, spId);
        s.freeSp(spId);
        e.note("kvm_mmu_free_shadow_page(sp" + spId + ")");
    }

    /**
     * What the invalid_list walk's head touches: the commit_batch metric. The caller's own list it
     * reads is thread-local (see the class comment).
     */
    static final Footprint INVALID_LIST_WALK = Footprint.updates(Resource.METRICS);

    /**
     * The head of list_for_each_entry_safe(sp, nsp, invalid_list, link) (kvm_mmu_commit_zap_page(),
     * v7.2): nsp = the first entry (-1: the list is empty). The pages a commit frees are the
     * commit_batch metric, counted here, at the walk's start.
     */
    public record InvalidListHead(int nsp) implements Op {
        public void exec(Exec e, int choice) {
            int[] list = e.self().invalidList;
            e.self().locals[nsp] = list.length > 0 ? list[0] : -1;
            recordCommitBatch(e, list.length);
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public int[] localsWritten(int pc, int target) {
            return new int[] {nsp};
        }

        public Footprint footprint() {
            return INVALID_LIST_WALK;
        }

        public String describe() {
            return "nsp = list_first_entry(invalid_list)";
        }
    }

    /**
     * Each pass of list_for_each_entry_safe(sp, nsp, invalid_list, link): sp = nsp, and nsp = the entry
     * after sp, read before the body frees sp; none left ends the walk.
     */
    public record NextInvalid(int sp, int nsp, int end) implements Op {
        public void exec(Exec e, int choice) {
            long[] locals = e.self().locals;
            if (locals[nsp] < 0) {
                e.nextPc = end;
                return;
            }
            int[] list = e.self().invalidList;
            int at = IdLists.indexOf(list, (int) locals[nsp]);
            locals[sp] = locals[nsp];
            locals[nsp] = at >= 0 && at + 1 < list.length ? list[at + 1] : -1;
        }

        public int[] localsRead() {
            return new int[] {nsp};
        }

        public int[] localsWritten(int pc, int target) {
            return target == end ? LiveLocals.NONE : new int[] {sp, nsp};
        }

        /** Its thread's own list and locals only: thread-local (see the class comment). */
        public Footprint footprint() {
            return Footprint.LOCAL;
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, end};
        }

        public String describe() {
            return "list_for_each_entry_safe(sp, nsp, invalid_list, link)";
        }
    }

    /** The commit_batch metric: the most pages one commit frees (kept only when an expectation reads it). */
    private static void recordCommitBatch(Exec e, int pages) {
        if (pages > e.s.commitBatch && e.trackMetrics()) e.s.commitBatch = pages;
    }

    /** kvm_mmu_remote_flush_or_zap(): commit if the list is non-empty, else flush if asked; true if either. */
    static boolean remoteFlushOrZap(Exec e, boolean remoteFlush) {
        if (!remoteFlush && e.self().invalidList.length == 0) {
            e.note("kvm_mmu_remote_flush_or_zap: nothing pending");
            return false;
        }
        if (e.self().invalidList.length > 0) commitZapPage(e);
        else Tlbs.flushRemoteTlbs(e);
        return true;
    }
}
