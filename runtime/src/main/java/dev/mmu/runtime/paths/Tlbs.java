package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.PscEntry;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.VmState;
import java.util.ArrayList;
import java.util.List;

/**
 * vCPU TLBs: filled by a hardware walk, used on a hit, emptied by a remote flush. IPIs are
 * synchronous in the model: kvm_flush_remote_tlbs returns once every vCPU has flushed.
 */
public final class Tlbs {
    private Tlbs() {}

    public static TlbEntry lookup(VmState s, int vcpu, long gfn) {
        return lookup(s, vcpu, gfn, false);
    }

    /** The vCPU's entry for gfn under its current root, or null (none, or its entries are parked). */
    public static TlbEntry lookup(VmState s, int vcpu, long gfn, boolean nested) {
        if (parked(s, vcpu, nested) >= 0) return null;
        for (TlbEntry t : s.tlb[vcpu]) {
            if (t.nested() == nested && t.covers(gfn)) return t;
        }
        return null;
    }

    static void fill(VmState s, int vcpu, TlbEntry entry) {
        List<TlbEntry> l = new ArrayList<>(List.of(s.tlb[vcpu]));
        l.removeIf(t -> t.nested() == entry.nested() && (t.covers(entry.gfn()) || entry.covers(t.gfn())));
        l.add(entry);
        l.sort((a, b) -> a.gfn() != b.gfn() ? Long.compare(a.gfn(), b.gfn()) : Boolean.compare(a.nested(), b.nested()));
        s.tlb[vcpu] = l.toArray(new TlbEntry[0]);
    }

    /** The vCPU's cached last-level table for gfn's 2M region, or null. */
    static PscEntry pscLookup(VmState s, int vcpu, long gfn, boolean nested) {
        if (parked(s, vcpu, nested) >= 0) return null;
        long region = Level.alignDown(gfn, Level.PG_LEVEL_2M);
        for (PscEntry p : s.psc[vcpu]) {
            if (p.regionGfn() == region && p.nested() == nested) return p;
        }
        return null;
    }

    /** An EPT violation invalidates the paging-structure entries that led to it (SDM 28.3.3.1). */
    static void pscDrop(VmState s, int vcpu, long gfn, boolean nested) {
        PscEntry p = pscLookup(s, vcpu, gfn, nested);
        if (p == null) return;
        List<PscEntry> l = new ArrayList<>(List.of(s.psc[vcpu]));
        l.remove(p);
        s.psc[vcpu] = l.toArray(new PscEntry[0]);
    }

    static void pscFill(VmState s, int vcpu, PscEntry entry) {
        List<PscEntry> l = new ArrayList<>(List.of(s.psc[vcpu]));
        l.removeIf(p -> p.regionGfn() == entry.regionGfn() && p.nested() == entry.nested());
        l.add(entry);
        l.sort((a, b) -> a.regionGfn() != b.regionGfn() ? Long.compare(a.regionGfn(), b.regionGfn())
                : Boolean.compare(a.nested(), b.nested()));
        s.psc[vcpu] = l.toArray(new PscEntry[0]);
    }

    /** What {@link #flushRemoteTlbs} and {@link #flushRemoteTlbsRange} touch. */
    static final Footprint FLUSH = Footprint.updates(Resource.TLB, Resource.STAT_REMOTE_TLB_FLUSH);

    /** What {@link #staleEntry} reads, and the violation it records. */
    static final Footprint STALE_CHECK = Footprint.reads(Resource.TLB, Resource.SPTE, Resource.SPTE_ACCESS)
            .andUpdates(Resource.VIOLATIONS);

    /** kvm_flush_remote_tlbs(): every vCPU's TLB is emptied; ++kvm->stat.remote_tlb_flush. */
    public static void flushRemoteTlbs(Exec e) {
        VmState s = e.s;
        int dropped = 0;
        for (int v = 0; v < s.tlb.length; v++) {
            dropped += s.tlb[v].length;
            flushCurrent(s, v);
        }
        s.addStat(Stat.remote_tlb_flush, 1);
        if (e.tracing()) e.note("kvm_flush_remote_tlbs" + (dropped > 0 ? " (" + dropped + " TLB entr" + (dropped == 1 ? "y" : "ies")
                + " dropped)" : ""));
    }

