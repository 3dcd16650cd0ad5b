package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * zap_gfn_range() removing a table: handle_changed_spte() of v5.10-v5.17 flushed every TLB before
 * free_page() (tdp_mmu.c, 5.10.13), which is why 5.10's NX recovery dropping the flag it returns
 * strands only huge leaves of other roots; since v5.18 the caller owes that flush.
 */
class TeardownFlushTest {

    /** The warm vCPU's TLB and the flush count once the zap of the 4K table at gfns 0..511 ran. */
    private static VmState afterZap(boolean teardownFlushes) {
        PathBuilder zap = new PathBuilder();
        int flush = zap.local("flush");
        zap.emit(new Ops.Assign(flush, Expr.constant(0), "flush = false"));
        zap.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        KernelPaths.zapGfnRange(zap, Expr.constant(0), Expr.constant(512), flush, false, teardownFlushes);
        MmuSystem m = new MmuSystem(Stepper.program(TdpWalkYieldTest.VM, TdpWalkYieldTest.warm(),
                ThreadProgram.of("zap", -1, zap)));
        List<VmState> end = TdpWalkYieldTest.terminal(m, SeedModelTest.reachable(m));
        assertThat(end).hasSize(1);
        return end.get(0);
    }

    @Test
    void aRemovedTableIsFlushedBeforeItIsFreedOnlyWhereTheTeardownFlushes() {
        VmState v510 = afterZap(true);
        assertThat(v510.tlb[0]).isEmpty();
        assertThat(v510.stat(Stat.remote_tlb_flush)).isEqualTo(1);

        VmState v612 = afterZap(false);
        assertThat(v612.tlb[0]).isNotEmpty();
        assertThat(v612.stat(Stat.remote_tlb_flush)).isZero();
    }

    /** The step that may flush says it writes the TLBs, or the reductions would move vCPU accesses across it. */
    @Test
    void onlyTheFlushingStepWritesTheTlbs() {
        long tlb = Resource.TLB.bit();
        assertThat(new MmuOps.ZapStep(0, 10, 11, 12, true).footprint().ofThread(0).writes() & tlb).isEqualTo(tlb);
        assertThat(new MmuOps.ZapStep(0, 10, 11, 12, false).footprint().ofThread(0).writes() & tlb).isZero();
    }

    /**
     * 5.12's kvm_tdp_mmu_zap_sp() (KernelPaths.zapSpByRange) of the warm 4K table: the range zap
     * removes the table's SPTE, whose teardown flushes before call_rcu(); the flag it returns still
     * says a flush is owed; zap_gfn_range()'s rcu_read_lock() is dropped again at its end.
     */
    @Test
    void fiveTwelvesZapSpIsARangeZapWhoseTeardownFlushes() {
        PathBuilder zap = new PathBuilder();
        int flush = zap.local("flush");
        zap.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        Expr table = Expr.of(Footprint.reads(Resource.SPTE), (s, t) -> Walk.of(s, 1).spId());
        KernelPaths.zapSpByRange(zap, table, flush, true);
        zap.emit(new Ops.Release(LockId.mmu_lock));
        MmuSystem m = new MmuSystem(Stepper.program(TdpWalkYieldTest.VM, TdpWalkYieldTest.warm(),
                ThreadProgram.of("zap", -1, zap)));
        List<VmState> end = TdpWalkYieldTest.terminal(m, SeedModelTest.reachable(m));
        assertThat(end).hasSize(1);
        VmState s = end.get(0);
        assertThat(Walk.of(s, 1).level()).as("the 4K table is gone").isGreaterThan(1);
        assertThat(s.tlb[0]).isEmpty();
        assertThat(s.stat(Stat.remote_tlb_flush)).isEqualTo(1);
        assertThat(s.threads[0].locals[flush]).as("the flag still says a flush is owed").isEqualTo(1);
        assertThat(s.rcuReaders).isZero();
        assertThat(s.violations).isZero();
    }
}
