package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.Stepper.HPAGE_GFN;
import static dev.mmu.runtime.paths.Stepper.HPAGE_GPA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which tables the other threads may unlink under mmu_lock held for read, and the fault walk that
 * stands in such a table: a removal between two of its reads leaves it at FROZEN_SPTE.
 */
class ReadLockRemoversTest {
    private static VmConfig backed(int... levels) {
        List<Memslot> slots = new java.util.ArrayList<>();
        for (int i = 0; i < levels.length; i++) slots.add(new Memslot(i, i * 512L, 512, levels[i], false, false));
        return new VmConfig(Mmu.TDP, true, 1, false, 4, slots, 1);
    }

    private static final Op CMPXCHG = new TdpMap.SetSpteAtomic(Expr.constant(0), 0, Expr.constant(0), -1, -1, false);
    private static final Op NX_ZAP = new Ops.Call(Primitives.get("tdp_mmu_zap_possible_nx_huge_page"),
            new Expr[] {Expr.constant(3)}, -1);

    @Test
    void aFaultsCmpxchgUnlinksTablesOnlyUnderTheLargestBackingUpTo1G() {
        assertThat(ReadLockRemovers.removes(CMPXCHG, backed(1))).isZero(); // a 4K leaf replaces no table
        assertThat(ReadLockRemovers.removes(CMPXCHG, backed(1, 2))).isEqualTo(Level.PG_LEVEL_2M);
        assertThat(ReadLockRemovers.removes(CMPXCHG, backed(3))).isEqualTo(Level.PG_LEVEL_1G);
        assertThat(ReadLockRemovers.removes(new Ops.Atomic(CMPXCHG), backed(2))).isEqualTo(Level.PG_LEVEL_2M);
    }

    @Test
    void theReadLockZapsAreBoundedOrUnlinkAnyTable() {
        VmConfig c = backed(2);
        assertThat(ReadLockRemovers.removes(NX_ZAP, c)).isEqualTo(Level.PG_LEVEL_2M);
        assertThat(ReadLockRemovers.removes(new SlotOps.CollapsibleStep(0, 1, 0, 0), c)).isEqualTo(Level.PG_LEVEL_2M);
        assertThat(ReadLockRemovers.removes(new HugePageRecovery.RecoverStep(0, 1, 0, 2), c)).isEqualTo(Level.PG_LEVEL_2M);
        assertThat(ReadLockRemovers.removes(new FastZap.ZapRootStep(0, 1, 2), c)).isEqualTo(ReadLockRemovers.ANY);
        // a link replaces no table; a lock or an RCU unlock ends a grace period at most
        assertThat(ReadLockRemovers.removes(new TdpMap.Link(Expr.constant(0), 0, false, -1), c)).isZero();
        assertThat(ReadLockRemovers.removes(new Ops.Release(dev.mmu.runtime.model.LockId.rcu), c)).isZero();
        assertThat(ReadLockRemovers.removes(new Ops.Acquire(dev.mmu.runtime.model.LockId.tdp_mmu_pages_lock,
                Lock.Mode.WRITE), c)).isZero();
    }

    @Test
    void aThreadSeesTheOthersRemovalsNotItsOwn() {
        VmConfig c = backed(2);
        Program p = new Program(c, new ThreadProgram("setup", -1, new Op[0], List.of()), List.of(
                new ThreadProgram("a", 0, new Op[] {CMPXCHG}, List.of()),
                new ThreadProgram("b", -1, new Op[] {new FastZap.ZapRootStep(0, 1, 2)}, List.of()),
                new ThreadProgram("c", -1, new Op[0], List.of())), false);
        assertThat(ReadLockRemovers.beside(p, 0)).isEqualTo(ReadLockRemovers.ANY);
        assertThat(ReadLockRemovers.beside(p, 1)).isEqualTo(Level.PG_LEVEL_2M);
        assertThat(ReadLockRemovers.beside(p, 2)).isEqualTo(ReadLockRemovers.ANY);
        assertThat(ReadLockRemovers.standsIn(Level.PG_LEVEL_2M, Level.PG_LEVEL_2M)).isTrue();
        assertThat(ReadLockRemovers.standsIn(Level.PG_LEVEL_2M, Level.PG_LEVEL_1G)).isFalse();
        assertThat(ReadLockRemovers.standsIn(0, Level.PG_LEVEL_2M)).isFalse();
    }