    /**
     * kvm_flush_remote_tlbs_range(kvm, gfn, nr_pages) (kvm_main.c, v6.12 and v7.2): with
     * kvm_x86_ops.flush_remote_tlbs_range (KVM on Hyper-V: hv_flush_remote_tlbs_range() passes the
     * gfn list to hyperv_flush_guest_mapping_range() for each root the vCPUs use), every vCPU drops
     * the TLB entries and cached tables that overlap [gfn, gfn + nr_pages), of L1 and of the nested
     * guest alike (the model's L2 gfns are L1's), and nothing is counted in remote_tlb_flush; without
     * it the kernel falls back to kvm_flush_remote_tlbs().
     */
    public static void flushRemoteTlbsRange(Exec e, long gfn, long nrPages) {
        VmState s = e.s;
        if (!s.config.flushRemoteTlbsRange()) {
            flushRemoteTlbs(e);
            return;
        }
        long end = gfn + Math.max(nrPages, 0);
        int dropped = 0;
        for (int v = 0; v < s.tlb.length; v++) {
            List<TlbEntry> keep = new ArrayList<>();
            for (TlbEntry t : s.tlb[v]) {
                if (overlaps(t.gfn(), Level.pagesPerHpage(t.level()), gfn, end)) dropped++;
                else keep.add(t);
            }
            s.tlb[v] = keep.toArray(new TlbEntry[0]);
            List<PscEntry> psc = new ArrayList<>();
            for (PscEntry p : s.psc[v]) {
                if (!overlaps(p.regionGfn(), Level.pagesPerHpage(Level.PG_LEVEL_2M), gfn, end)) psc.add(p);
            }
            s.psc[v] = psc.toArray(new PscEntry[0]);
        }
        if (e.tracing()) e.note("hv_flush_remote_tlbs_range gfn 0x" + Long.toHexString(gfn) + "..0x" + Long.toHexString(end)
                + (dropped > 0 ? " (" + dropped + " TLB entr" + (dropped == 1 ? "y" : "ies") + " dropped)" : ""));
    }

    /** Whether [from, from + pages) meets [start, end). */
    private static boolean overlaps(long from, long pages, long start, long end) {
        return from < end && from + pages > start;
    }

    /**
     * flush_tlb_current(): one vCPU's TLB and paging-structure caches are emptied, L1's and the L2
     * guest's, parked or not (vmx_flush_tlb_current() flushes only the current root's EPTP: the
     * model flushes more, which can hide a bug but never makes one).
     */
    static void flushCurrent(VmState s, int vcpu) {
        s.tlb[vcpu] = new TlbEntry[0];
        s.psc[vcpu] = new PscEntry[0];
        s.parkedTlbRoots[vcpu] = -1;
        s.parkedNestedTlbRoots[vcpu] = -1;
    }

    /**
     * The root page the vCPU's entries of one kind (L1's, or the L2 guest's) are parked under, or
     * -1: they are under its current root, in use from the next guest access on.
     */
    public static int parked(VmState s, int vcpu, boolean nested) {
        return nested ? s.parkedNestedTlbRoots[vcpu] : s.parkedTlbRoots[vcpu];
    }

    private static void setParked(VmState s, int vcpu, boolean nested, int root) {
        if (nested) s.parkedNestedTlbRoots[vcpu] = root;
        else s.parkedTlbRoots[vcpu] = root;
    }

    /**
     * The vCPU leaves its root of one kind (mmu_free_root_page(), or kicked off an obsolete root by
     * KVM_REQ_MMU_FREE_OBSOLETE_ROOTS): nothing flushes its entries (kvm_tdp_mmu_put_root() and the
     * zap of an invalidated root skip the flush, tdp_mmu.c:1034 v7.2), which stay in the hardware
     * tagged with the root's hpa (the EPTP) and unused until the vCPU runs on that page again.
     */
    static void park(VmState s, int vcpu, boolean nested) {
        int root = s.root(vcpu, nested);
        if (root < 0 || parked(s, vcpu, nested) >= 0 || !holdsEntries(s, vcpu, nested)) return;
        setParked(s, vcpu, nested, root);
    }

    private static boolean holdsEntries(VmState s, int vcpu, boolean nested) {
        for (TlbEntry t : s.tlb[vcpu]) if (t.nested() == nested) return true;
        for (PscEntry p : s.psc[vcpu]) if (p.nested() == nested) return true;
        return false;
    }

