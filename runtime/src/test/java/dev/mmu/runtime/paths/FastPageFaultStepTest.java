package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * fast_page_fault() (mmu.c, v6.x): a write to an SPTE that dirty logging write-protected is fixed
 * without mmu_lock by a cmpxchg that restores PT_WRITABLE_MASK and marks the page dirty; a lost
 * race sends the vCPU back to the access.
 */
class FastPageFaultStepTest {
    static final VmConfig VM = new VmConfig(Mmu.TDP, false, 1, false, 4,
            List.of(new Memslot(0, 0, 512, 1, false, false)), 1);

    private static Stepper loggingWithWriteProtectedPage() {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.WRITE, Expr.constant(0x1000));
        DirtyLogPaths.dirtyLogEnable(setup, VM, 0);
        PathBuilder vcpu = new PathBuilder();
        FaultPaths.guestAccess(vcpu, VM, 0, Access.WRITE, Expr.constant(0x1000));
        return new Stepper(Stepper.program(VM, setup, ThreadProgram.of("vcpu 0", 0, vcpu)));
    }

    @Test
    void writeToAWriteProtectedSpteIsFixedWithoutMmuLock() {
        Stepper st = loggingWithWriteProtectedPage();
        Walk before = Walk.of(st.s, 1);
        assertThat(Spte.writable(before.spte())).as("dirty logging write-protected it").isFalse();
        assertThat(before.spte() & Spte.MMU_WRITABLE).as("but KVM may make it writable again").isNotZero();
        assertThat(st.s.dirty(0, 1)).isFalse();

        st.step(0, "vcpu 0 write"); // EPT violation: page_fault_can_be_fast()
        assertThat(Lock.held(st.s, 0, LockId.srcu)).as("the exit retakes kvm->srcu").isTrue();
        st.step(0, "fast_page_fault");
        assertThat(Lock.held(st.s, 0, LockId.srcu)).as("dropped to re-enter the guest").isFalse();
        assertThat(st.s.mmuWriter).isEqualTo(-1);
        assertThat(st.s.mmuReaders).as("no mmu_lock on the fast path").isZero();
        assertThat(Spte.writable(Walk.of(st.s, 1).spte())).isTrue();
        assertThat(st.s.dirty(0, 1)).as("mark_page_dirty_in_slot").isTrue();
        st.step(0, "vcpu 0 write"); // the retried access walks and fills the TLB
        assertThat(st.done(0)).isTrue();
        assertThat(st.s.violations).isZero();
    }

    @Test
    void aLostCmpxchgRetriesTheAccess() {
        Stepper st = loggingWithWriteProtectedPage();
        st.step(0, "vcpu 0 write");
        // Another thread changes the SPTE between the lockless read and the cmpxchg.
        Walk w = Walk.of(st.s, 1);
        st.s = st.s.copy();
        st.s.setSpte(w.spId(), w.index(), w.spte() ^ Spte.ACCESSED); // e.g. aging clears the A bit
        st.step(0, "fast_page_fault");
        assertThat(Spte.writable(Walk.of(st.s, 1).spte())).as("cmpxchg failed: nothing written").isFalse();
        assertThat(st.s.dirty(0, 1)).isFalse();
        assertThat(st.next(0)).isEqualTo("vcpu 0 write");
    }

    /**
     * A fast page fault that found the slot not logging (a huge SPTE may be fixed then) holds
     * kvm->srcu, so enabling dirty logging cannot write-protect and flush before the fix lands:
     * synchronize_srcu() waits for the vCPU (vcpu_enter_guest(), x86.c v6.12).
     */
    @Test
    void enablingDirtyLoggingWaitsForAFastPageFaultInFlight() {
        VmConfig c = new VmConfig(Mmu.TDP, false, 1, false, 4, List.of(new Memslot(0, 0, 512, 2, false, false)), 1);
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, c, 0, Access.WRITE, Expr.constant(0x1000));
        DirtyLogPaths.dirtyLogEnable(setup, c, 0);
        DirtyLogPaths.dirtyLogDisable(setup, c, 0); // a 2M SPTE, write-protected but MMU-writable
        PathBuilder ioctl = new PathBuilder();
        DirtyLogPaths.dirtyLogEnable(ioctl, c, 0);
        PathBuilder vcpu = new PathBuilder();
        FaultPaths.guestAccess(vcpu, c, 0, Access.WRITE, Expr.constant(0x1000));
        Stepper st = new Stepper(Stepper.program(c, setup, ThreadProgram.of("ioctl", -1, ioctl),
                ThreadProgram.of("vcpu 0", 0, vcpu)));
        assertThat(Walk.of(st.s, 1).level()).isEqualTo(2);
        st.step(1, "vcpu 0 write"); // EPT violation on the 2M SPTE: fast, the slot does not log
        st.step(0, "mutex_lock(slots_lock)");
        st.step(0, "kvm_set_memslot(KVM_MR_FLAGS_ONLY)");
        assertThat(st.next(0)).isEqualTo("synchronize_srcu");
        assertThat(st.system.program().threads().get(0).ops()[st.s.threads[0].pc].choices(st.s, 0))
                .as("synchronize_srcu waits for the vCPU's fault").isZero();
        st.step(1, "fast_page_fault");
        assertThat(Spte.writable(Walk.of(st.s, 1).spte())).isTrue();
        assertThat(st.s.dirty(0, 1)).as("fault->slot did not log: nothing to mark").isFalse();
        st.step(0, "synchronize_srcu");
        while (!st.done(0)) st.step(0, st.next(0));
        assertThat(Spte.writable(Walk.of(st.s, 1).spte())).as("write-protected after the fix").isFalse();
        assertThat(st.s.violations).isZero();
    }
}
