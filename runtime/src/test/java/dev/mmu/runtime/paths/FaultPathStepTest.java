package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.Stepper.HPAGE_GFN;
import static dev.mmu.runtime.paths.Stepper.HPAGE_GPA;
import static dev.mmu.runtime.paths.Stepper.SZ_2M;
import static dev.mmu.runtime.paths.Stepper.isLeaf;
import static dev.mmu.runtime.paths.Stepper.isTable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The vCPU fault path (kvm_tdp_page_fault -> kvm_faultin_pfn, read_lock(mmu_lock),
 * kvm_tdp_mmu_map, read_unlock; then the guest retries the access), one step at a time.
 * Expected values follow kernel-notes §3 and §7, not the model's own output.
 */
class FaultPathStepTest {
    static final VmConfig VM = Stepper.vm(Mmu.TDP, 1);

    static Stepper vcpu0(PathBuilder setup, Access kind, long gpa) {
        PathBuilder b = new PathBuilder();
        FaultPaths.guestAccess(b, VM, 0, kind, Expr.constant(gpa));
        return new Stepper(Stepper.program(VM, setup, ThreadProgram.of("vcpu 0", 0, b)));
    }

    /** Steps up to and including read_lock(mmu_lock); checks the EPT violation and kvm_faultin_pfn. */
    static void faultUpToLock(Stepper st, String access, long gpa) {
        long gfn = gpa >>> 12;
        st.step(0, "vcpu 0 " + access);
        assertThat(st.s.threads[0].pc).as("EPT violation falls into the fault path").isNotZero();
        assertThat(st.trace.get(st.trace.size() - 1)).contains("EPT violation");

        st.step(0, "kvm_faultin_pfn");
        long pfn = st.s.threads[0].locals[1];
        assertThat(st.s.threads[0].locals[0]).as("mmu_seq snapshot").isEqualTo(st.s.mmuInvalidateSeq);
        // A 2M hugetlb backing page: the pfn's offset in it is the gfn's offset in its 2M region.
        assertThat(pfn).isNotZero();
        assertThat(pfn % 512).isEqualTo(gfn % 512);
        assertThat(st.s.mmuReaders).as("kvm_faultin_pfn runs without mmu_lock").isZero();

        st.step(0, "read_lock(mmu_lock)");
        assertThat(st.s.mmuReaders).as("TDP fault takes mmu_lock for read").isEqualTo(1L);
        assertThat(st.s.mmuWriter).isEqualTo(-1);
    }