    /**
     * At a guest access (VM entry), parked entries meet the root the vCPU runs on: on the page they
     * were cached under (the allocator handed the freed root's page out again, the vCPU reloaded the
     * root it put, or kept the obsolete one), they hit again, unflushed; stale ones are reported. Under
     * another page they are dropped: the model keeps one tag per kind, and the kernel's copy tagged
     * with the old page matters only if that page is a root of this vCPU again.
     */
    static void enter(Exec e, int vcpu, boolean nested) {
        VmState s = e.s;
        int page = parked(s, vcpu, nested);
        if (page < 0) return;
        setParked(s, vcpu, nested, -1);
        int root = s.root(vcpu, nested);
        if (root == page) {
            String stale = staleEntry(s, vcpu, nested);
            if (stale != null) {
                e.violate(Invariant.stale_tlb_at_unlock, "vCPU " + vcpu + (nested ? " (L2)" : "") + " enters the guest on sp" + root
                        + ", the root page its TLB entries were cached under, unflushed since it left it (no flush_tlb_current()): "
                        + stale);
            }
            return;
        }
        List<TlbEntry> tlb = new ArrayList<>(List.of(s.tlb[vcpu]));
        tlb.removeIf(t -> t.nested() == nested);
        s.tlb[vcpu] = tlb.toArray(new TlbEntry[0]);
        List<PscEntry> psc = new ArrayList<>(List.of(s.psc[vcpu]));
        psc.removeIf(p -> p.nested() == nested);
        s.psc[vcpu] = psc.toArray(new PscEntry[0]);
    }

    private static boolean underFrozen(VmState s, int vcpu, TlbEntry t) {
        Walk w = Walk.of(s, vcpu, t.gfn(), t.nested());
        return w != null && (w.spte() & Spte.FROZEN) != 0;
    }

    /**
     * Whether the tables still grant everything this TLB entry grants (same pfns, at least its
     * rights). A writable entry over a present SPTE with the same pfn that was only write-protected
     * for dirty logging (PT_WRITABLE_MASK cleared, MMU-writable kept) counts as granted: dirty
     * logging write-protects under mmu_lock and flushes after the unlock
     * (kvm_mmu_slot_remove_write_access, kvm_clear_dirty_log_protect; locking.rst, MMU-writable
     * bit), which loses nothing but dirty tracking until the ioctl's flush. Any other loss of the
     * write permission needs the flush before the unlock (mmu_spte_update(), v6.x).
     */
    static boolean stillGranted(VmState s, int vcpu, TlbEntry t) {
        long end = t.gfn() + Level.pagesPerHpage(t.level());
        long g = t.gfn();
        while (g < end) {
            Walk w = Walk.of(s, vcpu, g, t.nested());
            if (w == null || !w.presentLeaf() || w.pfnOf(g) != t.pfnOf(g)
                    || (t.exec() && !Spte.exec(w.spte()))
                    || (t.writable() && !Spte.writable(w.spte()) && (w.spte() & Spte.MMU_WRITABLE) == 0)) {
                return false;
            }
            g = Level.alignDown(g, w.level()) + Level.pagesPerHpage(w.level());
        }
        return true;
    }

    /**
     * A TLB entry some vCPU holds that the tables no longer grant, or null. An entry under a frozen
     * SPTE is not counted: tdp_mmu_zap_spte_atomic() (v6.x) flushes before it un-freezes, and
     * other readers may drop mmu_lock meanwhile (kernel-notes §11 H).
     */
    static String staleEntry(VmState s) {
        for (int v = 0; v < s.tlb.length; v++) {
            String stale = staleEntry(s, v, false);
            if (stale == null) stale = staleEntry(s, v, true);
            if (stale != null) return stale;
        }
        return null;
    }

    /**
     * Of one vCPU's entries of one kind, in use (not parked: a vCPU off its root is out of the guest
     * until {@link #enter}), one the tables no longer grant, or null.
     */
    static String staleEntry(VmState s, int v, boolean nested) {
        if (parked(s, v, nested) >= 0) return null;
        for (TlbEntry t : s.tlb[v]) {
            if (t.nested() == nested && !stillGranted(s, v, t) && !underFrozen(s, v, t)) {
                return "vCPU " + v + " caches " + (t.nested() ? "nested " : "") + "gfn 0x"
                        + Long.toHexString(t.gfn()) + " -> pfn 0x"
                        + Long.toHexString(t.pfn());
            }
        }
        return null;
    }
}
