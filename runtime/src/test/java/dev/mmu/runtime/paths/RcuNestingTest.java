package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmState;
import org.junit.jupiter.api.Test;

/**
 * rcu_read_lock() nests (current->rcu_read_lock_nesting): a walk's own section inside its pasted
 * caller's ends at the walk's rcu_read_unlock(), leaving the caller's held (user trial wrprot2).
 */
class RcuNestingTest {

    @Test
    void theInnerUnlockLeavesTheOuterSectionHeld() {
        Program p = InvariantsTest.program(NxListsPerMmuTest.PER_MMU, b -> { }, InvariantsTest.thread("t", b -> { }));
        VmState s = new MmuSystem(p).initial().copy();
        Exec e = new Exec(p, s, 0, new StringBuilder());
        Lock.acquire(e, LockId.rcu, Lock.Mode.READ);
        Lock.acquire(e, LockId.rcu, Lock.Mode.READ);
        assertThat(s.threads[0].rcuDepth).isEqualTo(1);
        Lock.release(e, LockId.rcu);
        assertThat(Lock.held(s, 0, LockId.rcu)).as("the outer section").isTrue();
        Rcu.sleepCheck(e, "cond_resched_rwlock_read()");
        assertThat(Invariants.violated(Invariant.lockdep, s)).as("a sleep inside the outer section").isTrue();
        Lock.release(e, LockId.rcu);
        assertThat(Lock.held(s, 0, LockId.rcu)).isFalse();
        assertThat(s.threads[0].rcuDepth).isZero();
        assertThat(Invariants.violated(Invariant.lock_balance, s)).isFalse();
        Lock.release(e, LockId.rcu);
        assertThat(Invariants.violated(Invariant.lock_balance, s)).as("one unlock too many").isTrue();
    }

    /** The state keeps a nesting depth in 4 bits: a 16th nested section is refused, never folded into a shallower one. */
    @Test
    void aSectionNestedDeeperThanTheStateKeepsIsRefused() {
        Program p = InvariantsTest.program(NxListsPerMmuTest.PER_MMU, b -> { }, InvariantsTest.thread("t", b -> { }));
        VmState s = new MmuSystem(p).initial().copy();
        Exec e = new Exec(p, s, 0, new StringBuilder());
        for (int i = 0; i < 16; i++) Lock.acquire(e, LockId.rcu, Lock.Mode.READ);
        assertThat(s.threads[0].rcuDepth).isEqualTo(15);
        assertThatThrownBy(() -> Lock.acquire(e, LockId.rcu, Lock.Mode.READ)).isInstanceOf(ScenarioError.class)
                .hasMessageContaining("nested more than 15 deep");
    }
}
