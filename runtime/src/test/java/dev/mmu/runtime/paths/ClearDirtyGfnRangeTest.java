package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import org.junit.jupiter.api.Test;

/**
 * clear_dirty_gfn_range() inside a caller's rcu_read_lock(): its walk may yield, and so sleep in the
 * caller's RCU section, only once it steps past the entry where start's descent stops, for
 * tdp_mmu_iter_cond_resched()'s forward-progress check refuses before (alloc2 trial; the
 * interpreter's ClearDirtySlotPreludeTest runs the pasted copies).
 */
class ClearDirtyGfnRangeTest {

    /** vCPU 0 read gpa 0x1000 of a 2M-backed slot: one 2M leaf for gfns 0-0x1ff, nothing at 0x200. */
    private static Exec afterRead() {
        return SpteWritableInvariantsTest.afterRead(Mmu.TDP, SpteWritableInvariantsTest.WRITABLE, null);
    }

    @Test
    void theWalkMayYieldOnlyPastTheEntryWhereStartsDescentStops() {
        Exec e = afterRead();
        int root = e.s.validRoots()[0];
        assertThat(SlotOps.mayYield(e.s, root, 1, 0x200)).as("within the 2M leaf").isFalse();
        assertThat(SlotOps.mayYield(e.s, root, 1, 0x201)).as("one gfn past it").isTrue();
        assertThat(SlotOps.mayYield(e.s, root, 0x200, 0x400)).as("within the non-present 2M entry").isFalse();
        assertThat(SlotOps.mayYield(e.s, root, 0x200, 0x401)).isTrue();
    }

    @Test
    void insideTheCallersRcuSectionOnlyAWalkThatMayYieldIsLockdep() {
        Exec short_ = afterRead();
        Lock.acquire(short_, LockId.rcu, Lock.Mode.READ);
        SlotOps.clearDirtyGfnRange(short_, 1, 0x200);
        assertThat(Invariants.violated(Invariant.lockdep, short_.s)).isFalse();

        Exec longer = afterRead();
        SlotOps.clearDirtyGfnRange(longer, 1, 0x201);
        assertThat(Invariants.violated(Invariant.lockdep, longer.s)).as("no caller's section").isFalse();
        Lock.acquire(longer, LockId.rcu, Lock.Mode.READ);
        SlotOps.clearDirtyGfnRange(longer, 1, 0x201);
        assertThat(Invariants.violated(Invariant.lockdep, longer.s)).isTrue();
    }
}
