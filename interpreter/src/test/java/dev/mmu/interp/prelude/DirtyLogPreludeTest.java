package dev.mmu.interp.prelude;

import static dev.mmu.interp.prelude.PreludeStepper.finish;
import static dev.mmu.interp.prelude.PreludeStepper.step;
import static dev.mmu.interp.prelude.PreludeStepper.until;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.Ops;
import dev.mmu.runtime.paths.Tlbs;
import dev.mmu.runtime.paths.Walk;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The prelude's dirty logging (kernel/kvm_main.mmu dirty_log_enable, clear_dirty_log;
 * kernel/x86.mmu kvm_mmu_slot_apply_flags; kernel/mmu.mmu and tdp_mmu.mmu), v6.12, stepped one
 * atomic step at a time.
 */
class DirtyLogPreludeTest {
    private static MmuSystem system(String mmu, String paths, String threads) {
        Loaded loaded = ScenarioLoader.load("dirty.mmu", """
                %s
                scenario "s" {
                  vm {
                    mmu %s
                    nx_huge_pages off
                  }
                  memslot 0 { gpa 0x0 size 2M backing 2M }
                  vcpus 1
                  setup { vcpu 0 write 0x1000 }
                  %s
                }
                """.formatted(paths, mmu, threads));
        assertThat(loaded.diagnostics()).isEmpty();
        return new MmuSystem(loaded.scenarios().get(0).program().readByAnyExpectation()); // op by op
    }

    private static Walk leaf(VmState s) {
        return Walk.of(s, 1);
    }

    @Test
    void enableWriteProtectsUnderTheReadLockAndFlushesAfterTheUnlock() {
        MmuSystem m = system("tdp", "", "thread t { dirty_log_enable 0 }");
        VmState s = until(m, m.initial(), 0, x -> x.slotLogging == 1);
        assertThat(s.dirtyLogBusy).as("the ioctl's window opens with the flag").isEqualTo(1);
        s = until(m, s, 0, x -> !Spte.writable(leaf(x).spte()));
        assertThat(leaf(s).level()).as("eager split first").isEqualTo(1);
        assertThat(s.mmuReaders).as("wrprot_gfn_range under read_lock").isEqualTo(1);
        long flushes = s.stat(Stat.remote_tlb_flush);
        s = until(m, s, 0, x -> x.mmuReaders == 0);
        assertThat(s.stat(Stat.remote_tlb_flush)).as("no flush under the lock").isEqualTo(flushes);
        s = step(m, s, 0); // kvm_flush_remote_tlbs_memslot
        assertThat(s.stat(Stat.remote_tlb_flush)).isEqualTo(flushes + 1);
        assertThat(s.dirtyLogBusy).as("open until the ioctl returns").isEqualTo(1);
        assertThat(s.mutexOwner[0]).as("still under slots_lock").isEqualTo(0);
        s = finish(m, s, 0);
        assertThat(s.dirtyLogBusy).isZero();
        assertThat(s.violations).isZero();
    }

    @Test
    void anEnableThatSkipsTheFlushEndsItsWindowWithSlotsLock() {
        // kvm_mmu_slot_apply_flags() patched to drop its flush (the pre-b64d740ea7dd shape).
        MmuSystem m = system("tdp", """
                path kvm_mmu_slot_apply_flags(slot: int, log_dirty_pages: bool) {
                  kvm_mmu_slot_remove_write_access(slot)
                }
                """, "thread t { dirty_log_enable 0 }");
        VmState s = until(m, m.initial(), 0, x -> x.mmuReaders == 0 && !Spte.writable(leaf(x).spte()));
        assertThat(s.dirtyLogBusy).isEqualTo(1);
        s = finish(m, s, 0);
        assertThat(s.dirtyLogBusy).as("the ioctl returned: a write through the stale TLB is lost").isZero();
        assertThat(Tlbs.lookup(s, 0, 1).writable()).isTrue();
    }

    @Test
    void eagerSplitIsTheTdpMmusOnly() {
        // kvm_mmu_slot_try_split_huge_pages(): if (!tdp_mmu_enabled) return;
        MmuSystem m = system("shadow", "", "thread t { eager_split 0 }");
        VmState s = finish(m, m.initial(), 0);
        assertThat(leaf(s).level()).as("the 2M SPTE stays").isEqualTo(2);
        assertThat(s.mmuWriter).isEqualTo(-1);
        MmuSystem tdp = system("tdp", "", "thread t { eager_split 0 }");
        assertThat(Arrays.stream(tdp.program().threads().get(0).ops()).filter(op -> !(op instanceof Ops.Assign))
                .findFirst()).as("after the parameter, no op for `if vm.tdp_mmu`")
                .contains(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
        assertThat(leaf(finish(tdp, tdp.initial(), 0)).level()).isEqualTo(1);
    }

    @Test
    void clearDirtyLogWithNothingDirtyNeitherFlushesNorOpensAWindow() {
        MmuSystem m = system("tdp", "", "thread t { dirty_log_enable 0; clear_dirty_log 0 }");
        VmState s = until(m, m.initial(), 0, x -> x.slotLogging == 1);
        s = until(m, s, 0, x -> slotsLockFree(x));
        long flushes = s.stat(Stat.remote_tlb_flush);
        s = finish(m, s, 0);
        assertThat(s.stat(Stat.remote_tlb_flush)).isEqualTo(flushes);
        assertThat(s.dirtyLogBusy).isZero();
        assertThat(s.violations).isZero();
    }

    /** Between the two ioctls: slots_lock free. */
    private static boolean slotsLockFree(VmState s) {
        return s.mutexOwner[0] == -1;
    }
}
