package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.Lock.Mode;
import org.junit.jupiter.api.Test;

/**
 * tdp_iter_start() of a user's for_each_tdp_pte() reads SPTEs with rcu_dereference() since v5.12:
 * outside rcu_read_lock() it is lockdep (CONFIG_PROVE_RCU), held mmu_lock or not; 5.10's iterator
 * had no RCU. The built-in walks take rcu_read_lock() themselves and are not asked.
 */
class TdpIterRcuTest {
    private static final VmConfig V5_10 = withoutRcuIterator(TdpWalkYieldTest.VM);

    private static VmConfig withoutRcuIterator(VmConfig c) {
        return new VmConfig(c.mmu(), c.nxHugePages(), c.nxRecoveryRatio(), c.eagerPageSplit(), c.tdpLevels(), c.memslots(),
                c.vcpus(), c.preempt(), c.pml(), c.nxListPerMmu(), c.accessedBitVolatile(), c.setsPfnDirtyOnZap(),
                c.flushRemoteTlbsRange(), false);
    }

    private static boolean lockdep(VmConfig vm, TdpIter.Roots which, boolean rcu) {
        Run r = Run.of(vm, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            if (rcu) b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
            int it = b.locals("iter", TdpIter.SLOTS);
            b.emit(new MmuOps.IterStart(it, Expr.constant(0), Expr.constant(4), b.local("start"), b.local("end"),
                    Level.PG_LEVEL_4K, which));
        });
        return r.violated(Invariant.lockdep);
    }

    @Test
    void aUserWalkOutsideRcuReadLockIsLockdepSinceV512() {
        assertThat(lockdep(TdpWalkYieldTest.VM, TdpIter.Roots.ROOT, false)).isTrue();
        assertThat(lockdep(TdpWalkYieldTest.VM, TdpIter.Roots.ROOT, true)).isFalse();
        assertThat(lockdep(V5_10, TdpIter.Roots.ROOT, false)).as("5.10's iterator reads plainly").isFalse();
        assertThat(lockdep(TdpWalkYieldTest.VM, TdpIter.Roots.VALID, false)).as("a built-in walk is not asked").isFalse();
    }
}