    /** vCPU 0 reads a page of the 2M region an exec fault split, beside thread 1 that may zap the split table. */
    private static Stepper readBesideNxZap(boolean zapper) {
        VmConfig vm = TdpMapStepTest.VM;
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, vm, 0, Access.EXEC, Expr.constant(HPAGE_GPA));
        PathBuilder read = new PathBuilder();
        FaultPaths.guestAccess(read, vm, 0, Access.READ, Expr.constant(HPAGE_GPA + 0x1000));
        PathBuilder zap = new PathBuilder();
        zap.emit(new Ops.Acquire(dev.mmu.runtime.model.LockId.mmu_lock, Lock.Mode.READ));
        zap.emit(new Ops.Acquire(dev.mmu.runtime.model.LockId.rcu, Lock.Mode.READ));
        zap.emit(zapper ? NX_ZAP : new Ops.Note("no zap"));
        Stepper st = new Stepper(Stepper.program(vm, setup, ThreadProgram.of("vcpu 0", 0, read),
                ThreadProgram.of("zap", -1, zap)));
        assertThat(st.tableAt(HPAGE_GFN, 1).id).isEqualTo(3); // NX_ZAP's sp
        st.step(0, "vcpu 0 read");
        st.step(0, "kvm_faultin_pfn");
        st.step(0, "read_lock(mmu_lock)");
        return st;
    }

    @Test
    void theWalkReadsATableAReadLockZapMayUnlinkInAStepOfItsOwn() {
        Stepper st = readBesideNxZap(true);
        st.step(1, st.next(1)); // read_lock(mmu_lock)
        st.step(1, st.next(1)); // rcu_read_lock()
        while (!st.next(0).startsWith("tdp_mmu_for_each_pte")) st.step(0, st.next(0));
        st.step(0, "tdp_mmu_for_each_pte: read SPTE"); // down to the 2M SPTE, into the split table
        assertThat(st.next(0)).isEqualTo("tdp_mmu_for_each_pte: read SPTE");
        st.step(1, st.next(1)); // unlinks the table: handle_removed_pt() freezes its SPTEs
        st.step(0, "tdp_mmu_for_each_pte: read SPTE");
        assertThat(st.trace.get(st.trace.size() - 1)).contains("FROZEN_SPTE");
    }

    /**
     * A copy without is_frozen_spte() goes on to the cmpxchg against FROZEN_SPTE: the WARN_ON_ONCE of
     * __tdp_mmu_set_spte_atomic() (tdp_mmu.c:603), then the cmpxchg succeeds into the unlinked table.
     */
    @Test
    void aCmpxchgAgainstFrozenSpteWarnsAndLandsInTheUnlinkedTable() {
        Stepper st = readBesideNxZap(true);
        st.step(1, st.next(1));
        st.step(1, st.next(1));
        while (!st.next(0).startsWith("tdp_mmu_for_each_pte")) st.step(0, st.next(0));
        st.step(0, "tdp_mmu_for_each_pte: read SPTE");
        st.step(1, st.next(1));
        st.step(0, "tdp_mmu_for_each_pte: read SPTE");
        int m = java.util.Arrays.stream(st.system.program().threads().get(0).ops())
                .filter(o -> o instanceof TdpMap.Walk).map(o -> ((TdpMap.Walk) o).m()).findFirst().orElseThrow();
        long leaf = dev.mmu.runtime.model.Spte.leaf(0x1001, true, false);
        dev.mmu.runtime.model.VmState s = st.s.copy();
        Exec e = new Exec(st.system.program(), s, 0, new StringBuilder());
        new TdpMap.SetSpteAtomic(Expr.constant(HPAGE_GPA + 0x1000), m, Expr.constant(leaf), -1, -1, false).exec(e, 0);
        assertThat(dev.mmu.runtime.model.Invariant.kernel_warning.violatedIn(s)).isTrue();
        assertThat(s.sp(3).spte(1)).isEqualTo(leaf);
        // a cmpxchg against what the walk read of a live table warns of nothing
        Stepper live = readBesideNxZap(false);
        live.map(0);
        assertThat(live.trace).anyMatch(t -> t.contains("4K pfn"));
        assertThat(dev.mmu.runtime.model.Invariant.kernel_warning.violatedIn(live.s)).isFalse();
    }

    @Test
    void withoutAZapBesideTheWalkReadsOnInOneStep() {
        Stepper st = readBesideNxZap(false);
        while (!st.next(0).startsWith("tdp_mmu_for_each_pte")) st.step(0, st.next(0));
        st.step(0, "tdp_mmu_for_each_pte: read SPTE");
        assertThat(st.next(0)).isNotEqualTo("tdp_mmu_for_each_pte: read SPTE");
    }
}
