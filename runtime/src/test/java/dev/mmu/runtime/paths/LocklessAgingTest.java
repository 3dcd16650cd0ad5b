package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import org.junit.jupiter.api.Test;

/**
 * kvm_age_gfn() with range->lockless (v6.15+, the 6.18 and 7.2 prelude): no mmu_lock asserted,
 * and only the valid TDP roots walked, where the locked walk (6.12) visits invalidated roots too.
 */
class LocklessAgingTest {
    static final VmConfig HUGE = SlotOpsTest.HUGE;

    /** vCPU 0's read leaves a young leaf; its root is then invalidated (it stays, the vCPU holds it). */
    static Run ageAfterInvalidation(String primitive, boolean locked) {
        int[] young = new int[1];
        Run r = Run.of(HUGE, s -> SlotOpsTest.write(s, HUGE, 0x1000), b -> {
            young[0] = b.local("young");
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(DirtyLogPaths.call("kvm_tdp_mmu_invalidate_roots", -1));
            if (!locked) b.emit(new Ops.Release(LockId.mmu_lock));
            b.emit(DirtyLogPaths.call(primitive, young[0], 0x0, 0x200000));
            if (locked) b.emit(new Ops.Release(LockId.mmu_lock));
        });
        r.trace.append("young=").append(r.local(young[0]));
        return r;
    }

    @Test
    void theLocklessWalkSkipsAnInvalidatedRootWithoutALockdepReport() {
        Run lockless = ageAfterInvalidation("kvm_age_gfn_lockless", false);
        assertThat(lockless.trace()).as("no valid root holds the page").endsWith("young=0").doesNotContain("!! lockdep");
        Run locked = ageAfterInvalidation("kvm_age_gfn", true);
        assertThat(locked.trace()).as("6.12's walk visits the invalidated root").endsWith("young=1");
        assertThat(ageAfterInvalidation("kvm_test_age_gfn_lockless", false).trace()).endsWith("young=0");
    }

    /**
     * mmu shadow: kvm_rmap_age_gfn_range() finds every leaf in an rmap, those of a root only a vCPU
     * holds (obsolete) or the SMM root too (RmapWalks.shadowRoots()); before, only the VM's and the
     * invalidated roots were aged there.
     */
    @Test
    void onMmuShadowTheRmapsOfAVcpusAndTheSmmRootAreAged() {
        VmState s = RmapWalksTest.state(Mmu.SHADOW, false, Level.PG_LEVEL_4K, 0x201000);
        int root = s.root;
        s.vcpuRoots[0] = root;
        s.root = -1;
        Program p = InvariantsTest.program(s.config, b -> { }, InvariantsTest.thread("t", b -> { }));
        Exec e = new Exec(p, s, 0, new StringBuilder());
        assertThat(Aging.age(e, 0x200000, 0x400000, true, true)).as("the vCPU's root: young").isTrue();
        s.vcpuRoots[0] = -1;
        s.smmRoot = root;
        assertThat(Aging.age(e, 0x200000, 0x400000, true, true)).as("the SMM root: young").isTrue();
        assertThat(Aging.age(e, 0x200000, 0x400000, false, true)).as("cleared").isTrue();
        assertThat(Aging.age(e, 0x200000, 0x400000, true, true)).as("old now").isFalse();
    }
}
