package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmState;
import org.junit.jupiter.api.Test;

/** What each lock requirement a primitive can declare accepts, and declarations the registry refuses. */
class LockdepTest {
    private static final int T = 0;
    private static final int OTHER = 1;

    private static VmState state() {
        return new VmState(Stepper.vm(Mmu.TDP, 1), 2, new int[] {0, 0}, 4);
    }

    @Test
    void mmuLockModes() {
        VmState none = state();
        VmState read = state();
        read.mmuReaders = 1L << T;
        VmState write = state();
        write.mmuWriter = T;
        VmState otherWrites = state();
        otherWrites.mmuWriter = OTHER;
        assertThat(Lockdep.NONE.satisfied(none, T)).isTrue();
        assertThat(Lockdep.MMU_HELD.satisfied(read, T)).isTrue();
        assertThat(Lockdep.MMU_HELD.satisfied(write, T)).isTrue();
        assertThat(Lockdep.MMU_HELD.satisfied(none, T)).isFalse();
        assertThat(Lockdep.MMU_HELD.satisfied(otherWrites, T)).as("held by another thread").isFalse();
        assertThat(Lockdep.MMU_READ.satisfied(read, T)).isTrue();
        assertThat(Lockdep.MMU_READ.satisfied(write, T)).isFalse();
        assertThat(Lockdep.MMU_WRITE.satisfied(write, T)).isTrue();
        assertThat(Lockdep.MMU_WRITE.satisfied(read, T)).isFalse();
        assertThat(Lockdep.MMU_WRITE.describe()).isEqualTo("mmu_lock held for write");
    }

    @Test
    void aSpinlockIsHeldByItsOwner() {
        Lockdep pagesLock = Lockdep.held(LockId.tdp_mmu_pages_lock);
        VmState s = state();
        assertThat(pagesLock.satisfied(s, T)).isFalse();
        s.mutexOwner[1] = OTHER;
        assertThat(pagesLock.satisfied(s, T)).isFalse();
        s.mutexOwner[1] = T;
        assertThat(pagesLock.satisfied(s, T)).isTrue();
        assertThat(pagesLock.describe()).isEqualTo("tdp_mmu_pages_lock held");
    }

    /**
     * The twelfth session's additions (PIT survivors): a thread other than 0 holding mmu_lock for
     * read, the RCU requirement and what the violation's text says is missing, the NX list's
     * "mmu_lock for write or the spinlock", and that only NONE asserts nothing.
     */
    @Test
    void readersOtherThanThreadZeroRcuAndWhatIsMissing() {
        VmState otherReads = state();
        otherReads.mmuReaders = 1L << OTHER;
        assertThat(Lockdep.MMU_READ.satisfied(otherReads, OTHER)).isTrue();
        assertThat(Lockdep.MMU_READ.satisfied(otherReads, T)).isFalse();
        Lockdep readRcu = Lockdep.MMU_READ.andRcu();
        assertThat(readRcu.satisfied(otherReads, OTHER)).as("no rcu_read_lock()").isFalse();
        assertThat(readRcu.unmet(otherReads, OTHER)).startsWith("rcu_read_lock() (CONFIG_PROVE_RCU");
        VmState none = state();
        assertThat(readRcu.unmet(none, OTHER)).isEqualTo("mmu_lock held for read and rcu_read_lock()");
        none.rcuReaders = 1L << OTHER;
        assertThat(readRcu.unmet(none, OTHER)).as("only the lock is missing").isEqualTo("mmu_lock held for read");
        otherReads.rcuReaders = 1L << OTHER;
        assertThat(readRcu.satisfied(otherReads, OTHER)).isTrue();
        assertThat(Lockdep.NONE.andRcu().describe()).isEqualTo("rcu_read_lock()");

        Lockdep nxList = Lockdep.mmuWriteOr(LockId.tdp_mmu_pages_lock);
        VmState write = state();
        write.mmuWriter = T;
        assertThat(nxList.satisfied(write, T)).isTrue();
        VmState spin = state();
        spin.mutexOwner[1] = T;
        assertThat(nxList.satisfied(spin, T)).isTrue();
        assertThat(nxList.satisfied(state(), T)).isFalse();
        // the kernel asserts neither lock there: the text says the rule is the list's (trial8)
        assertThat(nxList.unmet(state(), T)).isEqualTo("mmu_lock held for write or tdp_mmu_pages_lock held"
                + " (the NX list's locks: the kernel asserts neither, but the list_add/list_del would race)");
        assertThat(Lockdep.held(LockId.tdp_mmu_pages_lock).describe()).isEqualTo("tdp_mmu_pages_lock held");
        Lockdep spinWrite = new Lockdep(LockId.tdp_mmu_pages_lock, Lockdep.Mode.WRITE, false);
        assertThat(spinWrite.satisfied(spin, T)).isTrue();
        assertThat(spinWrite.satisfied(spin, OTHER)).isFalse();

        assertThat(Lockdep.NONE.asserts()).isFalse();
        assertThat(Lockdep.NONE.andRcu().asserts()).isTrue();
        assertThat(Lockdep.MMU_HELD.asserts()).isTrue();
    }

    @Test
    void declarationsTheRegistryRefuses() {
        assertThatThrownBy(() -> Primitives.declare("f(gfn: long)")).hasMessageContaining("unknown type 'long'");
        assertThatThrownBy(() -> Primitives.declare("f(flush: bool = 1)")).hasMessageContaining("true or false");
        assertThatThrownBy(() -> Primitives.declare("f(gfn)")).hasMessageContaining("not a parameter");
        assertThatThrownBy(() -> Primitives.declare("f gfn: int")).hasMessageContaining("not a signature");
        assertThatThrownBy(() -> Primitives.declare("tdp_zap_sp(sp: sp) -> bool").mirrors("kvm_tdp_mmu_zap_sp", "v6.x")
                .doc("again").step(Footprint.LOCAL, (e, a) -> 0)).hasMessageContaining("declared twice");
        assertThatThrownBy(() -> Primitives.declare("g()").doc("no kernel function").expanded())
                .hasMessageContaining("mirrors(...) missing");
    }

    /**
     * Ops.LockdepAssert, an expanded walk's check on entry (trial 16): the lock missing in the
     * kernel function's words, nothing when it is held; it reads only this thread's holding.
     */
    @Test
    void anExpandedWalksCheckOnEntryNamesTheFunctionAndWhatIsMissing() {
        Ops.LockdepAssert op = new Ops.LockdepAssert(Lockdep.MMU_WRITE, "zap_gfn_range");
        Run read = Run.of(TdpWalkYieldTest.VM, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Lock.Mode.READ));
            b.emit(op);
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(read.trace()).contains("!! lockdep: zap_gfn_range() needs mmu_lock held for write");
        assertThat(read.violated(dev.mmu.runtime.model.Invariant.lockdep)).isTrue();
        Run write = Run.of(TdpWalkYieldTest.VM, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Lock.Mode.WRITE));
            b.emit(op);
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(write.violated(dev.mmu.runtime.model.Invariant.lockdep)).isFalse();
        assertThat(op.footprint()).isEqualTo(Footprint.updates(Resource.VIOLATIONS));
        assertThat(op.localsRead()).isEmpty();
        assertThat(op.describe()).isEqualTo("zap_gfn_range(): lockdep_assert mmu_lock held for write");
        assertThat(op.choices(state(), T)).isEqualTo(1);
    }
}
