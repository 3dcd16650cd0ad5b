package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmState;
import org.junit.jupiter.api.Test;

/**
 * read_lock(mmu_lock) inside the thread's own read section: lockdep's recursive locking (a qrwlock's
 * read side is recursive only in interrupt context), and the qrwlock counts it, so each
 * read_unlock() ends one section (ux35; the interpreter's RecursiveReadLockTest runs the paths).
 */
class MmuReadNestingTest {

    private static final Program TWO = InvariantsTest.program(NxListsPerMmuTest.PER_MMU, b -> { },
            InvariantsTest.thread("t", b -> { }), InvariantsTest.thread("u", b -> { }));

    @Test
    void onlyTheReaderTakingItsOwnReadLockAgainIsRecursive() {
        VmState s = new MmuSystem(TWO).initial().copy();
        Lock.acquire(new Exec(TWO, s, 0, new StringBuilder()), LockId.mmu_lock, Lock.Mode.READ);
        assertThat(Lock.recursiveRead(s, 0, LockId.mmu_lock, Lock.Mode.READ)).isTrue();
        assertThat(Lock.recursiveRead(s, 1, LockId.mmu_lock, Lock.Mode.READ)).as("another reader").isFalse();
        assertThat(Lock.recursiveRead(s, 0, LockId.mmu_lock, Lock.Mode.WRITE)).as("a write: a deadlock, not this").isFalse();
        assertThat(Lock.recursiveRead(s, 0, LockId.rcu, Lock.Mode.READ)).as("rcu_read_lock() nests").isFalse();
        VmState none = new MmuSystem(TWO).initial().copy();
        assertThat(Lock.recursiveRead(none, 0, LockId.mmu_lock, Lock.Mode.READ)).as("not held").isFalse();
    }

    @Test
    void theNestedAcquireIsLockdepAtTheAttempt() {
        VmState s = new MmuSystem(TWO).initial().copy();
        Ops.Acquire read = new Ops.Acquire(LockId.mmu_lock, Lock.Mode.READ);
        read.exec(new Exec(TWO, s, 0, new StringBuilder()), 0);
        assertThat(Invariants.violated(Invariant.lockdep, s)).as("the first read_lock()").isFalse();
        read.exec(new Exec(TWO, s, 0, new StringBuilder()), 0);
        assertThat(Invariants.violated(Invariant.lockdep, s)).as("the second").isTrue();
    }

    @Test
    void theInnerUnlockLeavesTheOuterSectionHeld() {
        VmState s = new MmuSystem(TWO).initial().copy();
        Exec e = new Exec(TWO, s, 0, new StringBuilder());
        Lock.acquire(e, LockId.mmu_lock, Lock.Mode.READ);
        Lock.acquire(e, LockId.mmu_lock, Lock.Mode.READ);
        assertThat(s.threads[0].mmuReadDepth).isEqualTo(1);
        Lock.release(e, LockId.mmu_lock);
        assertThat(s.holdsMmuLock(0)).as("the outer section").isTrue();
        assertThat(s.threads[0].mmuReadDepth).isZero();
        Lock.release(e, LockId.mmu_lock);
        assertThat(s.holdsMmuLock(0)).isFalse();
        assertThat(Invariants.violated(Invariant.lock_balance, s)).isFalse();
        Lock.release(e, LockId.mmu_lock);
        assertThat(Invariants.violated(Invariant.lock_balance, s)).as("one unlock too many").isTrue();
    }
}
