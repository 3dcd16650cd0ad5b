package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.Stepper.HPAGE_GPA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import org.junit.jupiter.api.Test;

/** Which ops {@link StepMerging} runs in the step before them, and which it keeps as steps. */
class StepMergingTest {
    static final VmConfig VM = Stepper.vm(Mmu.TDP, 2);
    static final Expr TLB_1 = Expr.of(Footprint.reads(Resource.TLB).naming(1), (s, t) -> Queries.tlb(s, 1, HPAGE_GPA));

    /** Under write_lock(mmu_lock): x = tlb(1, gpa); y = 1; then write_unlock. */
    static ThreadProgram reader() {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new Ops.Assign(b.local("x"), TLB_1, "x = tlb(1)"));
        b.emit(new Ops.Assign(b.local("y"), Expr.constant(1), "y = 1"));
        b.emit(new Ops.Release(LockId.mmu_lock));
        return ThreadProgram.of("a", -1, b);
    }

    static ThreadProgram vcpu1() {
        PathBuilder b = new PathBuilder();
        FaultPaths.guestAccess(b, VM, 1, Access.READ, Expr.constant(HPAGE_GPA));
        return ThreadProgram.of("vcpu 1", 1, b);
    }

    /** Under write_lock(mmu_lock) too: flushes every TLB. */
    static ThreadProgram flusher() {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        KernelFixtures.flushRemoteTlbs(b);
        b.emit(new Ops.Release(LockId.mmu_lock));
        return ThreadProgram.of("b", -1, b);
    }

    static Program program(ThreadProgram... threads) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.READ, Expr.constant(HPAGE_GPA));
        return Stepper.program(VM, setup, threads);
    }

    @Test
    void aTlbReadUnderMmuLockIsAStepWhileAVcpuCanStillFillTheTlb() {
        Stepper st = new Stepper(program(reader(), vcpu1()));
        st.step(0, "write_lock(mmu_lock)");
        assertThat(st.next(0)).as("the guest access needs no mmu_lock").isEqualTo("x = tlb(1)");
        st.step(0, "x = tlb(1)");
        assertThat(st.next(0)).as("a local assignment merges").isEqualTo("release mmu_lock");
    }

    @Test
    void aTlbReadMergesOnceNoOtherThreadCanChangeIt() {
        Stepper st = new Stepper(program(reader(), vcpu1()));
        st.step(1, "vcpu 1 read");
        assertThat(st.done(1)).isTrue();
        st.step(0, "write_lock(mmu_lock)");
        assertThat(st.next(0)).isEqualTo("release mmu_lock");
        assertThat(st.s.threads[0].locals[0]).as("x read in the lock's step").isEqualTo(1);
    }

    @Test
    void whatAnotherThreadDoesOnlyAfterTakingTheHeldLockDoesNotCount() {
        Stepper st = new Stepper(program(reader(), flusher()));
        st.step(0, "write_lock(mmu_lock)");
        assertThat(st.next(0)).as("b's flush waits for mmu_lock").isEqualTo("release mmu_lock");
    }

    @Test
    void withoutTheLockTheOtherThreadsFlushCounts() {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Assign(b.local("x"), TLB_1, "x = tlb(1)"));
        b.emit(new Ops.Note("end"));
        Stepper st = new Stepper(program(ThreadProgram.of("a", -1, b), flusher()));
        assertThat(st.next(0)).as("not run before the race starts").isEqualTo("x = tlb(1)");
        st.step(1, "write_lock(mmu_lock)");
        st.step(1, "flush_remote_tlbs()");
        st.step(1, "release mmu_lock");
        st.step(0, "x = tlb(1)");
        assertThat(st.done(0)).as("`end` is a step: ending the thread checks its locks").isFalse();
    }

    @Test
    void mergingOffMakesEveryOpAStep() {
        MmuSystem plain = new MmuSystem(program(reader()), false);
        var s = plain.step(plain.initial(), 0, 0, null);
        assertThat(s.threads[0].pc).as("x = tlb(1) is next, alone as it is").isEqualTo(1);
        s = plain.step(s, 0, 0, null);
        assertThat(s.threads[0].pc).as("y = 1 too").isEqualTo(2);
        MmuSystem merged = new MmuSystem(program(reader()));
        assertThat(merged.step(merged.initial(), 0, 0, null).threads[0].pc).isEqualTo(3);
    }
    /** write_lock(mmu_lock); if need_resched: cond_resched_rwlock_write(); write_unlock. */
    static ThreadProgram yielder() {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        int check = b.placeholder();
        KernelFixtures.condReschedRwlockWrite(b);
        b.patch(check, new Ops.NeedResched(b.here()));
        b.emit(new Ops.Release(LockId.mmu_lock));
        return ThreadProgram.of("b", -1, b);
    }

    /** y = 1; write_lock(mmu_lock); write_unlock. */
    static ThreadProgram locker() {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Assign(b.local("y"), Expr.constant(1), "y = 1"));
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new Ops.Release(LockId.mmu_lock));
        return ThreadProgram.of("a", -1, b);
    }

    @Test
    void aThreadAboutToTakeMmuLockIsNoWaiterSoTheOpBringingItThereMerges() {
        Stepper st = new Stepper(program(locker(), yielder()));
        assertThat(st.next(0)).as("rwlock_needbreak() sees only the queue, not where a's pc stands")
                .isEqualTo("write_lock(mmu_lock)");
    }

    @Test
    void aNeedReschedNoIsAStepWhileAnotherThreadCanStillQueueOnMmuLock() {
        Stepper st = new Stepper(program(locker(), yielder()));
        st.step(1, "write_lock(mmu_lock)");
        st.step(1, "if need_resched", 0);
        assertThat(st.next(1)).as("a may queue before the unlock: rwlock_needbreak() would then say yes")
                .isEqualTo("release mmu_lock");
    }

    @Test
    void aNeedReschedNoMergesOnceNoThreadCanQueue() {
        Stepper st = new Stepper(program(locker(), yielder()));
        st.step(0, "write_lock(mmu_lock)");
        st.step(0, "release mmu_lock");
        st.step(1, "write_lock(mmu_lock)");
        st.step(1, "if need_resched", 0);
        assertThat(st.done(1)).as("the unlock ran in the need_resched() step").isTrue();
    }

    /** Under mmu_lock (for `mode`) and then `lock`: x = tlb(1); release both. */
    static ThreadProgram readerUnder(Mode mode, LockId lock) {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
        if (lock != null) b.emit(new Ops.Acquire(lock, Mode.WRITE));
        b.emit(new Ops.Assign(b.local("x"), TLB_1, "x = tlb(1)"));
        b.emit(new Ops.Assign(b.local("y"), Expr.constant(1), "y = 1"));
        if (lock != null) b.emit(new Ops.Release(lock));
        b.emit(new Ops.Release(LockId.mmu_lock));
        return ThreadProgram.of("a", -1, b);
    }

    /** Under mmu_lock (for `mode`) and then `lock`: flushes every TLB. */
    static ThreadProgram flusherUnder(Mode mode, LockId lock) {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
        if (lock != null) b.emit(new Ops.Acquire(lock, Mode.WRITE));
        KernelFixtures.flushRemoteTlbs(b);
        if (lock != null) b.emit(new Ops.Release(lock));
        b.emit(new Ops.Release(LockId.mmu_lock));
        return ThreadProgram.of("b", -1, b);
    }

    /** Whether a's TLB read ran in the step that took its last lock (b not started). */
    static boolean merged(ThreadProgram a, ThreadProgram b) {
        Stepper st = new Stepper(program(a, b));
        while (st.next(0).contains("lock(")) st.step(0, st.next(0));
        return !st.next(0).equals("x = tlb(1)");
    }

    @Test
    void eachHeldLockStopsTheThreadsThatMustTakeItFirst() {
        for (LockId lock : new LockId[] {LockId.tdp_mmu_pages_lock, LockId.mmu_unsync_pages_lock}) {
            assertThat(merged(readerUnder(Mode.READ, lock), flusherUnder(Mode.READ, lock))).as("%s held", lock).isTrue();
        }
        assertThat(merged(readerUnder(Mode.READ, LockId.tdp_mmu_pages_lock), flusherUnder(Mode.READ, LockId.mmu_unsync_pages_lock)))
                .as("another spinlock stops nothing").isFalse();
        assertThat(merged(readerUnder(Mode.READ, LockId.mmu_unsync_pages_lock), flusherUnder(Mode.READ, LockId.tdp_mmu_pages_lock)))
                .isFalse();
        assertThat(merged(readerUnder(Mode.READ, null), flusherUnder(Mode.WRITE, null))).as("a reader stops a writer").isTrue();
        assertThat(merged(readerUnder(Mode.READ, null), flusherUnder(Mode.READ, null))).as("but not another reader").isFalse();
    }

    @Test
    void slotsLockHeldStopsAThreadThatMustTakeItFirst() {
        PathBuilder a = new PathBuilder();
        a.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        a.emit(new Ops.Assign(a.local("x"), TLB_1, "x = tlb(1)"));
        a.emit(new Ops.Release(LockId.slots_lock));
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        KernelFixtures.flushRemoteTlbs(b);
        b.emit(new Ops.Release(LockId.slots_lock));
        assertThat(merged(ThreadProgram.of("a", -1, a), ThreadProgram.of("b", -1, b))).isTrue();
        assertThat(merged(ThreadProgram.of("a", -1, a), flusher())).as("b needs only mmu_lock").isFalse();
        assertThat(merged(readerUnder(Mode.WRITE, null), ThreadProgram.of("b", -1, b))).as("b needs only slots_lock").isFalse();
    }

    @Test
    void anAtomicBlockIsOneStepEvenWithMergingOff() {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new Ops.Atomic(new Ops.Assign(b.local("x"), TLB_1, "x = tlb(1)")));
        b.emit(new Ops.Release(LockId.mmu_lock));
        MmuSystem plain = new MmuSystem(program(ThreadProgram.of("a", -1, b), vcpu1()), false);
        var s = plain.step(plain.initial(), 0, 0, null);
        assertThat(s.threads[0].pc).isEqualTo(2);
    }

    /**
     * An atomic block runs in the step of the op that falls into it (its note): whether that op may
     * join the step before is decided on the block too. Here b may store between a's load and a's
     * block, so the note is a step of its own; on its note's footprint alone (LOCAL) the block
     * joined the load, and the lost update that needs b in between was never explored.
     */
    @Test
    void anAtomicBlockIsDecidedOnWhatItRunsNotOnItsNote() {
        Stepper st = toy(0, IndependenceTest.thread("a", IndependenceTest.load(Resource.HOST), new Ops.Note("atomic {"),
                new Ops.Atomic(IndependenceTest.store(Resource.HOST)), IndependenceTest.END),
                IndependenceTest.thread("b", IndependenceTest.store(Resource.HOST), IndependenceTest.END));
        st.step(0, "load HOST");
        assertThat(st.next(0)).as("b may store before a's block").isEqualTo("atomic {");
        st.step(1, "store HOST");
        st.step(0, "atomic {");
        assertThat(st.next(0)).as("the block ran in its note's step").isEqualTo("<done>");
    }

    /**
     * An acquire inside an atomic block whose lock another thread holds ends the step before it:
     * the thread queues, waits, and runs the rest of the block in one step once the lock is free.
     * It re-queued itself within the block's one step.
     */
    @Test
    void anAtomicBlockWaitsForALockHeldElsewhere() {
        var lock = new Ops.Acquire(dev.mmu.runtime.model.LockId.mmu_lock, Lock.Mode.WRITE);
        var unlock = new Ops.Release(dev.mmu.runtime.model.LockId.mmu_lock);
        Stepper st = toy(0, IndependenceTest.thread("a", lock, unlock, IndependenceTest.END),
                IndependenceTest.thread("b", new Ops.Note("atomic {"), new Ops.Atomic(lock),
                        new Ops.Atomic(IndependenceTest.store(Resource.HOST)), new Ops.Atomic(unlock), IndependenceTest.END));
        st.step(0, "write_lock(mmu_lock)");
        st.step(1, "atomic {");
        assertThat(st.next(1)).as("the block stops at the held lock").isEqualTo("write_lock(mmu_lock)");
        st.step(1, "write_lock(mmu_lock)");
        assertThat(st.s.mmuQueue).as("queued once").containsExactly(1);
        assertThat(st.next(1)).isEqualTo("write_lock(mmu_lock)");
        assertThat(st.system.program().threads().get(1).ops()[1].choices(st.s, 1)).as("waits").isZero();
        st.step(0, "release mmu_lock");
        st.step(1, "write_lock(mmu_lock)");
        assertThat(st.next(1)).as("the rest of the block in the same step").isEqualTo("<done>");
        assertThat(st.s.mmuQueue).isEmpty();
    }

    /** With the lock free, the block runs in its note's step; synchronize_srcu() inside waits for a reader. */
    @Test
    void anAtomicBlockRunsWholeWhenNothingMakesItWait() {
        var lock = new Ops.Acquire(dev.mmu.runtime.model.LockId.mmu_lock, Lock.Mode.WRITE);
        var unlock = new Ops.Release(dev.mmu.runtime.model.LockId.mmu_lock);
        Stepper free = toy(0, IndependenceTest.thread("b", new Ops.Note("atomic {"), new Ops.Atomic(lock),
                new Ops.Atomic(unlock), IndependenceTest.END));
        free.step(0, "atomic {");
        assertThat(free.next(0)).isEqualTo("<done>");
        var srcu = new Ops.Acquire(dev.mmu.runtime.model.LockId.srcu, Lock.Mode.READ);
        Stepper st = toy(0, IndependenceTest.thread("r", srcu, new Ops.Release(dev.mmu.runtime.model.LockId.srcu),
                        IndependenceTest.END),
                IndependenceTest.thread("w", new Ops.Note("atomic {"), new Ops.Atomic(new SlotOps.SynchronizeSrcu()),
                        new Ops.Atomic(IndependenceTest.store(Resource.HOST)), IndependenceTest.END));
        st.step(0, "srcu_read_lock(&kvm->srcu)");
        st.step(1, "atomic {");
        assertThat(st.next(1)).as("waits for the reader").isEqualTo("synchronize_srcu");
        assertThat(st.system.program().threads().get(1).ops()[1].choices(st.s, 1)).isZero();
    }

    /** A jump that does not fall into the atomic op after it in the code does not take it as its own. */
    @Test
    void aJumpOverAnAtomicOpDoesNotTakeItsFootprint() {
        PathBuilder a = new PathBuilder();
        a.emit(IndependenceTest.load(Resource.HOST));
        a.emit(new Ops.Jump(3));
        a.emit(new Ops.Atomic(IndependenceTest.store(Resource.HOST)));
        a.emit(IndependenceTest.END);
        Stepper st = toy(0, ThreadProgram.of("a", -1, a),
                IndependenceTest.thread("b", IndependenceTest.store(Resource.HOST), IndependenceTest.END));
        st.step(0, "load HOST");
        assertThat(st.next(0)).as("the jump and the end merged into the load's step").isEqualTo("<done>");
    }

    @Test
    void withMergingOffANeedReschedNoIsAStepOfItsOwn() {
        MmuSystem plain = new MmuSystem(program(yielder()), false);
        var s = plain.step(plain.initial(), 0, 0, null);
        s = plain.step(s, 0, 0, null);
        assertThat(plain.finished(s)).isFalse();
        MmuSystem merged = new MmuSystem(program(yielder()));
        var m = merged.step(merged.initial(), 0, 0, null);
        assertThat(merged.finished(merged.step(m, 0, 0, null))).isTrue();
    }

    /** The toy threads of {@link IndependenceTest}, under expectations that read only expectationReads. */
    static Stepper toy(long expectationReads, ThreadProgram... threads) {
        return new Stepper(IndependenceTest.program(false, expectationReads, threads));
    }

    /** load TLB (a step: b writes TLB), store HOST, end. */
    static ThreadProgram hostWriter() {
        return IndependenceTest.thread("a", IndependenceTest.load(Resource.TLB), IndependenceTest.store(Resource.HOST),
                IndependenceTest.END);
    }

    @Test
    void aSharedWriteNoOtherThreadTouchesMergesAndSoDoesTheEndOfTheThread() {
        Stepper st = toy(0, hostWriter(), IndependenceTest.thread("b", IndependenceTest.store(Resource.TLB), IndependenceTest.END));
        st.step(0, "load TLB");
        assertThat(st.done(0)).as("store HOST (a both-mover) and the end checks ran in the load's step").isTrue();
    }

    @Test
    void aSharedWriteAnotherThreadMayStillReadIsAStep() {
        Stepper st = toy(0, hostWriter(), IndependenceTest.thread("b", IndependenceTest.store(Resource.TLB),
                IndependenceTest.load(Resource.HOST), IndependenceTest.END));
        st.step(0, "load TLB");
        assertThat(st.next(0)).as("b's load would see the store or not").isEqualTo("store HOST");
        st.step(1, "store TLB");
        st.step(1, "load HOST");
        assertThat(st.done(1)).isTrue();
        st.step(0, "store HOST");
        assertThat(st.done(0)).isTrue();
    }

    @Test
    void aSharedWriteAnotherThreadMayStillWriteIsAStep() {
        Stepper st = toy(0, hostWriter(), IndependenceTest.thread("b", IndependenceTest.store(Resource.TLB),
                IndependenceTest.store(Resource.HOST), IndependenceTest.END));
        st.step(0, "load TLB");
        assertThat(st.next(0)).as("the last store wins").isEqualTo("store HOST");
    }

    @Test
    void aSharedWriteAnInvariantOrAnExpectationReadsIsAStep() {
        ThreadProgram b = IndependenceTest.thread("b", IndependenceTest.store(Resource.TLB), IndependenceTest.END);
        Stepper st = toy(Invariants.reads(dev.mmu.runtime.model.Invariant.freed_page_mapped).reads(), hostWriter(), b);
        st.step(0, "load TLB");
        assertThat(st.next(0)).as("freed_page_mapped reads the freed pfns").isEqualTo("store HOST");
        st = toy(-1L, hostWriter(), b);
        st.step(0, "load TLB");
        assertThat(st.next(0)).as("a Java predicate may read anything").isEqualTo("store HOST");
    }

    @Test
    void noSharedWriteRunsBeforeTheRaceAndAMergedEndStillChecksTheLocks() {
        Stepper st = toy(0, IndependenceTest.thread("a", new Ops.Acquire(LockId.slots_lock, Mode.WRITE), IndependenceTest.END));
        String acquire = st.next(0);
        assertThat(acquire).as("nothing shows what runs before the race").isNotEqualTo("<done>");
        st.step(0, acquire);
        assertThat(st.done(0)).as("the end ran in the acquire's step").isTrue();
        assertThat(dev.mmu.runtime.model.Invariant.lock_balance.violatedIn(st.s)).isTrue();
    }
    /**
     * vCPU 0 and 1 read gpa on a VM whose setup ran an exec at HPAGE_GPA (nx_huge_pages: a 4K
     * SPTE, and the 2M host page behind it faulted in); no expectation reads anything.
     */
    static Stepper twoFaults(long gpa) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.EXEC, Expr.constant(HPAGE_GPA));
        PathBuilder[] b = {new PathBuilder(), new PathBuilder()};
        for (int v = 0; v < 2; v++) FaultPaths.guestAccess(b[v], VM, v, Access.READ, Expr.constant(gpa));
        return new Stepper(new Program(VM, ThreadProgram.of("setup", -1, setup),
                java.util.List.of(ThreadProgram.of("vcpu 0", 0, b[0]), ThreadProgram.of("vcpu 1", 1, b[1])), false,
                java.util.EnumSet.allOf(dev.mmu.runtime.model.Stat.class), 0, 0));
    }

    @Test
    void theFaultInOfAPresentHostPageJoinsTheStepThoughTheOtherVcpuMayFaultIn() {
        Stepper st = twoFaults(HPAGE_GPA + 0x1000); // no SPTE for it, its 2M host page is present
        st.step(0, "vcpu 0 read");
        assertThat(st.next(0)).as("the other fault-in can only fill a missing page").isEqualTo("read_lock(mmu_lock)");
    }

    @Test
    void theFaultInOfAMissingHostPageIsAStepWhileTheOtherVcpuMayFaultItIn() {
        Stepper st = twoFaults(HPAGE_GPA + Stepper.SZ_2M); // the next 2M host page: not faulted in yet
        st.step(0, "vcpu 0 read");
        assertThat(st.next(0)).as("which fault-in allocates first decides the pfn").isEqualTo("kvm_faultin_pfn");
    }

    /**
     * twoFaults with a third thread that may later write every vCPU's root and request bits (as
     * kvm_mmu_zap_all_fast()'s kvm_make_all_cpus_request() does).
     */
    static Stepper twoFaultsAndARequester(long gpa) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.EXEC, Expr.constant(HPAGE_GPA));
        PathBuilder[] b = {new PathBuilder(), new PathBuilder()};
        for (int v = 0; v < 2; v++) FaultPaths.guestAccess(b[v], VM, v, Access.READ, Expr.constant(gpa));
        ThreadProgram requester = IndependenceTest.thread("requester", IndependenceTest.store(Resource.VCPU_ROOTS),
                IndependenceTest.END);
        return new Stepper(new Program(VM, ThreadProgram.of("setup", -1, setup),
                java.util.List.of(ThreadProgram.of("vcpu 0", 0, b[0]), ThreadProgram.of("vcpu 1", 1, b[1]), requester),
                false, java.util.EnumSet.allOf(dev.mmu.runtime.model.Stat.class), 0, 0));
    }

    /** vCPU 0 runs its fault up to the op its step ends before. */
    private static String faultUntilItEnds(Stepper st) {
        st.step(0, "vcpu 0 read");
        st.step(0, "read_lock(mmu_lock)");
        return st.next(0);
    }

    @Test
    void theOtherVcpusRootReloadIsOutOfReachWhileItHasARootAndNoRequestAndNothingCanChangeThat() {
        Stepper st = twoFaults(HPAGE_GPA + 0x1000);
        assertThat(st.system.merging().pruned(st.s)).as("both vCPUs have a root and no request").isEqualTo(0b11);
        String end = faultUntilItEnds(st);
        assertThat(end).as("vCPU 1 cannot reach mmu_free_root_page(): is_page_fault_stale joins the step")
                .isNotEqualTo("is_page_fault_stale");
    }

    @Test
    void aPendingRequestKeepsTheOtherVcpusRootReloadInReach() {
        Stepper st = twoFaults(HPAGE_GPA + 0x1000);
        st.s.freeObsoleteRootsRequests |= 1L << 1;
        assertThat(st.system.merging().pruned(st.s)).isEqualTo(0b01);
        assertThat(faultUntilItEnds(st)).as("vCPU 1's mmu_free_root_page() may drop the root's count")
                .isEqualTo("is_page_fault_stale");
    }

    @Test
    void aVcpuWithoutARootKeepsItsRootReloadInReach() {
        Stepper st = twoFaults(HPAGE_GPA + 0x1000);
        st.s.vcpuRoots[1] = -1;
        assertThat(st.system.merging().pruned(st.s)).isEqualTo(0b01);
        assertThat(faultUntilItEnds(st)).isEqualTo("is_page_fault_stale");
    }

    @Test
    void aThreadThatMayStillRequestAReloadKeepsEveryRootReloadInReach() {
        Stepper st = twoFaultsAndARequester(HPAGE_GPA + 0x1000);
        assertThat(st.system.merging().pruned(st.s)).as("the requester may write any vCPU's bits").isEqualTo(0);
        assertThat(faultUntilItEnds(st)).as("vCPU 1 may yet reload: is_page_fault_stale stays a step")
                .isEqualTo("is_page_fault_stale");
        st.step(2, "store VCPU_ROOTS");
        assertThat(st.system.merging().pruned(st.s)).as("once it ran, nothing can: both out").isEqualTo(0b11);
    }

    @Test
    void whichThreadsRootHandlingIsOutOfReachDependsOnTheMmuItsAccessesRunOn() {
        VmConfig both = Stepper.vm(Mmu.BOTH, 2);
        PathBuilder l2 = new PathBuilder();
        FaultPaths.guestAccess(l2, both, 0, Access.READ, Expr.constant(HPAGE_GPA), true);
        PathBuilder l1 = new PathBuilder();
        FaultPaths.guestAccess(l1, both, 1, Access.READ, Expr.constant(HPAGE_GPA), false);
        PathBuilder two = new PathBuilder();
        FaultPaths.guestAccess(two, both, 0, Access.READ, Expr.constant(HPAGE_GPA), false);
        FaultPaths.guestAccess(two, both, 1, Access.READ, Expr.constant(HPAGE_GPA), false);
        Stepper withTwo = new Stepper(Stepper.program(both, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, l2),
                ThreadProgram.of("vcpu 1", 1, l1), ThreadProgram.of("both vCPUs", -1, two)));
        assertThat(withTwo.system.merging().pruned(withTwo.s))
                .as("a thread accessing two vCPUs keeps its root handling, which may reload either").isZero();
        Stepper st = new Stepper(Stepper.program(both, new PathBuilder(), ThreadProgram.of("vcpu 0", 0, l2),
                ThreadProgram.of("vcpu 1", 1, l1), IndependenceTest.thread("a", IndependenceTest.END)));
        var m = st.system.merging();
        assertThat(m.pruned(st.s)).isEqualTo(0b011);
        st.s.vcpuRoots[0] = -1;
        assertThat(m.pruned(st.s)).as("the L2 guest's accesses run on guest_mmu").isEqualTo(0b011);
        st.s.vcpuNestedRoots[0] = -1;
        assertThat(m.pruned(st.s)).isEqualTo(0b010);
        assertThat(m.pruned(st.s, 0)).isFalse();
        assertThat(m.pruned(st.s, 1)).isTrue();
        st.s.vcpuNestedRoots[1] = -1;
        assertThat(m.pruned(st.s)).as("vCPU 1's accesses run on root_mmu").isEqualTo(0b010);
        st.s.threads[1].pc = m.reach(1, 0, false).length - 1;
        assertThat(m.pruned(st.s)).as("a finished thread has nothing to leave out").isZero();
    }

    static final Op RCU_LOCK = new Ops.Acquire(LockId.rcu, Mode.READ);
    static final Op RCU_UNLOCK = new Ops.Release(LockId.rcu);
    static final Op READ_LOCK = new Ops.Acquire(LockId.mmu_lock, Mode.READ);
    static final Op READ_UNLOCK = new Ops.Release(LockId.mmu_lock);

    /** read_lock(mmu_lock); rcu_read_lock(); rcu_read_unlock(); read_unlock: kvm_tdp_mmu_map()'s locking. */
    static ThreadProgram tdpMapLocking(String name) {
        return IndependenceTest.thread(name, READ_LOCK, RCU_LOCK, RCU_UNLOCK, READ_UNLOCK, IndependenceTest.END);
    }

    @Test
    void rcuReadLockAndUnlockWithPreemptionDisabledJoinTheStepThoughAnotherThreadMayEndAGracePeriod() {
        Stepper st = toy(0, tdpMapLocking("a"), tdpMapLocking("b"));
        st.step(0, "read_lock(mmu_lock)");
        assertThat(st.next(0)).as("holding mmu_lock, a holds off every grace period with or without rcu_read_lock()")
                .isEqualTo("release mmu_lock");
        assertThat(Lock.held(st.s, 0, LockId.rcu)).as("the read side ran and ended").isFalse();
    }

    @Test
    void rcuReadLockWithoutPreemptionDisabledIsAStepWhileAnotherThreadMayEndAGracePeriod() {
        ThreadProgram a = IndependenceTest.thread("a", IndependenceTest.store(Resource.STATS), RCU_LOCK, IndependenceTest.END);
        ThreadProgram b = IndependenceTest.thread("b", IndependenceTest.store(Resource.STATS), READ_LOCK, READ_UNLOCK,
                IndependenceTest.END);
        Stepper st = toy(0, a, b);
        st.step(0, "store STATS");
        assertThat(st.next(0)).as("b's read_unlock may end a grace period only while a is outside").isEqualTo("rcu_read_lock()");
    }

    @Test
    void rcuReadUnlockWithoutPreemptionDisabledIsAStepWhileAnotherThreadMayEndAGracePeriod() {
        ThreadProgram a = IndependenceTest.thread("a", RCU_LOCK, IndependenceTest.store(Resource.GLOBALS), RCU_UNLOCK,
                IndependenceTest.END);
        ThreadProgram b = IndependenceTest.thread("b", IndependenceTest.store(Resource.STATS), READ_LOCK, READ_UNLOCK,
                IndependenceTest.END);
        Stepper st = toy(0, a, b);
        st.step(0, "rcu_read_lock()");
        assertThat(st.next(0)).as("a leaving its read side may let b's read_unlock end a grace period")
                .isEqualTo("release rcu");
    }

    @Test
    void twoThreadsRcuReadLocksCommuteWhereNoThreadMayEndAGracePeriod() {
        ThreadProgram a = IndependenceTest.thread("a", IndependenceTest.store(Resource.STATS), RCU_LOCK, IndependenceTest.END);
        ThreadProgram b = IndependenceTest.thread("b", IndependenceTest.store(Resource.STATS), RCU_LOCK, IndependenceTest.END);
        Stepper st = toy(0, a, b);
        st.step(0, "store STATS");
        assertThat(st.done(0)).as("each writes its own read side: rcu_read_lock() and the end ran in the store's step").isTrue();
    }

    static final Op WRITE_LOCK = new Ops.Acquire(LockId.mmu_lock, Mode.WRITE);

    /** call_rcu(): queues a table, which the end of the step frees where no thread holds off grace periods. */
    static final Op CALL_RCU = new IndependenceTest.Touch("call_rcu", Footprint.updates(Resource.STATS).union(Rcu.GRACE_PERIOD));

    /** A yield under mmu_lock: drops it, and with it the thread's hold on grace periods, and takes it again. */
    static final Op YIELD = new IndependenceTest.Touch("yield", Footprint.updates(Resource.RCU_SELF).union(Rcu.GRACE_PERIOD));

    @Test
    void aCallRcuUnderMmuLockJoinsTheStepThoughAnotherThreadMayTakeAnRcuReadSideOrMmuLock() {
        Stepper st = toy(0, IndependenceTest.thread("a", READ_LOCK, CALL_RCU, READ_UNLOCK, IndependenceTest.END),
                IndependenceTest.thread("b", RCU_LOCK, WRITE_LOCK, READ_UNLOCK, IndependenceTest.END));
        st.step(0, "read_lock(mmu_lock)");
        assertThat(st.next(0)).as("a holds off grace periods until its unlock: its call_rcu ends none, whatever b does")
                .isEqualTo("release mmu_lock");
    }

    @Test
    void aCallRcuOutsideEveryReadSideIsAStepWhileAnotherThreadMayTakeAnRcuReadSide() {
        Stepper st = toy(0, IndependenceTest.thread("a", IndependenceTest.store(Resource.GLOBALS), CALL_RCU, IndependenceTest.END),
                IndependenceTest.thread("b", RCU_LOCK, IndependenceTest.END));
        st.step(0, "store GLOBALS");
        assertThat(st.next(0)).as("with no read side left the end of a's step frees the table; b entering first keeps it")
                .isEqualTo("call_rcu");
    }

    @Test
    void anOpThatMayLetItsThreadsHoldOnGracePeriodsGoIsAStepWhileAnotherThreadMayTakeAnRcuReadSide() {
        Stepper st = toy(0, IndependenceTest.thread("a", READ_LOCK, YIELD, READ_UNLOCK, IndependenceTest.END),
                IndependenceTest.thread("b", RCU_LOCK, IndependenceTest.END));
        st.step(0, "read_lock(mmu_lock)");
        assertThat(st.next(0)).as("a's yield drops mmu_lock: a grace period may end in it unless b entered first")
                .isEqualTo("yield");
    }

    @Test
    void theFaultsSpteWriteJoinsTheStepThoughAWriterMayQueueForMmuLock() {
        // No preemption: the walk's need_resched() reads no queue (rwlock_needbreak is off)
        VmConfig vm = new VmConfig(VM.mmu(), VM.nxHugePages(), VM.nxRecoveryRatio(), VM.eagerPageSplit(), VM.tdpLevels(),
                VM.memslots(), VM.vcpus(), dev.mmu.runtime.model.Preempt.NONE);
        PathBuilder v = new PathBuilder();
        FaultPaths.guestAccess(v, vm, 1, Access.READ, Expr.constant(HPAGE_GPA + Stepper.SZ_2M)); // not mapped
        PathBuilder w = new PathBuilder();
        w.emit(WRITE_LOCK);
        w.emit(new Ops.Release(LockId.mmu_lock));
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, vm, 0, Access.READ, Expr.constant(HPAGE_GPA));
        Program p = new Program(vm, ThreadProgram.of("setup", -1, setup),
                java.util.List.of(ThreadProgram.of("vcpu 1", 1, v), ThreadProgram.of("writer", -1, w)), false,
                java.util.EnumSet.allOf(dev.mmu.runtime.model.Stat.class), 0, 0L); // no expectation: nothing visible
        Stepper st = new Stepper(p);
        java.util.List<String> rests = new java.util.ArrayList<>();
        while (!st.done(0)) {
            rests.add(st.next(0));
            st.step(0, st.next(0));
        }
        assertThat(rests).as("under read_lock the vCPU holds off grace periods and its lockdep checks read its own"
                + " holding: queueing for mmu_lock touches nothing its map reads").contains("read_lock(mmu_lock)")
                .doesNotContain("tdp_mmu_set_spte_atomic", "tdp_mmu_link_sp");
    }

    /**
     * The shadow MMU's slot walks (mmu both) under write_lock, beside a writer that may queue for
     * mmu_lock: __walk_slot_rmaps() (as the prelude writes it out) visits an rmap head, then asks
     * need_resched() || rwlock_needbreak(&kvm->mmu_lock) (Ops.NeedResched). The first visit runs in the step of
     * the write_lock (its lockdep check reads only the walker's own holding); the decision is a
     * step (two answers). With the writer queued, a yes with nothing to flush read mmu_lock's queue
     * (rwlock_needbreak) under full preemption, which the writer's acquire writes: the unlock is a
     * step of its own; without preemption the decision reads nothing shared and the unlock joins it
     * (it fails with NeedResched's invisible footprint reading nothing under full preemption too).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"slot_rmap_write_protect", "kvm_zap_rmap",
            "kvm_mmu_zap_collapsible_spte", "shadow_mmu_try_split_huge_pages"})
    void theRmapWalksYieldDecisionReadsMmuLocksQueueUnderFullPreemption(String walk) {
        for (dev.mmu.runtime.model.Preempt preempt : java.util.List.of(dev.mmu.runtime.model.Preempt.FULL,
                dev.mmu.runtime.model.Preempt.NONE)) {
            VmConfig n = NestedSlotOpsTest.vm(true, false, dev.mmu.runtime.model.Level.PG_LEVEL_2M);
            VmConfig c = new VmConfig(n.mmu(), n.nxHugePages(), n.nxRecoveryRatio(), n.eagerPageSplit(), n.tdpLevels(),
                    n.memslots(), n.vcpus(), preempt);
            PathBuilder setup = new PathBuilder(); // the nested guest writes a 4K page of slot 0 (it logs) and a 2M one of slot 1
            FaultPaths.guestAccess(setup, c, 0, Access.WRITE, Expr.constant(0x1000), true);
            FaultPaths.guestAccess(setup, c, 0, Access.WRITE, Expr.constant(0x201000), true);
            DirtyLogPaths.setLogDirty(setup, 0, false); // the 4K leaf could be 2M now: collapsible
            PathBuilder ioctl = new PathBuilder();
            ioctl.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            switch (walk) {
                case "slot_rmap_write_protect" -> DirtyLogPaths.writeProtectRmaps(ioctl, 0, 0);
                case "kvm_zap_rmap" -> {
                    int flush = ioctl.local("flush");
                    ioctl.emit(new Ops.Assign(flush, Expr.constant(0), "flush = false"));
                    DirtyLogPaths.zapRmaps(ioctl, 0, 0, true, flush);
                }
                case "kvm_mmu_zap_collapsible_spte" -> DirtyLogPaths.zapCollapsibleRmaps(ioctl, 0, 0, true);
                default -> DirtyLogPaths.trySplitRmaps(ioctl, 1, 1);
            }
            ioctl.emit(new Ops.Release(LockId.mmu_lock));
            PathBuilder w = new PathBuilder();
            w.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            w.emit(new Ops.Release(LockId.mmu_lock));
            Program p = new Program(c, ThreadProgram.of("setup", -1, setup),
                    java.util.List.of(ThreadProgram.of("ioctl", -1, ioctl), ThreadProgram.of("writer", -1, w)), false,
                    java.util.EnumSet.allOf(dev.mmu.runtime.model.Stat.class), 0, 0L); // no expectation: nothing visible
            Stepper st = new Stepper(p);
            st.step(0, "write_lock(mmu_lock)");
            String decision = "if need_resched";
            assertThat(st.next(0)).as(walk + ": the first head is visited in the lock's step").isEqualTo(decision);
            st.step(1, "write_lock(mmu_lock)"); // the writer queues
            boolean full = preempt == dev.mmu.runtime.model.Preempt.FULL;
            st.step(0, decision, full ? 0 : 1); // yes: rwlock_needbreak() under full preemption, need_resched() else
            assertThat(st.next(0)).as(walk + ", preempt " + preempt + ": whether the decision read the waiters")
                    .isEqualTo(full ? "release mmu_lock" : "write_lock(mmu_lock)");
            assertThat(st.s.violations).isZero();
        }
    }
}