    @Test
    void execFaultOnUnmappedHugeRegionLinksTablesAccountsNxAndInstalls4kExecLeaf() {
        Stepper st = vcpu0(new PathBuilder(), Access.EXEC, HPAGE_GPA);
        assertThat(st.liveTables()).as("only the root before the first fault").isEqualTo(1);
        faultUpToLock(st, "exec", HPAGE_GPA);
        long pfn = st.s.threads[0].locals[1];
        assertThat(st.s.stats).as("nothing mapped before the map step").containsOnly(0L);

        st.map(0);
        // Root(L4) -> L3 -> L2 -> L1 tables linked; the 4K leaf is executable (NX only strips exec from huge).
        assertThat(isTable(st.spteAt(HPAGE_GFN, 4))).isTrue();
        assertThat(isTable(st.spteAt(HPAGE_GFN, 3))).isTrue();
        assertThat(isTable(st.spteAt(HPAGE_GFN, 2))).as("no 2M leaf: exec under NX is mapped at 4K").isTrue();
        long leaf = st.spteAt(HPAGE_GFN, 1);
        assertThat(isLeaf(leaf)).isTrue();
        assertThat(Spte.exec(leaf)).isTrue();
        assertThat(Spte.pfn(leaf)).isEqualTo(pfn);
        assertThat(Queries.spte(st.s, HPAGE_GPA, "level")).isEqualTo(1);
        assertThat(Queries.spte(st.s, HPAGE_GPA + 0x1000, "present")).as("only the faulting 4K page").isZero();
        assertThat(st.liveTables()).isEqualTo(4);
        // account_nx_huge_page only for the table replacing the would-be 2M leaf (req_level >= iter.level).
        ShadowPage l1 = st.tableAt(HPAGE_GFN, 1);
        assertThat(l1.nxHugePageDisallowed).isTrue();
        assertThat(st.s.lpageDisallowed).containsExactly(l1.id);
        assertThat(st.s.stat(Stat.nx_lpage_splits)).isEqualTo(1);
        assertThat(st.s.stat(Stat.pages_4k)).isEqualTo(1);
        assertThat(st.s.stat(Stat.pages_2m)).isZero();
        assertThat(st.s.stat(Stat.remote_tlb_flush)).as("linking into empty SPTEs needs no flush").isZero();
        assertThat(st.s.mmuReaders).as("still under read_lock").isEqualTo(1L);
        assertThat(Tlbs.lookup(st.s, 0, HPAGE_GFN)).as("the TLB fills only on the retried access").isNull();

        st.step(0, "unlock mmu_lock, srcu");
        assertThat(st.s.mmuReaders).isZero();
        assertThat(st.next(0)).as("back to the guest, which retries the access").isEqualTo("vcpu 0 exec");

        st.step(0, "vcpu 0 exec");
        TlbEntry t = Tlbs.lookup(st.s, 0, HPAGE_GFN);
        assertThat(t).isEqualTo(new TlbEntry(HPAGE_GFN, 1, pfn, true, true));
        assertThat(st.done(0)).isTrue();
        assertThat(st.s.violations).isZero();
    }

    @Test
    void readFaultOnFreshHugeRegionInstallsNonExec2mLeaf() {
        Stepper st = vcpu0(new PathBuilder(), Access.READ, HPAGE_GPA + SZ_2M);
        faultUpToLock(st, "read", HPAGE_GPA + SZ_2M);
        long pfn = st.s.threads[0].locals[1];

        st.map(0);
        long leaf = st.spteAt(HPAGE_GFN + 512, 2);
        assertThat(isLeaf(leaf)).as("2M leaf at L2").isTrue();
        assertThat(Spte.exec(leaf)).as("NX: huge SPTEs are never executable").isFalse();
        assertThat(Spte.writable(leaf)).isTrue();
        assertThat(Spte.pfn(leaf)).isEqualTo(pfn);
        assertThat(Queries.spte(st.s, HPAGE_GPA + SZ_2M + 0x1ff000, "level")).as("covers the whole 2M").isEqualTo(2);
        assertThat(st.liveTables()).as("root, L3, L2; no L1").isEqualTo(3);
        assertThat(st.s.stat(Stat.pages_2m)).isEqualTo(1);
        assertThat(st.s.stat(Stat.pages_4k)).isZero();
        assertThat(st.s.stat(Stat.nx_lpage_splits)).isZero();
        assertThat(st.s.lpageDisallowed).isEmpty();

        st.step(0, "unlock mmu_lock, srcu");
        st.step(0, "vcpu 0 read");
        assertThat(Tlbs.lookup(st.s, 0, HPAGE_GFN + 512)).isEqualTo(new TlbEntry(HPAGE_GFN + 512, 2, pfn, true, false));
        assertThat(st.done(0)).isTrue();
        assertThat(st.s.violations).isZero();
    }

    /** Steps thread t until its next op is `op`. */
    static void runTo(Stepper st, int t, String op) {
        for (int i = 0; i < 20 && !st.next(t).equals(op); i++) st.step(t, st.next(t));
        assertThat(st.next(t)).isEqualTo(op);
    }

