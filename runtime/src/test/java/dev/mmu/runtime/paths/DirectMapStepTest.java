package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.FaultPathStepTest.runTo;
import static dev.mmu.runtime.paths.Stepper.HPAGE_GFN;
import static dev.mmu.runtime.paths.Stepper.HPAGE_GPA;
import static dev.mmu.runtime.paths.Stepper.isLeaf;
import static dev.mmu.runtime.paths.Stepper.isTable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import org.junit.jupiter.api.Test;

/**
 * The shadow MMU's fault (direct_page_fault() and direct_map(), v6.12) as the prelude cuts it into
 * steps (DirectMap): each link_shadow_page() and the mmu_set_spte() of the leaf is a store other
 * vCPUs' lockless walks see, and is_page_fault_stale() sends a fault back under the write lock.
 */
class DirectMapStepTest {
    static final VmConfig VM = Stepper.vm(Mmu.SHADOW, 2); // kvm.nx_huge_pages on, 2M hugetlb backing

    static Stepper twoReads() {
        PathBuilder b0 = new PathBuilder();
        FaultPaths.guestAccess(b0, VM, 0, Access.READ, Expr.constant(HPAGE_GPA));
        PathBuilder b1 = new PathBuilder();
        FaultPaths.guestAccess(b1, VM, 1, Access.READ, Expr.constant(HPAGE_GPA + 0x1000));
        return new Stepper(Stepper.program(VM, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, b0),
                ThreadProgram.of("vcpu 1", 1, b1)));
    }

    @Test
    void aSecondVcpuFaultingTheSameRegionFindsTheTablesAndTheLeafTheFirstMade() {
        Stepper st = twoReads();
        st.step(0, "vcpu 0 read");
        st.step(0, "kvm_faultin_pfn");
        st.step(0, "write_lock(mmu_lock)");
        // kvm_mmu_hugepage_adjust() reads fault->slot's struct, which a memslot free may race
        // (a step of its own); the walk runs in it: vCPU 0 links L3, then L2.
        st.step(0, "kvm_mmu_hugepage_adjust, shadow_walk_init");
        st.step(0, "link_shadow_page");
        assertThat(isTable(st.spteAt(HPAGE_GFN, 4))).as("the L3 table is linked, and visible").isTrue();
        assertThat(st.spteAt(HPAGE_GFN, 3)).as("nothing below it yet").isZero();
        // vCPU 1's lockless hardware walk goes through the new table and finds nothing: EPT violation.
        st.step(1, "vcpu 1 read");
        assertThat(st.trace.get(st.trace.size() - 1)).contains("EPT violation");
        st.step(1, "kvm_faultin_pfn");
        st.step(0, "link_shadow_page");
        st.step(0, "mmu_set_spte");
        assertThat(isLeaf(st.spteAt(HPAGE_GFN, 2))).as("vCPU 0's 2M leaf").isTrue();
        int tables = st.liveTables();
        st.step(0, "unlock mmu_lock, srcu");
        // vCPU 1 under the lock: the walk steps through both tables (kvm_mmu_get_child_sp()'s -EEXIST)
        // to the 2M SPTE, which already holds the leaf it would make.
        st.step(1, "write_lock(mmu_lock)");
        st.step(1, "kvm_mmu_hugepage_adjust, shadow_walk_init");
        st.step(1, "mmu_set_spte");
        assertThat(String.join("\n", st.trace)).contains("mmu_set_spte: RET_PF_SPURIOUS");
        assertThat(st.liveTables()).as("no second table").isEqualTo(tables);
        st.step(1, "unlock mmu_lock, srcu");
        st.step(1, "vcpu 1 read");
        assertThat(st.done(1)).isTrue();
        assertThat(st.s.stat(Stat.pages_2m)).isEqualTo(1);
        assertThat(st.s.violations).isZero();
    }

    /**
     * mmu_set_spte()'s leaf for a read inside a 2M region: the huge page's first pfn (the fault's pfn
     * less the gfn's offset in it), writable (the slot is not read-only), not executable (a huge
     * SPTE under the NX mitigation).
     */
    @Test
    void theHugeLeafMapsTheRegionsFirstPfnWritableAndNotExecutable() {
        PathBuilder b = new PathBuilder();
        FaultPaths.guestAccess(b, VM, 0, Access.READ, Expr.constant(HPAGE_GPA + 0x5000));
        Stepper st = new Stepper(Stepper.program(VM, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, b)));
        runTo(st, 0, "<done>");
        long leaf = st.spteAt(HPAGE_GFN, 2);
        assertThat(isLeaf(leaf)).isTrue();
        assertThat(Spte.pfn(leaf) % 512).as("2M-aligned pfn").isZero();
        assertThat(Spte.writable(leaf)).isTrue();
        assertThat(Spte.exec(leaf)).as("NX: a huge SPTE is not executable").isFalse();
        assertThat(st.s.violations).isZero();
    }

    @Test
    void anInvalidationSinceFaultinSendsTheFaultBackWithNothingMapped() {
        PathBuilder vcpu = new PathBuilder();
        FaultPaths.guestAccess(vcpu, VM, 0, Access.READ, Expr.constant(HPAGE_GPA));
        PathBuilder notifier = new PathBuilder();
        KernelFixtures.mmuNotifierInvalidate(notifier, Expr.constant(HPAGE_GPA), Expr.constant(HPAGE_GPA + 0x200000));
        Stepper st = new Stepper(Stepper.program(VM, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, vcpu),
                ThreadProgram.of("notifier", -1, notifier)));
        st.step(0, "vcpu 0 read");
        st.step(0, "kvm_faultin_pfn");
        runTo(st, 1, "<done>");
        // mmu_seq changed since kvm_faultin_pfn(): RET_PF_RETRY, straight to the unlock.
        st.step(0, "write_lock(mmu_lock)");
        assertThat(st.next(0)).isEqualTo("unlock mmu_lock, srcu");
        assertThat(String.join("\n", st.trace)).contains("is_page_fault_stale: mmu_invalidate_retry_gfn -> RET_PF_RETRY");
        assertThat(st.spteAt(HPAGE_GFN, 4)).as("nothing linked").isZero();
        st.step(0, "unlock mmu_lock, srcu");
        assertThat(st.next(0)).as("the guest re-executes the access").isEqualTo("vcpu 0 read");
    }

    /**
     * A patch that maps under the read lock: two vCPUs' walks and links race (one may link over
     * the other's table, freeing it with the zap's commit). Its steps assert the write lock, so
     * the verdict is a lockdep violation; a walk whose table went away ends, nothing crashes.
     */
    @Test
    void mappingUnderTheReadLockIsALockdepViolation() {
        ThreadProgram[] vcpus = new ThreadProgram[2];
        for (int v = 0; v < 2; v++) {
            int vcpu = v;
            vcpus[v] = ThreadProgram.of("vcpu " + v, v, InvariantsTest.path(b -> KernelPaths.guestAccess(b, VM, vcpu,
                    Access.EXEC, Expr.constant(HPAGE_GPA + vcpu * 0x1000), false, (q, f) -> FaultPaths.kvmTdpMmuPageFault(q, VM, f, true),
                    (q, f) -> FaultPaths.directPageFault(q, VM, f, dev.mmu.runtime.paths.Lock.Mode.READ),
                    FaultPaths::fastPageFault, (q, w, g) -> FaultPaths.vcpuEnterGuest(q, VM, w, g))));
        }
        assertThat(InvariantsTest.broken(Stepper.program(VM, new PathBuilder(), vcpus)))
                .contains(dev.mmu.runtime.model.Invariant.lockdep);
        assertThat(InvariantsTest.broken(Stepper.program(VM, new PathBuilder(), InvariantsTest.vcpu(VM, 0, Access.EXEC, HPAGE_GPA),
                InvariantsTest.vcpu(VM, 1, Access.EXEC, HPAGE_GPA + 0x1000)))).as("the kernel's write lock").isEmpty();
    }

    @Test
    void anExecFaultAccountsEachTableItLinksUnderTheNxMitigation() {
        PathBuilder b = new PathBuilder();
        FaultPaths.guestAccess(b, VM, 0, Access.EXEC, Expr.constant(HPAGE_GPA));
        Stepper st = new Stepper(Stepper.program(VM, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, b)));
        runTo(st, 0, "account_nx_huge_page()");
        assertThat(st.tableAt(HPAGE_GFN, 3).nxHugePageDisallowed).as("set by account_nx_huge_page, after the link").isFalse();
        st.step(0, "account_nx_huge_page()");
        assertThat(st.tableAt(HPAGE_GFN, 3).nxHugePageDisallowed).isTrue();
        assertThat(st.s.lpageDisallowed).as("req_level 2M < level 4: not a possible NX huge page").isEmpty();
        runTo(st, 0, "unlock mmu_lock, srcu");
        assertThat(st.s.lpageDisallowed).as("only the 4K table under the 2M region is listed")
                .containsExactly(st.tableAt(HPAGE_GFN, 1).id);
        assertThat(st.s.stat(Stat.nx_lpage_splits)).isEqualTo(1);
        assertThat(isLeaf(st.spteAt(HPAGE_GFN, 1))).isTrue();
    }
    /**
     * disallowed_hugepage_adjust() (mmu.c, v6.12) in direct_map()'s walk: at the goal level a present
     * table whose child has nx_huge_page_disallowed (an exec fault split the region under the NX
     * mitigation) makes the fault go down a level (goal_level--), so a read next to the exec'd page
     * maps 4K in that table instead of overwriting it with a huge leaf ("We cannot overwrite existing
     * page tables with an NX large page, as the leaf could be executable").
     */
    @Test
    void aReadBesideAnNxSplitPageMaps4kInTheSplitTable() {
        Stepper st = new Stepper(Stepper.program(VM, new PathBuilder(), InvariantsTest.vcpu(VM, 0, Access.EXEC, HPAGE_GPA),
                InvariantsTest.vcpu(VM, 1, Access.READ, HPAGE_GPA + 0x1000)));
        runTo(st, 0, "<done>");
        ShadowPage split = st.tableAt(HPAGE_GFN, 1);
        assertThat(split.nxHugePageDisallowed).isTrue();
        runTo(st, 1, "<done>");
        assertThat(String.join("\n", st.trace)).contains("disallowed_hugepage_adjust: goal_level 4K");
        assertThat(isTable(st.spteAt(HPAGE_GFN, 2))).as("the 2M SPTE still points at the split table").isTrue();
        assertThat(st.tableAt(HPAGE_GFN + 1, 1).id).isEqualTo(split.id);
        long leaf = st.spteAt(HPAGE_GFN + 1, 1);
        assertThat(isLeaf(leaf)).as("a 4K leaf for the read").isTrue();
        assertThat(Spte.pfn(leaf)).as("its own 4K page: the fault's pfn").isEqualTo(Spte.pfn(st.spteAt(HPAGE_GFN, 1)) + 1);
        assertThat(Spte.exec(leaf)).as("a 4K SPTE keeps exec under NX").isTrue();
        assertThat(st.s.stat(Stat.pages_4k)).isEqualTo(2);
        assertThat(st.s.stat(Stat.pages_2m)).isZero();
        assertThat(st.s.violations).isZero();
    }

    /**
     * The same read over a table that no exec fault split (the slot logged dirty pages when it was
     * made): disallowed_hugepage_adjust() leaves goal_level at 2M (spte_to_child_sp(spte)->
     * nx_huge_page_disallowed is false, v6.1+), and mmu_set_spte() replaces the table by the huge leaf.
     */
    @Test
    void aReadOverATableNoExecFaultSplitMapsTheHugePage() {
        Stepper st = new Stepper(Stepper.program(VM, new PathBuilder(),
                InvariantsTest.thread("log on", b -> DirtyLogPaths.setLogDirty(b, 0, true)),
                InvariantsTest.vcpu(VM, 0, Access.READ, HPAGE_GPA),
                InvariantsTest.thread("log off", b -> DirtyLogPaths.setLogDirty(b, 0, false)),
                InvariantsTest.vcpu(VM, 1, Access.READ, HPAGE_GPA + 0x1000)));
        runTo(st, 0, "<done>");
        runTo(st, 1, "<done>");
        ShadowPage table = st.tableAt(HPAGE_GFN, 1);
        assertThat(isLeaf(st.spteAt(HPAGE_GFN, 1))).as("4K while the slot logged dirty pages").isTrue();
        assertThat(table.nxHugePageDisallowed).isFalse();
        runTo(st, 2, "<done>");
        runTo(st, 3, "<done>");
        assertThat(String.join("\n", st.trace)).doesNotContain("disallowed_hugepage_adjust");
        long leaf = st.spteAt(HPAGE_GFN, 2);
        assertThat(isLeaf(leaf)).as("the 2M leaf over the old table").isTrue();
        assertThat(Spte.pfn(leaf) % 512).isZero();
        assertThat(st.s.sp(table.id)).as("the table it replaced is freed after the flush").isNull();
        assertThat(st.s.stat(Stat.pages_2m)).isEqualTo(1);
        assertThat(st.s.violations).isZero();
    }
}
