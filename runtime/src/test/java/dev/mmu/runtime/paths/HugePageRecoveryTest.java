package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import org.junit.jupiter.api.Test;

/** recover_huge_pages_range() (v6.13+, the 6.18 and 7.2 prelude): a table recovered in place, its flush owed. */
class HugePageRecoveryTest {
    static final VmConfig HUGE = SlotOpsTest.HUGE;

    /** Dirty logging on, two 4K writes (a 2M table of 4K leaves), logging off again. */
    static void loggedThenOff(PathBuilder s) {
        DirtyLogPaths.dirtyLogEnable(s, HUGE, 0);
        SlotOpsTest.write(s, HUGE, 0x1000);
        SlotOpsTest.write(s, HUGE, 0x3000);
        DirtyLogPaths.setLogDirty(s, 0, false);
    }

    static Run recover(Mode mode) {
        int pos = Memslots.position(HUGE, 0);
        return Run.of(HUGE, HugePageRecoveryTest::loggedThenOff, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
            HugePageRecovery.recoverHugePagesRange(b, pos, mode);
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
    }

    @Test
    void aCollapsibleTableBecomesTheHugeLeafOfItsOwnPagesAndTheOwedFlushIsDone() {
        VmState before = new MmuSystem(InvariantsTest.program(HUGE, HugePageRecoveryTest::loggedThenOff)).initial();
        assertThat(Walk.of(before, 1).level()).as("4K leaves while logging").isEqualTo(1);
        assertThat(Queries.tlb(before, 0, 0x3000)).as("vCPU 0 caches a 4K translation").isNotZero();
        Run r = recover(Mode.READ);
        assertThat(r.trace()).contains("in place of its table, flush owed");
        assertThat(Walk.of(r.s, 1).level()).as("a 2M leaf, no fault needed: %s", r.trace()).isEqualTo(2);
        assertThat(Walk.of(r.s, 1).pfnOf(1)).as("the same page").isEqualTo(Walk.of(before, 1).pfnOf(1));
        assertThat(Walk.of(r.s, 3).pfnOf(3)).isEqualTo(Walk.of(before, 3).pfnOf(3));
        assertThat(Queries.tlb(r.s, 0, 0x3000)).as("flushed before rcu_read_unlock").isZero();
        assertThat(r.s.violations).as(r.trace()).isZero();
    }

    /**
     * make_huge_spte() of the first present leaf under the table, found through a table in
     * between (a 1G entry's 2M table), skipping a frozen entry; X is dropped under NX huge pages.
     */
    @Test
    void theHugeSpteIsMadeFromTheFirstPresentLeafUnderTheTable() {
        VmState s = new MmuSystem(InvariantsTest.program(HUGE, HugePageRecoveryTest::loggedThenOff)).initial().copy();
        Walk leaf1 = Walk.of(s, 1);
        long base = leaf1.pfnOf(1) - 1;
        int table = leaf1.spId();
        long huge = HugePageRecovery.makeHugeSpte(s, table, 0, false);
        assertThat(Spte.pfn(huge)).as("the 2M page's first pfn").isEqualTo(base);
        assertThat(Spte.leaf(huge) && Spte.present(huge)).isTrue();
        assertThat(Spte.exec(huge)).isEqualTo(Spte.exec(leaf1.spte()));
        assertThat(Spte.writable(huge)).isEqualTo(Spte.writable(leaf1.spte()));
        assertThat(Spte.exec(HugePageRecovery.makeHugeSpte(s, table, 0, true))).as("NX huge pages: no X").isFalse();
        int above = s.sp(table).parent;
        assertThat(Spte.pfn(HugePageRecovery.makeHugeSpte(s, above, 0, false))).as("through the 2M table").isEqualTo(base);
        s.setSpte(table, leaf1.index(), Spte.FROZEN);
        assertThat(Spte.pfn(HugePageRecovery.makeHugeSpte(s, table, 0, false)))
                .as("a frozen entry is skipped: the next leaf, gfn 3, gives the same page").isEqualTo(base);
        assertThat(HugePageRecovery.makeHugeSpte(s, 9999, 0, false)).as("no such table").isZero();
    }

    /**
     * if (WARN_ON_ONCE(kvm_slot_dirty_track_enabled(slot))) return; (tdp_mmu.c:1764): a recovery
     * while the slot still logs dirty pages splats and leaves every table, taking no RCU and no root
     * reference (trial15); once logging is off the same path recovers without a warning.
     */
    @Test
    void aRecoveryWhileTheSlotLogsDirtyPagesWarnsAndRecoversNothing() {
        int pos = Memslots.position(HUGE, 0);
        Run r = Run.of(HUGE, s -> {
            DirtyLogPaths.dirtyLogEnable(s, HUGE, 0);
            SlotOpsTest.write(s, HUGE, 0x1000);
        }, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
            HugePageRecovery.recoverHugePagesRange(b, pos, Mode.READ);
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(r.trace()).contains("!! kernel_warning: WARNING: at arch/x86/kvm/mmu/tdp_mmu.c:1764"
                + " recover_huge_pages_range(): WARN_ON_ONCE(kvm_slot_dirty_track_enabled(slot))");
        assertThat(r.violated(dev.mmu.runtime.model.Invariant.kernel_warning)).isTrue();
        assertThat(Walk.of(r.s, 1).level()).as("the table is left: %s", r.trace()).isEqualTo(1);
        String after = r.trace().substring(r.trace().indexOf("!! kernel_warning"));
        assertThat(after).as("no walk after the splat").doesNotContain("rcu_read_lock").doesNotContain("put_root")
                .contains("read_unlock(mmu_lock)");
        assertThat(r.trace()).doesNotContain("in place of its table");
        assertThat(r.violated(dev.mmu.runtime.model.Invariant.lock_balance)).as(r.trace()).isFalse();
        Run off = recover(Mode.READ);
        assertThat(off.violated(dev.mmu.runtime.model.Invariant.kernel_warning)).isFalse();
    }

    @Test
    void underTheWriteLockTheAtomicInstallIsALockdepViolation() {
        assertThat(recover(Mode.WRITE).trace())
                .contains("!! lockdep: tdp_mmu_set_spte_atomic() needs mmu_lock held for read, not write");
    }
}