    @Test
    void twoVcpusRacingToLinkTheSameTableOneCmpxchgFailsAndThatFaultRetries() {
        VmConfig vm2 = Stepper.vm(Mmu.TDP, 2);
        PathBuilder b0 = new PathBuilder();
        FaultPaths.guestAccess(b0, vm2, 0, Access.READ, Expr.constant(HPAGE_GPA));
        PathBuilder b1 = new PathBuilder();
        FaultPaths.guestAccess(b1, vm2, 1, Access.READ, Expr.constant(HPAGE_GPA + 0x1000));
        Stepper st = new Stepper(Stepper.program(vm2, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, b0),
                ThreadProgram.of("vcpu 1", 1, b1)));
        // vCPU 0's walk reads the root's empty SPTE; vCPU 1 then links L3, L2 and its 2M leaf.
        runTo(st, 0, "tdp_mmu_link_sp");
        runTo(st, 1, "unlock mmu_lock, srcu");
        ShadowPage l3 = st.tableAt(HPAGE_GFN, 3);
        assertThat(st.liveTables()).isEqualTo(3);
        // vCPU 0's cmpxchg expects the empty SPTE it read: it fails, frees nothing shared, RET_PF_RETRY.
        st.step(0, "tdp_mmu_link_sp");
        assertThat(String.join("\n", st.trace)).contains("cmpxchg failed");
        assertThat(st.liveTables()).as("no second L3 table").isEqualTo(3);
        assertThat(st.tableAt(HPAGE_GFN, 3).id).isEqualTo(l3.id);
        assertThat(st.s.threads[0].unusedSp).as("the unused sp, vCPU 0's to free").isEqualTo(1);
        st.step(0, "tdp_mmu_free_unused_sp()");
        assertThat(st.s.threads[0].unusedSp).isZero();
        runTo(st, 0, "unlock mmu_lock, srcu");
        st.step(0, "unlock mmu_lock, srcu");
        assertThat(st.next(0)).as("the guest re-executes the access").isEqualTo("vcpu 0 read");
        st.step(0, "vcpu 0 read");
        assertThat(Tlbs.lookup(st.s, 0, HPAGE_GFN).level()).as("vCPU 1's 2M leaf serves vCPU 0").isEqualTo(2);
        assertThat(st.done(0)).isTrue();
        assertThat(st.s.stat(Stat.pages_2m)).isEqualTo(1);
        assertThat(st.s.violations).isZero();
    }

    /** vCPU 0 to its failed link, vCPU 1 having linked L3, L2 and its 2M leaf first. */
    private static Stepper failedLink() {
        VmConfig vm2 = Stepper.vm(Mmu.TDP, 2);
        PathBuilder b0 = new PathBuilder();
        FaultPaths.guestAccess(b0, vm2, 0, Access.READ, Expr.constant(HPAGE_GPA));
        PathBuilder b1 = new PathBuilder();
        FaultPaths.guestAccess(b1, vm2, 1, Access.READ, Expr.constant(HPAGE_GPA + 0x1000));
        Stepper st = new Stepper(Stepper.program(vm2, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, b0),
                ThreadProgram.of("vcpu 1", 1, b1)));
        runTo(st, 0, "tdp_mmu_link_sp");
        runTo(st, 1, "unlock mmu_lock, srcu");
        st.step(0, "tdp_mmu_link_sp");
        assertThat(st.next(0)).isEqualTo("tdp_mmu_free_unused_sp()");
        return st;
    }

    /** A copy without tdp_mmu_free_unused_sp(sp): vCPU 0's retry maps through vCPU 1's leaf and ends holding sp. */
    @Test
    void aThreadThatEndsHoldingAFailedLinksSpLeaksIt() {
        Stepper st = failedLink();
        st.s.threadForWrite(0).pc++; // the free dropped
        for (int i = 0; i < 30 && !st.done(0); i++) st.step(0, st.next(0));
        assertThat(st.done(0)).isTrue();
        assertThat(st.s.violations).isEqualTo(1 << Invariant.page_table_leak.ordinal());
        assertThat(String.join("\n", st.trace)).contains("thread ends holding the sp of a failed tdp_mmu_link_sp");
    }

    /** The next tdp_mmu_alloc_sp() over a failed link's sp: the only pointer to it is lost. */
    @Test
    void aLinkWhileHoldingAFailedLinksSpLeaksIt() {
        Stepper st = failedLink();
        st.s.threadForWrite(0).pc--; // the link again, the free not run
        st.step(0, "tdp_mmu_link_sp");
        assertThat(st.s.violations).isEqualTo(1 << Invariant.page_table_leak.ordinal());
        assertThat(st.s.threads[0].unusedSp).isEqualTo(1);
    }

    /** tdp_mmu_free_unused_sp() with no failed link's sp would free the table the link installed. */
    @Test
    void aFreeWithNoUnusedSpFreesALinkedTable() {
        Stepper st = failedLink();
        int free = st.s.threads[0].pc;
        st.step(0, "tdp_mmu_free_unused_sp()");
        assertThat(st.s.violations).isZero();
        st.s.threadForWrite(0).pc = free; // the free again
        st.step(0, "tdp_mmu_free_unused_sp()");
        assertThat(st.s.violations).isEqualTo(1 << Invariant.freed_page_table_walk.ordinal());
        assertThat(st.s.threads[0].unusedSp).isZero();
    }

    @Test
    void execFaultOn2mMappedRegionSplitsItInPlace() {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.READ, Expr.constant(HPAGE_GPA));
        Stepper st = vcpu0(setup, Access.EXEC, HPAGE_GPA + 0x3000);
        long huge = st.spteAt(HPAGE_GFN, 2);
        assertThat(isLeaf(huge)).isTrue();
        assertThat(st.s.stat(Stat.pages_2m)).isEqualTo(1);
        assertThat(Tlbs.lookup(st.s, 0, HPAGE_GFN).level()).isEqualTo(2);

        st.step(0, "vcpu 0 exec");
        assertThat(st.trace.get(0)).as("the non-exec 2M TLB entry does not grant exec").contains("EPT violation");
        st.step(0, "kvm_faultin_pfn");
        assertThat(st.s.threads[0].locals[1]).as("same host page as the 2M leaf").isEqualTo(Spte.pfn(huge) + 3);
        st.step(0, "read_lock(mmu_lock)");

        st.map(0);
        // tdp_mmu_split_huge_page: the 2M leaf becomes a table of 512 4K leaves with the same pfns,
        // executable again at 4K (make_huge_page_split_spte under NX).
        ShadowPage l1 = st.tableAt(HPAGE_GFN, 1);
        assertThat(isTable(st.spteAt(HPAGE_GFN, 2))).isTrue();
        assertThat(l1.usedCount()).isEqualTo(512);
        for (int i : new int[] {0, 3, 511}) {
            long s4k = l1.spte(i);
            assertThat(isLeaf(s4k)).isTrue();
            assertThat(Spte.pfn(s4k)).isEqualTo(Spte.pfn(huge) + i);
            assertThat(Spte.exec(s4k)).isTrue();
            assertThat(Spte.writable(s4k)).isEqualTo(Spte.writable(huge));
        }
        assertThat(st.s.stat(Stat.pages_2m)).isZero();
        assertThat(st.s.stat(Stat.pages_4k)).isEqualTo(512);
        assertThat(st.s.stat(Stat.nx_lpage_splits)).isEqualTo(1);
        assertThat(st.s.lpageDisallowed).containsExactly(l1.id);
        assertThat(l1.nxHugePageDisallowed).isTrue();
        // Same pfns, more rights: the stale 2M TLB entry is still granted, no flush is owed.
        assertThat(st.s.stat(Stat.remote_tlb_flush)).isZero();

        st.step(0, "unlock mmu_lock, srcu");
        assertThat(Invariant.stale_tlb_at_unlock.violatedIn(st.s)).isFalse();
        st.step(0, "vcpu 0 exec");
        TlbEntry t = Tlbs.lookup(st.s, 0, HPAGE_GFN + 3);
        assertThat(t.level()).isEqualTo(1);
        assertThat(t.exec()).isTrue();
        assertThat(Tlbs.lookup(st.s, 0, HPAGE_GFN + 4)).as("the 2M entry was replaced").isNull();
        assertThat(st.done(0)).isTrue();
        assertThat(st.s.violations).isZero();
    }

    @Test
    void readAfterNxSplitMaps4kNot2m() {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.EXEC, Expr.constant(HPAGE_GPA));
        Stepper st = vcpu0(setup, Access.READ, HPAGE_GPA + 0x1000);
        ShadowPage l1 = st.tableAt(HPAGE_GFN, 1);
        assertThat(st.s.stat(Stat.nx_lpage_splits)).isEqualTo(1);
        assertThat(st.s.stat(Stat.pages_4k)).isEqualTo(1);

        faultUpToLock(st, "read", HPAGE_GPA + 0x1000);
        st.map(0);
        assertThat(String.join("\n", st.trace)).contains("disallowed_hugepage_adjust");
        // The read could be 2M (backing 2M), but the L2 SPTE points to an NX-disallowed table:
        // disallowed_hugepage_adjust drops the goal to 4K, keeping the split table.
        assertThat(isTable(st.spteAt(HPAGE_GFN, 2))).isTrue();
        assertThat(st.tableAt(HPAGE_GFN, 1).id).isEqualTo(l1.id);
        assertThat(Queries.spte(st.s, HPAGE_GPA + 0x1000, "level")).isEqualTo(1);
        assertThat(Queries.spte(st.s, HPAGE_GPA + 0x1000, "present")).isEqualTo(1);
        assertThat(Queries.spte(st.s, HPAGE_GPA, "present")).as("the exec page stays").isEqualTo(1);
        assertThat(st.s.stat(Stat.pages_2m)).isZero();
        assertThat(st.s.stat(Stat.pages_4k)).isEqualTo(2);
        assertThat(st.s.stat(Stat.nx_lpage_splits)).as("no new split").isEqualTo(1);
        assertThat(st.s.lpageDisallowed).containsExactly(l1.id);

        st.step(0, "unlock mmu_lock, srcu");
        st.step(0, "vcpu 0 read");
        assertThat(Tlbs.lookup(st.s, 0, HPAGE_GFN + 1).level()).isEqualTo(1);
        assertThat(st.done(0)).isTrue();
        assertThat(st.s.violations).isZero();
    }

    /**
     * A write to a KVM_MEM_READONLY slot: __gfn_to_pfn_memslot() gives KVM_PFN_ERR_RO_FAULT and
     * kvm_handle_error_pfn() (mmu.c v6.x) returns RET_PF_EMULATE; the emulated write exits to
     * userspace as MMIO. The access completes without mmu_lock and without a writable SPTE.
     */
    @Test
    void writeToAReadOnlySlotIsEmulatedNotRetried() {
        VmConfig c = new VmConfig(Mmu.TDP, true, 1, false, 4, List.of(new Memslot(0, 0, 512, 1, false, true)), 1);
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, c, 0, Access.READ, Expr.constant(0x1000));
        PathBuilder b = new PathBuilder();
        FaultPaths.guestAccess(b, c, 0, Access.WRITE, Expr.constant(0x1000));
        Stepper st = new Stepper(Stepper.program(c, setup, ThreadProgram.of("vcpu 0", 0, b)));
        long readOnly = Walk.of(st.s, 1).spte();
        assertThat(Spte.writable(readOnly)).as("the read mapped it read-only").isFalse();
        assertThat(readOnly & Spte.MMU_WRITABLE).as("not MMU-writable: no fast path").isZero();
        st.step(0, "vcpu 0 write"); // EPT violation
        st.step(0, "kvm_faultin_pfn");
        assertThat(st.trace.get(st.trace.size() - 1)).contains("RET_PF_EMULATE");
        assertThat(st.done(0)).as("the access ends as an MMIO exit").isTrue();
        assertThat(Lock.held(st.s, 0, LockId.srcu)).isFalse();
        assertThat(Walk.of(st.s, 1).spte()).as("no SPTE made writable").isEqualTo(readOnly);
        assertThat(st.s.violations).isZero();
    }
}
