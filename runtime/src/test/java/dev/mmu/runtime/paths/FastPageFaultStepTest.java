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
 * fast_page_fault() (mmu.c, v6.12) as the prelude writes it (FaultPaths): a write to an SPTE that
 * dirty logging write-protected is fixed without mmu_lock by a cmpxchg that restores
 * PT_WRITABLE_MASK and marks the page dirty; a lost race walks again inside the fault (srcu still
 * held) and tries again, at most 4 times more, then the slow path.
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
        st.step(0, "fast_pf_fix_direct_spte");
        assertThat(Lock.held(st.s, 0, LockId.srcu)).as("dropped to re-enter the guest").isFalse();
        assertThat(st.s.mmuWriter).isEqualTo(-1);
        assertThat(st.s.mmuReaders).as("no mmu_lock on the fast path").isZero();
        assertThat(Spte.writable(Walk.of(st.s, 1).spte())).isTrue();
        assertThat(st.s.dirty(0, 1)).as("mark_page_dirty_in_slot").isTrue();
        st.step(0, "vcpu 0 write"); // the retried access walks and fills the TLB
        assertThat(st.done(0)).isTrue();
        assertThat(st.s.violations).isZero();
    }

    /** Another task changes the SPTE between the lockless read and the cmpxchg (aging clears A). */
    private static void clearAccessed(Stepper st) {
        Walk w = Walk.of(st.s, 1);
        st.s = st.s.copy();
        st.s.setSpte(w.spId(), w.index(), w.spte() ^ Spte.ACCESSED);
    }

    @Test
    void aLostCmpxchgWalksAgainInsideTheFaultAndRetries() {
        Stepper st = loggingWithWriteProtectedPage();
        st.step(0, "vcpu 0 write");
        clearAccessed(st);
        st.step(0, "fast_pf_fix_direct_spte");
        assertThat(Spte.writable(Walk.of(st.s, 1).spte())).as("cmpxchg failed: nothing written").isFalse();
        assertThat(st.s.dirty(0, 1)).isFalse();
        assertThat(Lock.held(st.s, 0, LockId.srcu)).as("the retry stays inside srcu").isTrue();
        st.step(0, "fast_pf_get_last_sptep"); // the next pass reads the changed SPTE: still fixable
        assertThat(st.trace).anyMatch(l -> l.contains("lockless walk, MMU-writable, retry the cmpxchg"));
        st.step(0, "fast_pf_fix_direct_spte");
        assertThat(Spte.writable(Walk.of(st.s, 1).spte())).isTrue();
        assertThat(st.s.dirty(0, 1)).isTrue();
        assertThat(Lock.held(st.s, 0, LockId.srcu)).as("RET_PF_FIXED: back to the guest").isFalse();
        assertThat(st.next(0)).isEqualTo("vcpu 0 write");
    }

    @Test
    void aFifthLostCmpxchgGivesUpForTheSlowPath() {
        Stepper st = loggingWithWriteProtectedPage();
        st.step(0, "vcpu 0 write");
        for (int lost = 1; lost <= 5; lost++) {
            clearAccessed(st);
            st.step(0, "fast_pf_fix_direct_spte");
            if (lost < 5) st.step(0, "fast_pf_get_last_sptep");
        }
        assertThat(st.trace).anyMatch(l -> l.contains("cmpxchg lost the race"));
        assertThat(st.next(0)).as("if (++retry_count > 4) break: RET_PF_INVALID").isEqualTo("kvm_faultin_pfn");
        assertThat(Lock.held(st.s, 0, LockId.srcu)).as("the slow path runs inside srcu").isTrue();
        assertThat(Spte.writable(Walk.of(st.s, 1).spte())).isFalse();
        st.step(0, "kvm_faultin_pfn");
        st.step(0, "read_lock(mmu_lock)");
        st.map(0);
        st.step(0, "unlock mmu_lock, srcu");
        assertThat(Spte.writable(Walk.of(st.s, 1).spte())).as("the slow path makes it writable").isTrue();
        assertThat(st.s.dirty(0, 1)).isTrue();
    }

    @Test
    void theNextPassEndsTheFaultIfTheSpteIsWritableOrGone() {
        Stepper fixed = loggingWithWriteProtectedPage();
        fixed.step(0, "vcpu 0 write");
        Walk w = Walk.of(fixed.s, 1);
        fixed.s = fixed.s.copy();
        fixed.s.setSpte(w.spId(), w.index(), w.spte() | Spte.WRITABLE); // another vCPU fixed it
        fixed.step(0, "fast_pf_fix_direct_spte");
        fixed.step(0, "fast_pf_get_last_sptep");
        assertThat(fixed.trace).anyMatch(l -> l.contains("RET_PF_SPURIOUS"));
        assertThat(fixed.next(0)).isEqualTo("vcpu 0 write");
        assertThat(Lock.held(fixed.s, 0, LockId.srcu)).isFalse();
        assertThat(fixed.s.dirty(0, 1)).as("no mark: this fault did not set W").isFalse();

        Stepper zapped = loggingWithWriteProtectedPage();
        zapped.step(0, "vcpu 0 write");
        zapped.s = zapped.s.copy();
        zapped.s.setSpte(w.spId(), w.index(), 0); // zapped meanwhile
        zapped.step(0, "fast_pf_fix_direct_spte");
        zapped.step(0, "fast_pf_get_last_sptep");
        assertThat(zapped.next(0)).as("RET_PF_INVALID: the slow path").isEqualTo("kvm_faultin_pfn");
        assertThat(Lock.held(zapped.s, 0, LockId.srcu)).isTrue();
    }

    @Test
    void theFaultsLocalsAreDeadPastTheReturn() {
        var ret = new FaultOps.FastPageFaultReturn(7, 2, 3);
        assertThat(ret.targets(20)).containsExactly(2, 3);
        assertThat(ret.localsRead()).containsExactly(7);
        assertThat(ret.localsWritten(20, 2)).as("it zeroes nothing: dead-locals elimination drops them").isEmpty();
        PathBuilder vcpu = new PathBuilder();
        FaultPaths.guestAccess(vcpu, VM, 0, Access.WRITE, Expr.constant(0x1000));
        Program p = Stepper.program(VM, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, vcpu));
        Op[] ops = p.threads().get(0).ops();
        int at = 0;
        while (!(ops[at] instanceof Ops.Atomic a && a.inner() instanceof FaultOps.FastPageFaultReturn)) at++;
        java.util.BitSet[] live = LiveLocals.of(p)[0];
        List<String> names = p.threads().get(0).localNames();
        for (int target : ops[at].targets(at)) {
            assertThat(live[target].stream().mapToObj(names::get))
                    .as("past the return: nothing of fast_page_fault is live").doesNotContain("ret", "retry_count", "pass");
        }
        Expr gpa = Expr.constant(0x1000);
        assertThat(new FaultOps.FastPfFixDirectSpte(0, gpa, 4, 5, 6).localsRead()).containsExactlyInAnyOrder(4, 5);
        assertThat(new FaultOps.FastPfFixDirectSpte(0, gpa, 4, 5, 6).localsWritten(1, 2)).containsExactly(6);
        assertThat(new FaultOps.FastPfGetLastSptep(0, gpa, 4, 5, 6).localsWritten(1, 2)).containsExactlyInAnyOrder(4, 6);
        assertThat(new FaultOps.FastPfGetLastSptep(0, gpa, 4, 5, 6).forVcpu(1).vcpu()).isEqualTo(1);
    }

    /**
     * A 2M SPTE that enabling dirty logging write-protected: fast_page_fault() does not make it
     * writable (only the first 4K page would be marked dirty), the slow path splits it.
     */
    @Test
    void aHugeSpteOfALoggingSlotIsLeftToTheSlowPath() {
        VmConfig c = new VmConfig(Mmu.TDP, false, 1, false, 4, List.of(new Memslot(0, 0, 512, 2, false, false)), 1);
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, c, 0, Access.WRITE, Expr.constant(0x1000));
        DirtyLogPaths.dirtyLogEnable(setup, c, 0);
        PathBuilder vcpu = new PathBuilder();
        FaultPaths.guestAccess(vcpu, c, 0, Access.WRITE, Expr.constant(0x1000));
        Stepper st = new Stepper(Stepper.program(c, setup, ThreadProgram.of("vcpu 0", 0, vcpu)));
        Walk w = Walk.of(st.s, 1);
        assertThat(w.level()).isEqualTo(2);
        assertThat(w.spte() & Spte.MMU_WRITABLE).isNotZero();
        st.step(0, "vcpu 0 write");
        assertThat(st.next(0)).isEqualTo("kvm_faultin_pfn");
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
        st.step(1, "fast_pf_fix_direct_spte");
        assertThat(Spte.writable(Walk.of(st.s, 1).spte())).isTrue();
        assertThat(st.s.dirty(0, 1)).as("fault->slot did not log: nothing to mark").isFalse();
        st.step(0, "synchronize_srcu");
        while (!st.done(0)) st.step(0, st.next(0));
        assertThat(Spte.writable(Walk.of(st.s, 1).spte())).as("write-protected after the fix").isFalse();
        assertThat(st.s.violations).isZero();
    }
}
