package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmState;
import org.junit.jupiter.api.Test;

/**
 * srcu_read_lock() nests: each srcu_read_unlock() ends one section, and the thread stays a reader
 * (synchronize_srcu() waits for it) until the outermost one ends (trial12).
 */
class SrcuNestingTest {

    @Test
    void theInnerUnlockLeavesTheOuterSectionHeld() {
        Program p = InvariantsTest.program(NxListsPerMmuTest.PER_MMU, b -> { }, InvariantsTest.thread("t", b -> { }));
        VmState s = new MmuSystem(p).initial().copy();
        Exec e = new Exec(p, s, 0, new StringBuilder());
        Lock.acquire(e, LockId.srcu, Lock.Mode.READ);
        Lock.acquire(e, LockId.srcu, Lock.Mode.READ);
        assertThat(s.threads[0].srcuDepth).isEqualTo(1);
        Lock.release(e, LockId.srcu);
        assertThat(Lock.held(s, 0, LockId.srcu)).as("the outer section").isTrue();
        assertThat(s.srcuReaders).isEqualTo(1L);
        Lock.release(e, LockId.srcu);
        assertThat(Lock.held(s, 0, LockId.srcu)).isFalse();
        assertThat(s.threads[0].srcuDepth).isZero();
        assertThat(Invariants.violated(Invariant.lock_balance, s)).isFalse();
        Lock.release(e, LockId.srcu);
        assertThat(Invariants.violated(Invariant.lock_balance, s)).as("one unlock too many").isTrue();
    }
}
