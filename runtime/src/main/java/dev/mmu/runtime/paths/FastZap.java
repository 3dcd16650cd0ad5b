package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.VmState;
import java.util.Arrays;

/**
 * The ops of kvm_mmu_zap_all_fast() (mmu.c, v6.x) and kvm_tdp_mmu_zap_invalidated_roots()
 * (tdp_mmu.c, v6.x): obsolete everything by generation, make every vCPU reload its root, zap the
 * obsolete legacy pages in batches and the invalidated TDP roots under the read lock.
 */
public final class FastZap {
    /** BATCH_ZAP_PAGES: kvm_zap_obsolete_pages() may yield after this many zapped pages. */
    public static final int BATCH_ZAP_PAGES = 10;

    private FastZap() {}

    /**
     * Under mmu_lock held for write: kvm->arch.mmu_valid_gen ^= 1; kvm_tdp_mmu_invalidate_all_roots()
     * (role.invalid = true); kvm_make_all_cpus_request(KVM_REQ_MMU_FREE_OBSOLETE_ROOTS), which
     * kicks every vCPU out of the guest and waits: each drops its obsolete root and, before it
     * enters the guest again, kvm_mmu_load() gives it a new root and flush_tlb_current(); with
     * mmu both, the L2 (guest_mmu) shadow root too. The model does the reload for all vCPUs here
     * (the request waits for them); kvm_zap_obsolete_pages() then zaps the old legacy roots.
     */
    public record Begin() implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            if (s.mmuWriter != e.thread) e.violate(Invariant.lockdep, "kvm_mmu_zap_all_fast needs mmu_lock for write");
            s.mmuValidGen ^= 1;
            ShadowPage old = s.spForWrite(s.root);
            // The vCPUs drop their references; kvm_tdp_mmu_invalidate_all_roots() (v6.x) takes one
            // for the scheduled zap; walkers inside the root keep theirs (TdpMmu.getRoot).
            if (old.tdp) old.invalid = true;
            old.rootCount = old.tdp ? old.rootCount - s.config.vcpus() + 1 : 0;
            int[] r = Arrays.copyOf(s.invalidRoots, s.invalidRoots.length + 1);
            r[r.length - 1] = old.id;
            s.invalidRoots = r;
            ShadowPage root = s.allocSp(old.level, 0, s.config.mmu() != Mmu.SHADOW);
            root.rootCount = s.config.vcpus();
            s.root = root.id;
            if (s.nestedRoot >= 0) { // mmu both: the L2 shadow root is obsolete too (is_obsolete_root)
                ShadowPage oldNested = s.spForWrite(s.nestedRoot);
                oldNested.rootCount = 0;
                r = Arrays.copyOf(s.invalidRoots, s.invalidRoots.length + 1);
                r[r.length - 1] = oldNested.id;
                s.invalidRoots = r;
                ShadowPage nested = s.allocSp(oldNested.level, 0, false);
                nested.rootCount = s.config.vcpus();
                s.nestedRoot = nested.id;
            }
            for (int v = 0; v < s.tlb.length; v++) {
                s.tlb[v] = new TlbEntry[0];
                s.psc[v] = new dev.mmu.runtime.model.PscEntry[0];
            }
            e.note("mmu_valid_gen=" + s.mmuValidGen + "; " + (old.tdp ? "kvm_tdp_mmu_invalidate_all_roots: " : "")
                    + old + " obsolete; KVM_REQ_MMU_FREE_OBSOLETE_ROOTS: vCPUs load " + root
                    + " and flush_tlb_current");
        }

        public String describe() {
            return "kvm_mmu_zap_all_fast: new generation";
        }
    }

    /**
     * list_for_each_entry_safe_reverse(active_mmu_pages): the next obsolete legacy page that is not
     * already invalid (oldest first; the model takes the lowest id), into `sp`; none -> `end`.
     */
    public record NextObsolete(int sp, int end) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            for (int id = 0; id < s.spCapacity(); id++) {
                ShadowPage p = s.sp(id);
                if (p != null && !p.tdp && p.gen != s.mmuValidGen && !p.invalid && p.status == ShadowPage.LIVE) {
                    e.self().locals[sp] = id;
                    return;
                }
            }
            e.nextPc = end;
        }

        public boolean silent(VmState s, int thread) {
            return s.mmuWriter == thread;
        }

        public String describe() {
            return "is_obsolete_sp";
        }
    }

    /** __kvm_mmu_prepare_zap_page(sp, &kvm->arch.zapped_obsolete_pages, &nr_zapped); batch += nr_zapped. */
    public record PrepareObsolete(int sp, int batch) implements Op {
        public void exec(Exec e, int choice) {
            int id = (int) e.self().locals[sp];
            int before = e.self().invalidList.length;
            ShadowMmu.prepareZapPage(e, id);
            e.self().locals[batch] += Math.max(1, e.self().invalidList.length - before);
            dropInvalidRoot(e.s, id);
        }

        public String describe() {
            return "kvm_mmu_prepare_zap_page";
        }
    }

    static void dropInvalidRoot(VmState s, int id) {
        int[] r = s.invalidRoots;
        for (int i = 0; i < r.length; i++) {
            if (r[i] != id) continue;
            int[] n = new int[r.length - 1];
            System.arraycopy(r, 0, n, 0, i);
            System.arraycopy(r, i + 1, n, i, r.length - i - 1);
            s.invalidRoots = n;
            return;
        }
    }

    /** for_each_invalid_tdp_mmu_root(): the next invalidated TDP root into `root`; none -> `end`. */
    public record NextInvalidRoot(int root, int end) implements Op {
        public void exec(Exec e, int choice) {
            for (int id : e.s.invalidRoots) {
                ShadowPage p = e.s.sp(id);
                if (p != null && p.tdp && p.status == ShadowPage.LIVE) {
                    e.self().locals[root] = id;
                    return;
                }
            }
            e.nextPc = end;
        }

        public String describe() {
            return "for_each_invalid_tdp_mmu_root";
        }
    }

    /** tdp_iter_start in the given root, walking levels >= zapLevel (-1: the root's own level). */
    public record RootIterStart(int it, int root, int endSlot, int zapLevel) implements Op {
        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            l[endSlot] = 1L << 36;
            int r = (int) l[root];
            TdpIter.startIn(e.s, l, it, r, 0, l[endSlot], level(e.s, r, zapLevel));
        }

        public boolean silent(VmState s, int thread) {
            return true;
        }

        public String describe() {
            return "tdp_iter_start";
        }
    }

    /**
     * One iteration of __tdp_mmu_zap_root(kvm, root, shared = true, zap_level) (v6.x): a present
     * SPTE at exactly zap_level is cleared with tdp_mmu_set_spte_atomic() (tables are torn down by
     * handle_removed_pt); no flush: no vCPU can use an invalid root.
     */
    public record ZapRootStep(int it, int endSlot, int zapLevel) implements Op {
        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            Walk w = TdpIter.position(e.s, l, it);
            int lvl = level(e.s, (int) l[it + TdpIter.ROOT], zapLevel);
            if (w != null && Spte.present(w.spte()) && w.level() == lvl) {
                if (!e.s.holdsMmuLock(e.thread)) e.violate(Invariant.lockdep, "__tdp_mmu_zap_root without mmu_lock");
                TdpMmu.setSpte(e, w.spId(), w.index(), 0);
            }
            TdpIter.next(e.s, l, it, l[endSlot]);
        }

        public String describe() {
            return "__tdp_mmu_zap_root step";
        }
    }

    /** The zap level: the root's role.level for -1. */
    static int level(VmState s, int root, int zapLevel) {
        return zapLevel >= 0 ? zapLevel : s.sp(root).level;
    }

    /**
     * The zapped root is no longer scheduled (tdp_mmu_scheduled_root_to_zap = false), and
     * kvm_tdp_mmu_put_root() drops the scheduled zap's reference: a walker may still hold one.
     */
    public record PutRoot(int root) implements Op {
        public void exec(Exec e, int choice) {
            int id = (int) e.self().locals[root];
            dropInvalidRoot(e.s, id);
            TdpMmu.putRoot(e, id);
        }

        public String describe() {
            return "kvm_tdp_mmu_put_root";
        }
    }
}
