package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.InvariantsTest.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.PscEntry;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import org.junit.jupiter.api.Test;

/**
 * vCPU TLBs and paging-structure caches: what a hardware walk caches, what a remote flush drops,
 * and which cached translations the tables no longer grant (stale_tlb_at_unlock).
 */
class TlbsTest {
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, false, 2, InvariantsTest.SMALL);
    static final VmConfig BOTH = InvariantsTest.vm(Mmu.BOTH, false, 2, InvariantsTest.SMALL);

    /** vCPU 0 has read gpa 0x1000: a 4K rwx leaf and its TLB entry. */
    static VmState warm() {
        return Run.of(VM, b -> FaultPaths.guestAccess(b, VM, 0, Access.READ, Expr.constant(0x1000))).s;
    }

    static VmState empty(VmConfig c) {
        return Run.of(c, b -> { }).s;
    }

    @Test
    void aNestedTranslationAndTheSameGfnsOwnTranslationAreCachedApart() {
        VmState s = empty(BOTH);
        Tlbs.fill(s, 0, new TlbEntry(1, 1, 0x1000, true, true, false));
        Tlbs.fill(s, 0, new TlbEntry(1, 1, 0x2000, true, true, true));
        assertThat(Tlbs.lookup(s, 0, 1, false).pfn()).isEqualTo(0x1000);
        assertThat(Tlbs.lookup(s, 0, 1, true).pfn()).isEqualTo(0x2000);
        Tlbs.fill(s, 0, new TlbEntry(0, 2, 0x3000, true, true, false));
        assertThat(Tlbs.lookup(s, 0, 1, false).pfn()).as("a 2M entry replaces the 4K one it covers").isEqualTo(0x3000);
        assertThat(s.tlb[0]).hasSize(2);
        Tlbs.fill(s, 0, new TlbEntry(5, 1, 0x4005, true, true, false));
        assertThat(Tlbs.lookup(s, 0, 1, false)).as("a 4K entry replaces the 2M one covering it").isNull();
        assertThat(Tlbs.lookup(s, 1, 5)).as("vCPU 1 caches nothing").isNull();
    }

    @Test
    void theCachesAreSetsTheOrderOfFillsDoesNotMakeANewState() {
        VmState a = empty(BOTH);
        VmState b = empty(BOTH);
        TlbEntry[] entries = {new TlbEntry(7, 1, 0x1007, true, true, false), new TlbEntry(3, 1, 0x1003, true, true, true),
            new TlbEntry(3, 1, 0x2003, false, true, false), new TlbEntry(9, 1, 0x1009, true, false, false)};
        PscEntry[] pscs = {new PscEntry(512, 3, 512, false), new PscEntry(0, 2, 0, true), new PscEntry(0, 4, 0, false)};
        for (TlbEntry t : entries) Tlbs.fill(a, 0, t);
        for (int i = entries.length - 1; i >= 0; i--) Tlbs.fill(b, 0, entries[i]);
        for (PscEntry p : pscs) Tlbs.pscFill(a, 0, p);
        for (int i = pscs.length - 1; i >= 0; i--) Tlbs.pscFill(b, 0, pscs[i]);
        assertThat(a).isEqualTo(b);
        assertThat(a.encode()).isEqualTo(b.encode());
        assertThat(a.tlb[0]).hasSize(4);
        assertThat(a.psc[0]).hasSize(3);
    }

    @Test
    void aPagingStructureEntryIsPerRegionAndPerGuest() {
        VmState s = empty(BOTH);
        Tlbs.pscFill(s, 1, new PscEntry(0, 2, 0, false));
        Tlbs.pscFill(s, 1, new PscEntry(0, 5, 0, true));
        Tlbs.pscFill(s, 1, new PscEntry(0, 3, 0, false));
        assertThat(s.psc[1]).hasSize(2);
        assertThat(Tlbs.pscLookup(s, 1, 7, false).spId()).as("the refill replaced the region's entry").isEqualTo(3);
        assertThat(Tlbs.pscLookup(s, 1, 7, true).spId()).isEqualTo(5);
        Tlbs.pscDrop(s, 1, 7, false);
        assertThat(Tlbs.pscLookup(s, 1, 7, false)).isNull();
        assertThat(Tlbs.pscLookup(s, 1, 7, true)).as("an EPT violation of L1 leaves L2's entry").isNotNull();
        Tlbs.pscDrop(s, 1, 700, true);
        assertThat(s.psc[1]).hasSize(1);
    }

    @Test
    void aRemoteFlushEmptiesEveryVcpusCachesAndCountsOnce() {
        VmState s = warm();
        Tlbs.fill(s, 1, new TlbEntry(8, 1, 0x1008, true, true));
        Tlbs.fill(s, 1, new TlbEntry(9, 1, 0x1009, true, true));
        Tlbs.pscFill(s, 1, new PscEntry(0, 3, 0, false));
        long before = s.stat(Stat.remote_tlb_flush);
        StringBuilder trace = new StringBuilder();
        Tlbs.flushRemoteTlbs(new Exec(new MmuSystem(InvariantsTest.program(VM, b -> { })).program(), s, 0, trace));
        assertThat(trace).hasToString("kvm_flush_remote_tlbs (3 TLB entries dropped)");
        assertThat(s.tlb[0]).isEmpty();
        assertThat(s.tlb[1]).isEmpty();
        assertThat(s.psc[1]).isEmpty();
        assertThat(s.stat(Stat.remote_tlb_flush)).isEqualTo(before + 1);
        Tlbs.fill(s, 1, new TlbEntry(8, 1, 0x1008, true, true));
        StringBuilder one = new StringBuilder();
        Tlbs.flushRemoteTlbs(new Exec(new MmuSystem(InvariantsTest.program(VM, b -> { })).program(), s, 0, one));
        assertThat(one).hasToString("kvm_flush_remote_tlbs (1 TLB entry dropped)");
        StringBuilder none = new StringBuilder();
        Tlbs.flushRemoteTlbs(new Exec(new MmuSystem(InvariantsTest.program(VM, b -> { })).program(), s, 0, none));
        assertThat(none).hasToString("kvm_flush_remote_tlbs");
        assertThat(s.stat(Stat.remote_tlb_flush)).isEqualTo(before + 3);
    }

    static Exec exec(VmState s, StringBuilder trace) {
        return new Exec(new MmuSystem(InvariantsTest.program(VM, b -> { })).program(), s, 0, trace);
    }

    /**
     * A vCPU that leaves its root keeps its entries, parked under the root's page (the EPTP tags
     * them): out of the guest, no lookup, cached table or stale check sees them, and they are one
     * kind's (L1's here), parked once.
     */
    @Test
    void entriesOfARootTheVcpuLeftAreParkedUnderItsPage() {
        VmState s = warm();
        int root = s.root(0, false);
        Tlbs.pscFill(s, 0, new PscEntry(0, 3, 0, false));
        Tlbs.park(s, 0, false);
        assertThat(Tlbs.parked(s, 0, false)).isEqualTo(root);
        assertThat(Tlbs.parked(s, 0, true)).as("no L2 entries: nothing parked").isEqualTo(-1);
        assertThat(s.tlb[0]).hasSize(1);
        assertThat(Tlbs.lookup(s, 0, 1)).isNull();
        assertThat(Tlbs.pscLookup(s, 0, 1, false)).isNull();
        assertThat(Tlbs.staleEntry(withLeaf(s, 0))).as("a parked entry is not in use").isNull();
        s.vcpuRoots[0] = -1;
        Tlbs.park(s, 0, false);
        assertThat(Tlbs.parked(s, 0, false)).as("parked once, under the first page").isEqualTo(root);
        VmState none = empty(VM);
        none.vcpuRoots[1] = 0;
        Tlbs.park(none, 1, false);
        assertThat(Tlbs.parked(none, 1, false)).as("no entries: nothing to park").isEqualTo(-1);
        Tlbs.flushCurrent(s, 0);
        assertThat(Tlbs.parked(s, 0, false)).as("flush_tlb_current drops them").isEqualTo(-1);
        assertThat(s.tlb[0]).isEmpty();
    }

    /**
     * At the next guest access a parked entry meets the vCPU's root: on the same page (a new root on
     * the freed root's page) it is in use again, and stale there; under another page it is dropped.
     */
    @Test
    void aParkedEntryHitsAgainOnlyOnItsOwnPage() {
        VmState s = withLeaf(warm(), 0);
        int root = s.root(0, false);
        Tlbs.pscFill(s, 0, new PscEntry(0, 3, 0, false));
        Tlbs.fill(s, 0, new TlbEntry(1, 1, 0x2000, true, true, true));
        Tlbs.park(s, 0, false);
        VmState other = s.copy();
        StringBuilder trace = new StringBuilder();
        Exec e = exec(s, trace);
        Tlbs.enter(e, 0, false);
        assertThat(Tlbs.parked(s, 0, false)).isEqualTo(-1);
        assertThat(Tlbs.lookup(s, 0, 1).pfn()).isEqualTo(0x1000);
        assertThat(Invariants.violated(Invariant.stale_tlb_at_unlock, s)).isTrue();
        assertThat(trace.toString()).contains("vCPU 0 enters the guest on sp" + root + ", the root page its TLB entries were cached under,"
                + " unflushed since it left it (no flush_tlb_current()): vCPU 0 caches gfn 0x1 -> pfn 0x1000");

        other.vcpuRoots[0] = root + 1;
        Exec o = exec(other, new StringBuilder());
        Tlbs.enter(o, 0, false);
        assertThat(Tlbs.parked(other, 0, false)).isEqualTo(-1);
        assertThat(other.tlb[0]).as("L1's entry dropped, L2's kept").containsExactly(new TlbEntry(1, 1, 0x2000, true, true, true));
        assertThat(other.psc[0]).isEmpty();
        assertThat(Invariants.violated(Invariant.stale_tlb_at_unlock, other)).isFalse();

        VmState granted = warm();
        Tlbs.park(granted, 0, false);
        Tlbs.enter(exec(granted, new StringBuilder()), 0, false);
        assertThat(Tlbs.lookup(granted, 0, 1)).as("the same root again: still granted, no violation").isNotNull();
        assertThat(Invariants.violated(Invariant.stale_tlb_at_unlock, granted)).isFalse();
        VmState unparked = warm();
        Tlbs.enter(exec(unparked, new StringBuilder()), 0, false);
        assertThat(unparked.tlb[0]).as("nothing parked: nothing changes").hasSize(1);
    }

    /**
     * The L2 guest's entries park under guest_mmu's root apart from L1's, a cached table alone is
     * worth parking, and page 0 is a page like any other; at the L2 guest's entry on its page a
     * stale entry is named as the L2 guest's, and L1's entries elsewhere are left alone.
     */
    @Test
    void eachKindParksApartAndPageZeroIsAPage() {
        VmState s = empty(BOTH);
        s.vcpuRoots[0] = 0;
        s.vcpuNestedRoots[0] = 4;
        Tlbs.pscFill(s, 0, new PscEntry(0, 3, 0, false));
        Tlbs.park(s, 0, false);
        assertThat(Tlbs.parked(s, 0, false)).as("a cached table alone, under page 0").isEqualTo(0);
        s.vcpuRoots[0] = 5;
        Tlbs.park(s, 0, false);
        assertThat(Tlbs.parked(s, 0, false)).as("parked once").isEqualTo(0);
        Tlbs.fill(s, 0, new TlbEntry(1, 1, 0x2000, true, true, true));
        Tlbs.pscFill(s, 0, new PscEntry(0, 2, 0, true));
        Tlbs.park(s, 0, true);
        assertThat(Tlbs.parked(s, 0, true)).isEqualTo(4);
        assertThat(Tlbs.parked(s, 0, false)).isEqualTo(0);
        StringBuilder trace = new StringBuilder();
        Tlbs.enter(exec(s, trace), 0, true);
        assertThat(Tlbs.parked(s, 0, true)).isEqualTo(-1);
        assertThat(Invariants.violated(Invariant.stale_tlb_at_unlock, s)).as("guest_mmu's root maps nothing").isTrue();
        assertThat(trace.toString()).contains("vCPU 0 (L2) enters the guest on sp4");
        assertThat(s.psc[0]).as("L1's cached table is still parked, not dropped").hasSize(2);
        Tlbs.enter(exec(s, new StringBuilder()), 0, false);
        assertThat(s.psc[0]).as("L1's dropped (another page), L2's kept").containsExactly(new PscEntry(0, 2, 0, true));
    }

    /** The leaf SPTE of gfn 1 in a warm state, rewritten. */
    static VmState withLeaf(VmState warm, long spte) {
        VmState s = warm.copy();
        Walk w = Walk.of(s, 1);
        s.setSpte(w.spId(), w.index(), spte);
        return s;
    }

    @Test
    void aCachedTranslationIsStaleOnceTheTablesNoLongerGrantItsRights() {
        VmState s = warm();
        long leaf = Walk.of(s, 1).spte();
        assertThat(Spte.writable(leaf) && Spte.exec(leaf)).isTrue();
        assertThat(Tlbs.lookup(s, 0, 1).writable()).isTrue();
        assertThat(Tlbs.staleEntry(s)).isNull();
        assertThat(Tlbs.staleEntry(withLeaf(s, 0))).isEqualTo("vCPU 0 caches gfn 0x1 -> pfn 0x1000");
        assertThat(Tlbs.staleEntry(withLeaf(s, leaf & ~(Spte.WRITABLE | Spte.MMU_WRITABLE)))).as("write-protected").isNotNull();
        assertThat(Tlbs.staleEntry(withLeaf(s, leaf & ~Spte.WRITABLE)))
                .as("write-protected for dirty logging (MMU-writable kept): flushed after the unlock").isNull();
        VmState exec = s.copy();
        Tlbs.fill(exec, 0, new TlbEntry(1, 1, 0x1000, true, true));
        assertThat(Tlbs.staleEntry(exec)).isNull();
        assertThat(Tlbs.staleEntry(withLeaf(exec, leaf & ~Spte.EXEC))).as("exec taken away").isNotNull();
        assertThat(Tlbs.staleEntry(withLeaf(s, Spte.leaf(0x2000, true, true)))).as("another page").isNotNull();
        assertThat(Tlbs.staleEntry(withLeaf(s, Spte.FROZEN))).as("frozen: the zapper flushes before it un-freezes").isNull();
        VmState readOnly = withLeaf(s, leaf & ~(Spte.WRITABLE | Spte.MMU_WRITABLE));
        Tlbs.fill(readOnly, 0, new TlbEntry(1, 1, 0x1000, false, false));
        assertThat(Tlbs.staleEntry(readOnly)).as("a read-only, no-exec entry over a read-only leaf").isNull();
    }

    @Test
    void aHugeEntryIsGrantedBySmallLeavesMappingTheSamePages() {
        VmState s = warm();
        int table = Walk.of(s, 1).spId();
        long base = Walk.of(s, 1).pfnOf(0) - 1;
        for (int i = 0; i < Level.ENTRIES; i++) s.setSpte(table, i, Spte.leaf(base + i, true, true));
        Tlbs.fill(s, 0, new TlbEntry(0, Level.PG_LEVEL_2M, base, true, true));
        assertThat(Tlbs.staleEntry(s)).isNull();
        s.setSpte(table, 511, Spte.leaf(base + 600, true, true));
        assertThat(Tlbs.staleEntry(s)).as("the last 4K page moved").isEqualTo("vCPU 0 caches gfn 0x0 -> pfn 0x" + Long.toHexString(base));
    }

    @Test
    void nestedEntriesAreCheckedAgainstTheNestedRoot() {
        VmState s = Run.of(BOTH, b -> FaultPaths.guestAccess(b, BOTH, 1, Access.READ, Expr.constant(0x1000), true)).s;
        assertThat(Tlbs.lookup(s, 1, 1, true)).isNotNull();
        assertThat(Tlbs.staleEntry(s)).isNull();
        Walk w = Walk.of(s, 1, true);
        s.setSpte(w.spId(), w.index(), 0);
        assertThat(Tlbs.staleEntry(s)).startsWith("vCPU 1 caches nested gfn 0x1");
    }

    /** set_spte write-protects gpa 0x1000's leaf under mmu_lock, with or without a flush before the unlock. */
    static Run writeProtect(boolean flush) {
        return Run.of(VM, s -> FaultPaths.guestAccess(s, VM, 0, Access.WRITE, Expr.constant(0x1000)), b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(call("set_spte", 1, 1, 1, 0, 1));
            if (flush) b.emit(call("flush_remote_tlbs"));
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
    }

    @Test
    void aWriteProtectWithoutAFlushLeavesAWritableTlbEntryAndStaleTlbAtUnlockFires() {
        Run r = writeProtect(false);
        assertThat(r.spte(0x1000, "writable")).isZero();
        assertThat(Tlbs.lookup(r.s, 0, 1).writable()).isTrue();
        assertThat(r.violated(Invariant.stale_tlb_at_unlock)).isTrue();
        assertThat(r.trace()).contains("!! stale_tlb_at_unlock: vCPU 0 caches gfn 0x1 -> pfn 0x1000");
        Run flushed = writeProtect(true);
        assertThat(flushed.violated(Invariant.stale_tlb_at_unlock)).isFalse();
        assertThat(Tlbs.lookup(flushed.s, 0, 1)).isNull();
    }

    /** KVM on Hyper-V: kvm_x86_ops.flush_remote_tlbs_range set. */
    static final VmConfig HYPERV = new VmConfig(BOTH.mmu(), BOTH.nxHugePages(), BOTH.nxRecoveryRatio(), BOTH.eagerPageSplit(),
            BOTH.tdpLevels(), BOTH.memslots(), BOTH.vcpus(), BOTH.preempt(), BOTH.pml(), BOTH.nxListPerMmu(), BOTH.accessedBitVolatile(),
            BOTH.setsPfnDirtyOnZap(), true);

    /** Entries at gfn 0x1 (4K, L1), 0x200 (2M, nested) on vCPU 0 and 0x3 (4K, nested) on vCPU 1, a table of region 0. */
    static VmState cached(VmConfig c) {
        VmState s = empty(c);
        Tlbs.fill(s, 0, new TlbEntry(1, 1, 0x1001, true, true, false));
        Tlbs.fill(s, 0, new TlbEntry(0x200, 2, 0x1200, true, true, true));
        Tlbs.fill(s, 1, new TlbEntry(3, 1, 0x1003, true, true, true));
        Tlbs.pscFill(s, 1, new PscEntry(0, 2, 0, true));
        Tlbs.pscFill(s, 1, new PscEntry(0x400, 3, 0x400, true));
        return s;
    }

    /** kvm_flush_remote_tlbs_range(); returns the trace's text. */
    static String flushRange(VmState s, long gfn, long pages) {
        StringBuilder trace = new StringBuilder();
        Tlbs.flushRemoteTlbsRange(new Exec(new MmuSystem(InvariantsTest.program(s.config, b -> { })).program(), s, 0, trace),
                gfn, pages);
        return trace.toString();
    }

    /**
     * hv_flush_remote_tlbs_range(): every vCPU drops the entries that overlap the range, a huge one
     * whole (gfn 0x3ff is in the 2M entry at 0x200), L1's and the nested guest's alike, and the
     * cached tables of the regions it meets; kvm_flush_remote_tlbs_range() counts no remote flush.
     */
    @Test
    void onHyperVTheRangedFlushDropsTheEntriesThatOverlapItsGfnsOnly() {
        VmState s = cached(HYPERV);
        assertThat(flushRange(s, 0x3, 0x3fd)).contains("hv_flush_remote_tlbs_range gfn 0x3..0x400 (2 TLB entries dropped)");
        assertThat(Tlbs.lookup(s, 0, 1, false)).as("below the range").isNotNull();
        assertThat(Tlbs.lookup(s, 0, 0x200, true)).as("the 2M entry the range's last gfn 0x3ff meets").isNull();
        assertThat(Tlbs.lookup(s, 1, 3, true)).as("the range's first gfn, on vCPU 1").isNull();
        assertThat(s.psc[1]).as("region 0's table, not region 0x400's").extracting(PscEntry::regionGfn).containsExactly(0x400L);
        assertThat(s.stat(Stat.remote_tlb_flush)).isZero();
        assertThat(flushRange(s, 0x2, 0)).doesNotContain("dropped");
        assertThat(Tlbs.lookup(s, 0, 1, false)).as("no pages: nothing").isNotNull();
        flushRange(s, 0x0, 1);
        assertThat(Tlbs.lookup(s, 0, 1, false)).as("gfn 0 alone").isNotNull();
        assertThat(flushRange(s, 0x1, 1)).contains("(1 TLB entry dropped)");
        assertThat(s.tlb[0]).isEmpty();
    }

    /** On bare metal kvm_flush_remote_tlbs_range() falls back to kvm_flush_remote_tlbs(). */
    @Test
    void onBareMetalTheRangedFlushIsAFullOne() {
        VmState s = cached(BOTH);
        flushRange(s, 0x1000, 1);
        assertThat(s.tlb[0]).isEmpty();
        assertThat(s.tlb[1]).isEmpty();
        assertThat(s.psc[1]).isEmpty();
        assertThat(s.stat(Stat.remote_tlb_flush)).isEqualTo(1);
    }
}
