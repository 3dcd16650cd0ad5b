package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.Stepper.HPAGE_GFN;
import static dev.mmu.runtime.paths.Stepper.HPAGE_GPA;
import static dev.mmu.runtime.paths.Stepper.isLeaf;
import static dev.mmu.runtime.paths.Stepper.isTable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import org.junit.jupiter.api.Test;

/**
 * kvm_tdp_mmu_map()'s steps (TdpMap) as the prelude calls them: disallowed_hugepage_adjust() in
 * the walk, and the locals each step declares, which the dead-locals analysis trusts.
 */
class TdpMapStepTest {
    static final VmConfig VM = Stepper.vm(Mmu.TDP, 1); // kvm.nx_huge_pages on, 2M hugetlb backing

    /** An exec fault split the 2M region (its 4K table is NX-disallowed); then vCPU 0 reads another page of it. */
    static Stepper readAfterExecSplit(boolean stillDisallowed) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.EXEC, Expr.constant(HPAGE_GPA));
        PathBuilder read = new PathBuilder();
        FaultPaths.guestAccess(read, VM, 0, Access.READ, Expr.constant(HPAGE_GPA + 0x1000));
        Stepper st = new Stepper(Stepper.program(VM, setup, ThreadProgram.of("vcpu 0", 0, read)));
        assertThat(st.tableAt(HPAGE_GFN, 1).nxHugePageDisallowed).isTrue();
        st.tableAt(HPAGE_GFN, 1).nxHugePageDisallowed = stillDisallowed;
        st.step(0, "vcpu 0 read");
        st.step(0, "kvm_faultin_pfn");
        st.step(0, "read_lock(mmu_lock)");
        st.map(0);
        return st;
    }

    @Test
    void aReadUnderAnNxSplitTableIsMappedAt4kBelowIt() {
        Stepper st = readAfterExecSplit(true);
        assertThat(st.trace).anyMatch(l -> l.contains("disallowed_hugepage_adjust: goal_level 4K"));
        assertThat(isTable(st.spteAt(HPAGE_GFN, 2))).as("the NX split stays").isTrue();
        assertThat(isLeaf(st.spteAt(HPAGE_GFN + 1, 1))).as("the read's own 4K leaf").isTrue();
        assertThat(st.s.stat(Stat.nx_lpage_splits)).isEqualTo(1);
    }

    @Test
    void aReadOverATableNotDisallowedReplacesItWithTheHugePage() {
        Stepper st = readAfterExecSplit(false);
        assertThat(st.trace).noneMatch(l -> l.contains("disallowed_hugepage_adjust"));
        long huge = st.spteAt(HPAGE_GFN, 2);
        assertThat(isLeaf(huge)).as("goal_level stays 2M: the table gives way to the huge leaf").isTrue();
        assertThat(dev.mmu.runtime.model.Spte.exec(huge)).as("huge SPTEs lose exec under NX").isFalse();
        assertThat(Spte.pfn(huge) % 512).as("make_spte(): the 2M page's first pfn, from the read's pfn at 0x1000").isZero();
        assertThat(st.s.stat(Stat.remote_tlb_flush)).as("replacing a table flushes").isPositive();
    }

    /**
     * vCPU 1 takes an EPT violation on a page nobody maps; vCPU 0 faults it in and writes it (its walk
     * sets D); then vCPU 1's fault walks to the present, writable, dirty leaf. The SPTE after vCPU 1's
     * fault, before its access walks again.
     */
    static long afterSecondWriteFault(boolean spuriousIfAllowed) {
        VmConfig c = Stepper.vm(Mmu.TDP, 2);
        PathBuilder[] vcpus = new PathBuilder[2];
        for (int v = 0; v < 2; v++) {
            vcpus[v] = new PathBuilder();
            KernelPaths.guestAccess(vcpus[v], c, v, Access.WRITE, Expr.constant(HPAGE_GPA), false,
                    (q, f) -> FaultPaths.kvmTdpMmuPageFault(q, c, f, true, spuriousIfAllowed),
                    (q, f) -> FaultPaths.directPageFault(q, c, f), FaultPaths::fastPageFault,
                    (q, v2, guestMode) -> FaultPaths.vcpuEnterGuest(q, c, v2, guestMode));
        }
        Stepper st = new Stepper(Stepper.program(c, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, vcpus[0]),
                ThreadProgram.of("vcpu 1", 1, vcpus[1])));
        st.step(1, st.next(1)); // the access: EPT violation
        st.step(1, "kvm_faultin_pfn");
        for (int i = 0; i < 40 && !st.done(0); i++) st.step(0, st.next(0));
        assertThat(st.done(0)).isTrue();
        assertThat(st.spteAt(HPAGE_GFN, 2) & Spte.DIRTY).as("vCPU 0's write set D").isNotZero();
        st.step(1, "read_lock(mmu_lock)");
        st.map(1);
        long spte = st.spteAt(HPAGE_GFN, 2);
        assertThat(isLeaf(spte) && Spte.writable(spte)).isTrue();
        return spte;
    }

    @Test
    void aFaultOnALeafThatAllowsTheWriteIsSpuriousFromV613() {
        assertThat(afterSecondWriteFault(true) & Spte.DIRTY).as("7.2: left alone, D kept").isNotZero();
        assertThat(afterSecondWriteFault(false) & Spte.DIRTY).as("6.12: make_spte()'s clean leaf cmpxchg'd in").isZero();
    }

    /** is_access_allowed(): what makes a present leaf's fault spurious, per access. */
    @Test
    void theAccessAllowedIsTheFaultsOwn() {
        long readOnly = Spte.leaf(0x1000, false, false);
        long writable = Spte.leaf(0x1000, true, false);
        long exec = Spte.leaf(0x1000, false, true);
        assertThat(accessAllowed(readOnly, false, false)).as("a read: present").isTrue();
        assertThat(accessAllowed(readOnly, false, true)).as("a write needs W").isFalse();
        assertThat(accessAllowed(writable, false, true)).isTrue();
        assertThat(accessAllowed(writable, true, false)).as("an exec needs X").isFalse();
        assertThat(accessAllowed(exec, true, false)).isTrue();
        assertThat(accessAllowed(exec, false, true)).isFalse();
        assertThat(accessAllowed(0, false, false)).as("nothing is allowed by a non-present SPTE").isFalse();
    }

    static boolean accessAllowed(long spte, boolean exec, boolean write) {
        return new Expr.Computed(Expr.Operator.ACCESS_ALLOWED, Expr.constant(spte),
                Expr.constant(Expr.Operator.access(exec, write))).eval(null, 0) != 0;
    }

    /** spte.h's helpers as tdp_mmu_map_handle_target_level() (the prelude's) tests iter.old_spte with them. */
    @Test
    void theSpteHelpersAreTheKernels() {
        long leaf4k = Spte.leaf(0x1000, true, true);
        long huge = Spte.leaf(0x1000, false, false);
        long table = Spte.table(3);
        assertThat(op(Expr.Operator.SHADOW_PRESENT, leaf4k, 0)).isTrue();
        assertThat(op(Expr.Operator.SHADOW_PRESENT, table, 0)).isTrue();
        assertThat(op(Expr.Operator.SHADOW_PRESENT, 0, 0)).isFalse();
        assertThat(op(Expr.Operator.SHADOW_PRESENT, Spte.FROZEN, 0)).as("FROZEN_SPTE is not present").isFalse();
        assertThat(op(Expr.Operator.LAST_SPTE, huge, 2)).as("a huge leaf").isTrue();
        assertThat(op(Expr.Operator.LAST_SPTE, table, 2)).as("a table above 4K").isFalse();
        assertThat(op(Expr.Operator.LAST_SPTE, 0, 1)).as("level == PG_LEVEL_4K, whatever the SPTE").isTrue();
        assertThat(op(Expr.Operator.LEAF_CHANGE_NEEDS_FLUSH, leaf4k, huge)).as("MMU-writable lost").isTrue();
        assertThat(op(Expr.Operator.LEAF_CHANGE_NEEDS_FLUSH, huge, leaf4k)).isFalse();
        assertThat(op(Expr.Operator.LEAF_CHANGE_NEEDS_FLUSH, leaf4k, leaf4k | Spte.DIRTY)).as("A/D only").isFalse();
        assertThat(op(Expr.Operator.LEAF_CHANGE_NEEDS_FLUSH, huge, huge)).as("never MMU-writable: nothing lost").isFalse();
        assertThat(value(Expr.Operator.SPTE_TO_PFN, Spte.leaf(0x1234, true, true) | Spte.DIRTY, 0))
                .as("the pfn, whatever the bits").isEqualTo(0x1234);
        assertThat(value(Expr.Operator.SPTE_TO_PFN, huge, 0)).isEqualTo(0x1000);
        assertThat(value(Expr.Operator.GFN_ROUND_FOR_LEVEL, 0x203, 2)).isEqualTo(0x200);
        assertThat(value(Expr.Operator.GFN_ROUND_FOR_LEVEL, 0x203, 1)).isEqualTo(0x203);
        assertThat(value(Expr.Operator.GFN_ROUND_FOR_LEVEL, 0x40203, 3)).isEqualTo(0x40000);
    }

    private static long value(Expr.Operator op, long x, long y) {
        return new Expr.Computed(op, Expr.constant(x), Expr.constant(y)).eval(null, 0);
    }

    private static boolean op(Expr.Operator op, long x, long y) {
        return value(op, x, y) != 0;
    }

    /**
     * make_spte() reads fault->slot's flags (a local): it marks the page dirty, a shared write, only
     * for a writable SPTE in a dirty-logged slot; else its step reads nothing shared and may run in
     * the walk's (the state counts of docs/kernel-model.md's last section rely on it).
     */
    @Test
    void makeSpteTouchesSharedStateOnlyWhereItMarksThePageDirty() {
        Stepper st = readAfterExecSplit(false);
        TdpMap.MakeSpte make = new TdpMap.MakeSpte(Expr.constant(HPAGE_GPA), 0, 0, 1, -1);
        long[] l = st.s.threads[0].locals;
        l[1] = Memslots.FOUND | Memslots.LOGGING;
        assertThat(make.footprint(st.s, 0)).isEqualTo(make.footprint())
                .isEqualTo(Footprint.reads(Resource.MEMSLOTS).andUpdates(Resource.DIRTY_BITMAP).union(Memslots.USE));
        l[1] = Memslots.FOUND;
        assertThat(make.footprint(st.s, 0)).as("not logging").isEqualTo(Footprint.LOCAL);
        l[1] = Memslots.FOUND | Memslots.LOGGING | Memslots.READONLY;
        assertThat(make.footprint(st.s, 0)).as("a read-only slot: no writable SPTE to mark").isEqualTo(Footprint.LOCAL);
    }

    /** VM with the slot's gup_fast_may_fail as given: a read fault's fast GUP may fail to get the page writable. */
    private static Stepper readFault(boolean gupFastMayFail, Access kind) {
        return readFault(gupFastMayFail, kind, false);
    }

    private static Stepper readFault(boolean gupFastMayFail, Access kind, boolean readonly) {
        VmConfig vm = new VmConfig(Mmu.TDP, true, 1, false, 4,
                java.util.List.of(new dev.mmu.runtime.model.Memslot(0, HPAGE_GFN, 3 * 512, 2, false, readonly, gupFastMayFail)), 1);
        PathBuilder access = new PathBuilder();
        FaultPaths.guestAccess(access, vm, 0, kind, Expr.constant(HPAGE_GPA));
        Stepper st = new Stepper(Stepper.program(vm, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, access)));
        st.step(0, "vcpu 0 " + kind.name().toLowerCase(java.util.Locale.ROOT));
        return st;
    }

    /**
     * fault->map_writable (386d69f9f29b's race): in a slot with gup_fast_may_fail on, kvm_faultin_pfn()
     * of a read fault offers the host's failure to promote it (choice 1), and make_spte() then builds
     * the leaf without W and MMU-writable (host_writable false), so fast_page_fault() cannot fix a
     * write through it. A write fault, or a slot without the setting, has the one answer.
     */
    @Test
    void aReadFaultWhoseFastGupFailsMapsThePageReadOnly() {
        Stepper st = readFault(true, Access.READ);
        Op faultIn = st.system.program().threads().get(0).ops()[st.s.threads[0].pc];
        assertThat(faultIn.choices(st.s, 0)).isEqualTo(2);
        st.step(0, "kvm_faultin_pfn", 1);
        assertThat(st.trace.get(st.trace.size() - 1)).contains("map_writable false");
        st.step(0, "read_lock(mmu_lock)");
        st.map(0);
        long leaf = st.spteAt(HPAGE_GFN, 2);
        assertThat(isLeaf(leaf)).isTrue();
        assertThat(Spte.writable(leaf)).as("no W").isFalse();
        assertThat(leaf & Spte.MMU_WRITABLE).as("nor MMU-writable: host_writable is false").isZero();

        Stepper promoted = readFault(true, Access.READ);
        promoted.step(0, "kvm_faultin_pfn", 0);
        promoted.step(0, "read_lock(mmu_lock)");
        promoted.map(0);
        assertThat(Spte.writable(promoted.spteAt(HPAGE_GFN, 2))).as("choice 0: promoted, mapped writable").isTrue();

        Stepper plain = readFault(false, Access.READ);
        assertThat(plain.system.program().threads().get(0).ops()[plain.s.threads[0].pc].choices(plain.s, 0))
                .as("without gup_fast_may_fail").isEqualTo(1);
        Stepper readonly = readFault(true, Access.READ, true);
        assertThat(readonly.system.program().threads().get(0).ops()[readonly.s.threads[0].pc].choices(readonly.s, 0))
                .as("a KVM_MEM_READONLY slot: map_writable is false already").isEqualTo(1);
        Stepper write = readFault(true, Access.WRITE);
        for (int i = 0; i < 5 && !write.next(0).equals("kvm_faultin_pfn"); i++) write.step(0, write.next(0));
        assertThat(write.system.program().threads().get(0).ops()[write.s.threads[0].pc].choices(write.s, 0))
                .as("a write fault gets the page with FOLL_WRITE").isEqualTo(1);
    }

    /** make_spte() marks the page dirty only for a writable SPTE: not for a read fault mapped read-only. */
    @Test
    void makeSpteOfAReadOnlyPfnMarksNothingDirty() {
        Stepper st = readAfterExecSplit(false);
        TdpMap.MakeSpte make = new TdpMap.MakeSpte(Expr.constant(HPAGE_GPA), 0, 0, 1, -1);
        long[] l = st.s.threads[0].locals;
        l[1] = Memslots.FOUND | Memslots.LOGGING | Memslots.NO_MAP_WRITABLE;
        assertThat(make.footprint(st.s, 0)).isEqualTo(Footprint.LOCAL);
    }

    @Test
    void theBranchFormsDeclareWhatTheyWriteOnEachWay() {
        Expr gpa = Expr.constant(HPAGE_GPA);
        int m = 10;
        TdpMap.Link fused = new TdpMap.Link(gpa, m, false, -1).branch(7, false); // if tdp_mmu_link_sp(..) != 0
        assertThat(fused.targets(3)).containsExactly(4, 7);
        assertThat(fused.localsWritten(3, 4)).as("the cmpxchg failed: sp not set").isEmpty();
        assertThat(fused.localsWritten(3, 7)).containsExactly(m + TdpMap.CHILD);
        TdpMap.Link negated = fused.branch(7, true); // if tdp_mmu_link_sp(..) == 0: linked on the way on
        assertThat(negated.localsWritten(3, 4)).containsExactly(m + TdpMap.CHILD);
        assertThat(negated.localsWritten(3, 7)).isEmpty();
        assertThat(fused.branch(4, false).localsWritten(3, 4)).as("an empty block: both ways are one").isEmpty();
        TdpMap.Link valued = new TdpMap.Link(gpa, m, false, 2);
        assertThat(valued.targets(3)).containsExactly(4);
        assertThat(valued.localsWritten(3, 4)).as("linked or not: only r is sure").containsExactly(2);
        assertThat(valued.localsRead()).containsExactlyInAnyOrder(m + TdpMap.SP, m + TdpMap.LEVEL, m + TdpMap.OLD);

        assertThat(new FaultOps.PageFaultStale(0, gpa, 0, 5).branch(9, true).targets(3)).containsExactly(4, 9);
        assertThat(new FaultOps.PageFaultStale(0, gpa, 0, 5).branch(9, true).localsWritten(3, 9)).isEmpty();
        assertThat(new FaultOps.PageFaultStale(0, gpa, 0, 5).localsWritten(3, 4)).containsExactly(5);
        // mmu_invalidate_retry_gfn(), the check before a955cad84cda, reads no root: it commutes with a root's put.
        assertThat(new FaultOps.PageFaultStale(0, gpa, 0, -1, 9, true, false, false).footprint())
                .isEqualTo(Footprint.reads(Resource.INVALIDATE));
        assertThat(new FaultOps.PageFaultStale(0, gpa, 0, -1).footprint())
                .isEqualTo(Footprint.reads(Resource.INVALIDATE, Resource.INVALID_ROOTS).andReadsRoots(0));
        assertThat(new FaultOps.PageFaultStale(0, gpa, 0, -1, 9, true, false, false).describe()).isEqualTo("mmu_invalidate_retry_gfn");

        assertThat(new TdpMap.MakeSpte(gpa, m, 20, 21, 5).localsRead()).containsExactlyInAnyOrder(m + TdpMap.LEVEL, 20, 21);
        assertThat(new TdpMap.MakeSpte(gpa, m, 20, 21, 5).branch(9, true).targets(3)).containsExactly(4, 9);
        TdpMap.SetSpteAtomic cmpxchg = new TdpMap.SetSpteAtomic(gpa, m, Expr.local(30), 5, -1, false);
        assertThat(cmpxchg.localsRead()).containsExactlyInAnyOrder(30, m + TdpMap.SP, m + TdpMap.LEVEL, m + TdpMap.OLD);
        assertThat(cmpxchg.localsWritten(3, 4)).containsExactly(5);
        assertThat(cmpxchg.branch(9, true).localsWritten(3, 9)).isEmpty();
        assertThat(TdpMap.Walk.at(gpa, m, 3).targets(3)).containsExactly(4, 3);
        assertThat(TdpMap.Walk.afterLink(gpa, m, 8, 1).targets(3)).containsExactly(4, 8, 1);
        assertThat(TdpMap.Walk.afterLink(gpa, m, 8, 1).localsRead())
                .containsExactlyInAnyOrder(m + TdpMap.GOAL, m + TdpMap.SP, m + TdpMap.LEVEL);
    }

    /** A 4K-backed slot at gfn 0: every SPTE on the walk to gpa 0 is its table's first (index 0). */
    static final VmConfig AT_ZERO = new VmConfig(Mmu.TDP, false, 1, false, 4,
            java.util.List.of(new dev.mmu.runtime.model.Memslot(0, 0, 16, 1, false, false)), 2);

    /** Two vCPUs read gpa 0; vCPU 0 stops before its leaf's cmpxchg, vCPU 1 then maps the leaf. */
    static Stepper racedAtIndexZero() {
        PathBuilder[] reads = new PathBuilder[2];
        for (int v = 0; v < 2; v++) {
            reads[v] = new PathBuilder();
            FaultPaths.guestAccess(reads[v], AT_ZERO, v, Access.READ, Expr.constant(0));
        }
        Stepper st = new Stepper(Stepper.program(AT_ZERO, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, reads[0]),
                ThreadProgram.of("vcpu 1", 1, reads[1])));
        FaultPathStepTest.runTo(st, 0, "tdp_mmu_set_spte_atomic");
        FaultPathStepTest.runTo(st, 1, "unlock mmu_lock, srcu");
        return st;
    }

    /** tdp_mmu_link_sp() and the leaf's cmpxchg at index 0 of each table (trySetSpteAtomic's i < 0 boundary). */
    @Test
    void theCmpxchgAtIndexZeroOfEachTableSucceeds() {
        Stepper st = racedAtIndexZero();
        for (int level = 3; level >= 1; level--) {
            assertThat(st.tableAt(0, level)).as("the level-%d table vCPU 0 linked at index 0", level).isNotNull();
        }
        assertThat(isLeaf(st.spteAt(0, 1))).as("vCPU 1's 4K leaf at index 0").isTrue();
        assertThat(String.join("\n", st.trace)).doesNotContain("cmpxchg failed");
        assertThat(st.s.stat(Stat.pages_4k)).isEqualTo(1);
    }

    /**
     * tdp_mmu_set_spte_atomic() returns -EBUSY when the SPTE changed since the walk read it: as a
     * value, and as the prelude's `if tdp_mmu_set_spte_atomic(..) != 0` (RET_PF_RETRY: no flush, the
     * other vCPU's leaf stays); at index 0, and a cmpxchg that finds what it read succeeds there.
     */
    @Test
    void aFailedCmpxchgDeliversMinusEbusyAndTheFaultRetries() {
        Stepper st = racedAtIndexZero();
        long theirs = st.spteAt(0, 1);
        Op[] ops = st.system.program().threads().get(0).ops();
        int pc = st.s.threads[0].pc;
        TdpMap.SetSpteAtomic branch = (TdpMap.SetSpteAtomic) ops[pc];
        int result = branch.m() + TdpMap.CHILD; // a local the op does not read
        TdpMap.SetSpteAtomic valued = new TdpMap.SetSpteAtomic(branch.gpa(), branch.m(), branch.newSpte(), result, -1, false);

        VmState failed = st.s.copy();
        Exec e = new Exec(st.system.program(), failed, 0, new StringBuilder());
        valued.exec(e, 0);
        assertThat(failed.threads[0].locals[result]).as("-EBUSY").isEqualTo(-16);
        assertThat(e.nextPc).as("on").isEqualTo(pc + 1);
        assertThat(Walk.to(failed, failed.root, 0, 1).spte()).as("nothing written").isEqualTo(theirs);

        // The branch forms: `if .. != 0` goes on into its block (RET_PF_RETRY), `if .. == 0` jumps past its own.
        for (boolean negate : new boolean[] {false, true}) {
            Exec b = new Exec(st.system.program(), st.s.copy(), 0, new StringBuilder());
            new TdpMap.SetSpteAtomic(branch.gpa(), branch.m(), branch.newSpte(), -1, 9, negate).exec(b, 0);
            assertThat(b.nextPc).as("negate " + negate).isEqualTo(negate ? 9 : pc + 1);
        }

        // The same cmpxchg against the value now there: 0, and the SPTE written at index 0.
        VmState won = st.s.copy();
        long[] l = won.threadForWrite(0).locals; // won's own copy, not st.s's
        l[branch.m() + TdpMap.OLD] = theirs;
        l[result] = 7;
        new TdpMap.SetSpteAtomic(branch.gpa(), branch.m(), Expr.constant(theirs | Spte.DIRTY), result, -1, false)
                .exec(new Exec(st.system.program(), won, 0, new StringBuilder()), 0);
        assertThat(l[result]).isZero();
        assertThat(Walk.to(won, won.root, 0, 1).spte()).isEqualTo(theirs | Spte.DIRTY);

        long flushes = st.s.stat(Stat.remote_tlb_flush);
        st.step(0, "tdp_mmu_set_spte_atomic");
        assertThat(st.trace.get(st.trace.size() - 1)).contains("cmpxchg failed");
        assertThat(st.next(0)).as("RET_PF_RETRY: past the flush").isNotEqualTo("kvm_flush_remote_tlbs_gfn");
        st.map(0);
        assertThat(st.spteAt(0, 1)).isEqualTo(theirs);
        assertThat(st.s.stat(Stat.remote_tlb_flush)).isEqualTo(flushes);
    }
}
