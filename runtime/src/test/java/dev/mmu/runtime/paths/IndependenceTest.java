package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Dependencies.Expansion;
import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Partial-order reduction's model side ({@link Independence}) on toy programs whose answers can
 * be worked out by hand: which steps commute, which are visible, and exactly which threads a
 * persistent set must hold. The toy ops touch exactly the resources they declare; every thread
 * ends with an `end` step (it checks the thread's locks: it reads them and may record a
 * violation).
 */
class IndependenceTest {
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL);

    /** An op that touches what its footprint says and nothing else (it changes no field itself). */
    record Touch(String text, Footprint footprint) implements Op {
        public void exec(Exec e, int choice) { }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public String describe() {
            return text;
        }
    }

    static Op store(Resource r) {
        return new Touch("store " + r, Footprint.LOCAL.andWrites(r));
    }

    static Op load(Resource r) {
        return new Touch("load " + r, Footprint.reads(r));
    }

    static Op update(Resource r) {
        return new Touch("update " + r, Footprint.updates(r));
    }

    static final Op END = new Ops.Note("end");

    static ThreadProgram thread(String name, Op... ops) {
        PathBuilder b = new PathBuilder();
        for (Op op : ops) b.emit(op);
        return ThreadProgram.of(name, -1, b);
    }

    /** store STATS; if (!x) goto end; store HOST; end: the step skips HOST's store (x is 0). */
    static ThreadProgram skipper() {
        PathBuilder b = new PathBuilder();
        int x = b.local("x");
        b.emit(store(Resource.STATS));
        b.emit(new Ops.JumpUnless(Expr.local(x), 3, "if (!x) goto end"));
        b.emit(store(Resource.HOST));
        b.emit(END);
        return ThreadProgram.of("skipper", -1, b);
    }

    static Program program(boolean trackMetrics, long expectationReads, ThreadProgram... threads) {
        PathBuilder setup = new PathBuilder();
        setup.emit(new Ops.SetGlobal(0, Expr.constant(0), "g = 0"));
        return new Program(VM, ThreadProgram.of("setup", -1, setup), List.of(threads), trackMetrics,
                EnumSet.allOf(Stat.class), 0, expectationReads);
    }

    static Program program(ThreadProgram... threads) {
        return program(false, -1L, threads);
    }

    static Expansion<VmState> expand(Stepper st) {
        return st.system.dependencies().expand(st.s);
    }

    static long set(int... threads) {
        long s = 0;
        for (int t : threads) s |= 1L << t;
        return s;
    }

    @Test
    void stepsOnDisjointResourcesCommuteAndEachIsPersistentAlone() {
        Stepper st = new Stepper(program(thread("a", store(Resource.HOST), END), thread("b", store(Resource.STATS), END)));
        Expansion<VmState> x = expand(st);
        assertThat(x.independent(0, 1)).isTrue();
        assertThat(x.independent(1, 0)).isTrue();
        assertThat(x.independent(0, 0)).as("a thread's own steps are never independent").isFalse();
        assertThat(x.persistent(0)).isEqualTo(set(0));
        assertThat(x.persistent(1)).isEqualTo(set(1));
    }

    /**
     * A step that ends before an atomic op that must wait read what that op reads: here b, in its
     * block, takes mmu_lock and stops at slots_lock, which a holds; a's release would let it go on.
     * Every op is visible (a Java predicate), so only the wait itself records the read.
     */
    @Test
    void aStepThatStopsAtAWaitInsideAnAtomicBlockReadsTheLock() {
        var mmuLock = new Ops.Acquire(LockId.mmu_lock, Lock.Mode.WRITE);
        var slotsLock = new Ops.Acquire(LockId.slots_lock, Lock.Mode.WRITE);
        Stepper st = new Stepper(program(thread("a", slotsLock, new Ops.Release(LockId.slots_lock), END),
                thread("b", new Ops.Note("atomic {"), new Ops.Atomic(mmuLock), new Ops.Atomic(slotsLock),
                        new Ops.Atomic(new Ops.Release(LockId.slots_lock)), new Ops.Atomic(new Ops.Release(LockId.mmu_lock)), END),
                thread("c", mmuLock, new Ops.Release(LockId.mmu_lock), END)));
        st.step(0, "mutex_lock(slots_lock)");
        st.step(2, "write_lock(mmu_lock)");
        st.step(1, "atomic {");
        st.step(1, "write_lock(mmu_lock)"); // queued
        st.step(2, "release mmu_lock");
        Expansion<VmState> x = expand(st);
        assertThat(x.transitions()).filteredOn(t -> t.thread() == 1).singleElement()
                .satisfies(t -> assertThat(t.target().threads[1].pc).as("stopped at slots_lock").isEqualTo(2));
        assertThat(x.independent(1, 0)).as("a's release lets b's step go further").isFalse();
    }

    @Test
    void theTransitionsAreTheSuccessorsWithAChoiceLeadingWhereAnEarlierOneDidLeftOut() {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Choose(List.of(1, 1)));
        b.emit(store(Resource.HOST));
        b.emit(END);
        Stepper st = new Stepper(program(ThreadProgram.of("a", -1, b), thread("b", store(Resource.STATS), END)));
        List<Transition<VmState>> successors = new ArrayList<>();
        st.system.successors(st.s, successors);
        List<Transition<VmState>> transitions = expand(st).transitions();
        assertThat(transitions).hasSize(2).isEqualTo(successors);
        assertThat(transitions).extracting(Transition::thread).containsExactly(0, 1);
    }

    @Test
    void anOpMergedIntoTheStepCountsInItsFootprint() {
        // choose { } or { } with both branches at the store: it decides nothing shared, so the
        // store runs in its step.
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Choose(List.of(1, 1)));
        b.emit(store(Resource.HOST));
        b.emit(END);
        Stepper st = new Stepper(program(ThreadProgram.of("a", -1, b), thread("b", store(Resource.HOST), END)));
        Expansion<VmState> x = expand(st);
        assertThat(x.transitions().get(0).target().threads[0].pc).as("the store ran in the choose's step").isEqualTo(2);
        assertThat(x.independent(0, 1)).isFalse();
        assertThat(x.persistent(1)).isEqualTo(set(0, 1));
    }

    @Test
    void aWriteConflictsWithAReadOfTheSameResource() {
        Stepper st = new Stepper(program(thread("a", store(Resource.HOST), END), thread("b", load(Resource.HOST), END)));
        assertThat(st.next(1)).as("a may still write HOST: b's load is a step").isEqualTo("load HOST");
        Expansion<VmState> x = expand(st);
        assertThat(x.independent(0, 1)).isFalse();
        assertThat(x.independent(1, 0)).isFalse();
        assertThat(x.persistent(0)).isEqualTo(set(0, 1));
        assertThat(x.persistent(1)).isEqualTo(set(0, 1));
    }

    @Test
    void twoWritesOfTheSameResourceConflict() {
        Stepper st = new Stepper(program(thread("a", store(Resource.HOST), END), thread("b", store(Resource.HOST), END)));
        Expansion<VmState> x = expand(st);
        assertThat(x.independent(0, 1)).isFalse();
        assertThat(x.independent(1, 0)).isFalse();
        assertThat(x.persistent(1)).isEqualTo(set(0, 1));
    }

    @Test
    void twoReadsOfTheSameResourceCommute() {
        Op readHostWriteStats = new Touch("stats from HOST", Footprint.reads(Resource.HOST).andWrites(Resource.STATS));
        Op readHostWriteBitmap = new Touch("bitmap from HOST", Footprint.reads(Resource.HOST).andWrites(Resource.DIRTY_BITMAP));
        Stepper st = new Stepper(program(thread("a", readHostWriteStats, END), thread("b", readHostWriteBitmap, END)));
        Expansion<VmState> x = expand(st);
        assertThat(x.independent(0, 1)).isTrue();
        assertThat(x.persistent(0)).isEqualTo(set(0));
        assertThat(x.persistent(1)).isEqualTo(set(1));
    }

    @Test
    void twoThreadsEndingCommuteThoughEachMayRecordAViolation() {
        Stepper st = new Stepper(program(thread("a", END), thread("b", END)));
        assertThat(st.next(0)).isEqualTo("end");
        Expansion<VmState> x = expand(st);
        assertThat(x.independent(0, 1)).as("violations are sticky bits: setting two commutes").isTrue();
        assertThat(x.visible(0)).as("nothing violated, though the expectations read everything").isFalse();
        assertThat(x.persistent(0)).isEqualTo(set(0));
        assertThat(x.persistent(1)).as("a seed that touches nothing is still in its set").isEqualTo(set(1));
    }

    @Test
    void metricsAreADependenceOnlyWhenAnExpectationReadsThem() {
        ThreadProgram a = thread("a", update(Resource.METRICS), END);
        ThreadProgram b = thread("b", update(Resource.METRICS), END);
        Expansion<VmState> untracked = expand(new Stepper(program(false, -1L, a, b)));
        assertThat(untracked.independent(0, 1)).as("nothing changes them").isTrue();
        assertThat(untracked.visible(0)).isFalse();
        assertThat(untracked.persistent(0)).isEqualTo(set(0));
        Expansion<VmState> tracked = expand(new Stepper(program(true, -1L, a, b)));
        assertThat(tracked.independent(0, 1)).isFalse();
        assertThat(tracked.visible(0)).isTrue();
        assertThat(tracked.persistent(0)).isEqualTo(set(0, 1));
    }

    @Test
    void aStepIsVisibleWhenItWritesWhatTheExpectationsReadOrBreaksAnInvariantOrAnAssert() {
        Program p = program(false, Resource.GLOBALS.bit(),
                thread("global", new Ops.SetGlobal(0, Expr.constant(1), "g = 1"), END),
                thread("tlb", store(Resource.TLB), END),
                thread("unbalanced", new Ops.Release(LockId.slots_lock), END),
                thread("assert", new Ops.Assert(Expr.constant(0), "false"), END),
                thread("violations only", new Touch("may violate", Footprint.updates(Resource.VIOLATIONS)), END));
        Stepper st = new Stepper(p);
        for (int t = 0; t < 5; t++) assertThat(st.s.threads[t].pc).as("no op writing shared state runs before the race").isZero();
        Expansion<VmState> x = expand(st);
        assertThat(x.visible(0)).as("writes a global").isTrue();
        assertThat(x.visible(1)).as("writes what no expectation reads").isFalse();
        assertThat(x.visible(2)).as("lock_balance").isTrue();
        assertThat(x.visible(3)).as("a failed assert").isTrue();
        assertThat(x.visible(4)).as("may record a violation but does not").isFalse();
    }

    @Test
    void aThreadThatMayWriteWhatTheStepReadsLaterIsInThePersistentSetThoughItsNextStepCommutes() {
        Stepper st = new Stepper(program(thread("a", store(Resource.HOST), END),
                thread("b", store(Resource.STATS), store(Resource.HOST), END)));
        Expansion<VmState> x = expand(st);
        assertThat(x.independent(0, 1)).isTrue();
        assertThat(x.persistent(0)).as("b's second step writes HOST").isEqualTo(set(0, 1));
        assertThat(x.persistent(1)).as("a writes nothing b's step touches").isEqualTo(set(1));
    }

    @Test
    void aStepThatSkipsAWriteDoesNotCommuteWithAStepWhoseMergingLookedForIt() {
        ThreadProgram other = thread("b", store(Resource.DIRTY_BITMAP), load(Resource.HOST), store(Resource.DIRTY_BITMAP), END);
        Stepper st = new Stepper(program(skipper(), other));
        Expansion<VmState> x = expand(st);
        assertThat(x.independent(0, 1)).isFalse();
        assertThat(x.independent(1, 0)).isFalse();
        assertThat(x.persistent(0)).isEqualTo(set(0, 1));
        assertThat(x.persistent(1)).isEqualTo(set(0, 1));

        // Why: once a's step has skipped its HOST store, b's step runs its HOST load too.
        Stepper aFirst = new Stepper(program(skipper(), other));
        aFirst.step(0, "store STATS");
        assertThat(aFirst.next(0)).as("the jump ran in the step").isEqualTo("end");
        aFirst.step(1, "store DIRTY_BITMAP");
        assertThat(aFirst.next(1)).isEqualTo("store DIRTY_BITMAP");
        st.step(1, "store DIRTY_BITMAP");
        assertThat(st.next(1)).isEqualTo("load HOST");
    }

    @Test
    void whatAStepDropsIsItsOwnThoughAStepFromTheSamePcEndedElsewhereBefore() {
        ThreadProgram other = thread("b", store(Resource.DIRTY_BITMAP), load(Resource.HOST), store(Resource.DIRTY_BITMAP), END);
        Stepper st = new Stepper(program(skipper(), other));
        Expansion<VmState> skips = expand(st);
        assertThat(skips.independent(0, 1)).as("x = 0: a's step skips its HOST store").isFalse();

        // The same system (what it keeps per pc), a state where a's step from the same pc stops before the store
        VmState s = st.s.copy();
        s.threadForWrite(0).locals[0] = 1;
        st.s = s;
        Expansion<VmState> stops = expand(st);
        assertThat(stops.transitions().get(0).target().threads[0].pc).as("x = 1: the store is a step").isEqualTo(2);
        assertThat(stops.independent(0, 1)).as("nothing is dropped: HOST is still in a's reach").isTrue();
        Stepper fresh = new Stepper(program(skipper(), other));
        fresh.s = s;
        assertThat(expand(fresh).independent(0, 1)).as("as in a fresh system").isTrue();
    }

    @Test
    void aStepThatSkipsAWriteAnotherThreadWillReadLaterIsNotPersistentAlone() {
        Stepper st = new Stepper(program(skipper(),
                thread("b", store(Resource.DIRTY_BITMAP), store(Resource.DIRTY_BITMAP), load(Resource.HOST), END)));
        Expansion<VmState> x = expand(st);
        assertThat(x.independent(0, 1)).as("b's next step decides nothing on HOST").isTrue();
        assertThat(x.persistent(0)).as("b's later HOST load may merge after a's step").isEqualTo(set(0, 1));
        assertThat(x.persistent(1)).isEqualTo(set(1));
    }

    /** Takes `lock` (mmu_lock in `mode`), updates `r`, releases, ends. */
    static ThreadProgram under(String name, LockId lock, Mode mode, Resource r) {
        return thread(name, new Ops.Acquire(lock, mode), update(r), new Ops.Release(lock), END);
    }

    @Test
    void aThreadThatMustFirstTakeTheMmuLockTheStepHoldsForWriteIsLeftOut() {
        Stepper st = new Stepper(program(under("a", LockId.mmu_lock, Mode.WRITE, Resource.SPTE),
                under("b", LockId.mmu_lock, Mode.WRITE, Resource.SPTE),
                thread("c", update(Resource.SPTE), END)));
        st.step(0, "write_lock(mmu_lock)");
        Expansion<VmState> x = expand(st);
        assertThat(x.persistent(0)).as("c updates SPTE without mmu_lock; b waits for it").isEqualTo(set(0, 2));
        assertThat(x.persistent(1)).as("b queueing and a's unlock both touch mmu_lock; a's update brings c")
                .isEqualTo(set(0, 1, 2));
    }

    @Test
    void aThreadThatMayReadWhatTheStepWritesOnceItTakesAFreeMutexIsInThePersistentSet() {
        // c's load keeps a's second store out of a's step, whatever b may read
        Stepper st = new Stepper(program(thread("a", store(Resource.SPTE), store(Resource.SPTE), END),
                thread("b", new Ops.Acquire(LockId.slots_lock, Mode.WRITE), load(Resource.SPTE),
                        new Ops.Release(LockId.slots_lock), END),
                thread("c", load(Resource.SPTE), END)));
        Expansion<VmState> x = expand(st);
        assertThat(st.system.merging().distinctKeys(1)).as("b's mutex_lock sees the slots_lock bit").containsExactly(0, 4);
        assertThat(x.transitions().get(0).target().threads[0].pc).isEqualTo(1);
        assertThat(x.persistent(0)).as("a holds no lock: b's load behind its mutex_lock counts").isEqualTo(set(0, 1, 2));
    }

    @Test
    void aThreadWhoseMergingBehindAFreeMutexLooksForWhatTheStepSkipsIsInThePersistentSet() {
        Stepper st = new Stepper(program(skipper(), thread("b", new Ops.Acquire(LockId.slots_lock, Mode.WRITE),
                load(Resource.HOST), new Ops.Release(LockId.slots_lock), END)));
        Expansion<VmState> x = expand(st);
        assertThat(st.system.merging().distinctKeys(1)).containsExactly(0, 4);
        assertThat(x.persistent(0)).as("after a's step b's load may join b's step").isEqualTo(set(0, 1));
    }

    @Test
    void aThreadWhoseMergingOfAWriteBehindAFreeMutexLooksForAReadTheStepSkipsIsInThePersistentSet() {
        PathBuilder b = new PathBuilder();
        int x = b.local("x");
        b.emit(store(Resource.STATS));
        b.emit(new Ops.JumpUnless(Expr.local(x), 3, "if (!x) goto end"));
        b.emit(load(Resource.HOST));
        b.emit(END);
        // No expectation reads anything: b's store may move, so its merging compares others' reads
        Stepper st = new Stepper(program(false, 0L, ThreadProgram.of("a", -1, b), thread("b",
                new Ops.Acquire(LockId.slots_lock, Mode.WRITE), store(Resource.HOST), new Ops.Release(LockId.slots_lock), END)));
        Expansion<VmState> x2 = expand(st);
        assertThat(x2.persistent(0)).as("after a's step b's store may join b's step").isEqualTo(set(0, 1));
    }

    @Test
    void aReadHolderOfMmuLockStopsWritersNotReaders() {
        Stepper writer = new Stepper(program(under("a", LockId.mmu_lock, Mode.READ, Resource.SPTE),
                under("b", LockId.mmu_lock, Mode.WRITE, Resource.SPTE)));
        writer.step(0, "read_lock(mmu_lock)");
        assertThat(expand(writer).persistent(0)).isEqualTo(set(0));
        Stepper reader = new Stepper(program(under("a", LockId.mmu_lock, Mode.READ, Resource.SPTE),
                under("b", LockId.mmu_lock, Mode.READ, Resource.SPTE)));
        reader.step(0, "read_lock(mmu_lock)");
        assertThat(expand(reader).persistent(0)).isEqualTo(set(0, 1));
    }

    @Test
    void aThreadThatMustFirstTakeAMutexTheStepHoldsIsLeftOut() {
        Stepper st = new Stepper(program(under("a", LockId.slots_lock, Mode.WRITE, Resource.MEMSLOTS),
                under("b", LockId.slots_lock, Mode.WRITE, Resource.MEMSLOTS)));
        st.step(0, "mutex_lock(slots_lock)");
        Expansion<VmState> x = expand(st);
        assertThat(x.persistent(0)).isEqualTo(set(0));
        assertThat(x.independent(0, 1)).as("b is blocked").isFalse();
        assertThat(x.independent(1, 0)).isFalse();
    }

    @Test
    void aBlockedThreadNeedsTheThreadsThatMayLetItGoOn() {
        Stepper st = new Stepper(program(under("a", LockId.slots_lock, Mode.WRITE, Resource.MEMSLOTS),
                under("b", LockId.slots_lock, Mode.WRITE, Resource.MEMSLOTS),
                thread("c", update(Resource.STATS), END)));
        st.step(0, "mutex_lock(slots_lock)");
        Expansion<VmState> x = expand(st);
        assertThat(x.persistent(1)).as("a's unlock lets b go on; c never touches slots_lock").isEqualTo(set(0, 1));
        assertThat(x.persistent(2)).isEqualTo(set(2));
        assertThat(x.independent(0, 2)).isTrue();
        assertThat(x.independent(1, 2)).as("a blocked thread has no step").isFalse();
        assertThat(x.independent(2, 1)).isFalse();
    }

    @Test
    void aLockTheSetGainsStopsTheThreadsWaitingForIt() {
        // b holds slots_lock and conflicts with a on GLOBALS, so the set holds slots_lock from
        // then on: c's GLOBALS update comes only after c takes it (b is found before c).
        Stepper st = new Stepper(program(thread("a", update(Resource.GLOBALS), END),
                under("b", LockId.slots_lock, Mode.WRITE, Resource.GLOBALS),
                under("c", LockId.slots_lock, Mode.WRITE, Resource.GLOBALS)));
        st.step(1, "mutex_lock(slots_lock)");
        assertThat(expand(st).persistent(0)).isEqualTo(set(0, 1));
    }

    @Test
    void aMergingDecisionMadeWithoutTheSetsLockStillDependsOnWritesBehindIt() {
        // w holds slots_lock and conflicts with u on DIRTY_BITMAP. u's step does not merge its
        // HOST load because v may store HOST, after taking slots_lock: v is stopped for the set
        // (it holds slots_lock) but not for u's merging, which v changes by taking its other branch.
        PathBuilder v = new PathBuilder();
        v.emit(new Ops.Choose(List.of(1, 4)));
        v.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        v.emit(store(Resource.HOST));
        v.emit(new Ops.Release(LockId.slots_lock));
        v.emit(END);
        Program p = program(under("w", LockId.slots_lock, Mode.WRITE, Resource.DIRTY_BITMAP),
                thread("u", update(Resource.DIRTY_BITMAP), load(Resource.HOST), store(Resource.STATS), END),
                ThreadProgram.of("v", -1, v));
        Stepper st = new Stepper(p);
        st.step(0, "mutex_lock(slots_lock)");
        Expansion<VmState> x = expand(st);
        assertThat(x.persistent(0)).isEqualTo(set(0, 1, 2));

        // Why: after v's other branch, u's step runs its HOST load too.
        Stepper vFirst = new Stepper(p);
        vFirst.step(0, "mutex_lock(slots_lock)");
        vFirst.step(2, "choose", 1);
        vFirst.step(1, "update DIRTY_BITMAP");
        assertThat(vFirst.next(1)).isEqualTo("store STATS");
        st.step(1, "update DIRTY_BITMAP");
        assertThat(st.next(1)).isEqualTo("load HOST");
    }

    @Test
    void aFinishedThreadIsInNoSet() {
        Stepper st = new Stepper(program(thread("a", store(Resource.HOST), END), thread("b", store(Resource.HOST), END)));
        st.step(0, "store HOST");
        st.step(0, "end");
        assertThat(st.done(0)).isTrue();
        Expansion<VmState> x = expand(st);
        assertThat(x.transitions()).extracting(Transition::thread).containsExactly(1);
        assertThat(x.persistent(1)).isEqualTo(set(1));
        assertThat(x.independent(0, 1)).isFalse();
    }

    @Test
    void aStepThatPutsAReadOutOfReachChangesAnotherThreadsMergingOfAWrite() {
        // a's step runs its load and ends; b's store HOST cannot merge while a may still load HOST
        Program p = program(false, 0, thread("a", load(Resource.HOST), END),
                thread("b", store(Resource.TLB), store(Resource.HOST), END), thread("c", load(Resource.TLB), END));
        Expansion<VmState> x = expand(new Stepper(p));
        assertThat(x.transitions().get(1).target().threads[1].pc).as("b stops before store HOST").isEqualTo(1);
        assertThat(x.independent(0, 1)).as("after a, b's step runs the store too").isFalse();
        assertThat(x.persistent(1)).isEqualTo(set(0, 1, 2));
    }

    /**
     * A toy vCPU 0: its guest access (a real one: the gpa has no SPTE, so an EPT violation) goes
     * to a toy fault that reads SPTEs and back to the access, or, with a reload pending, to a toy
     * root handling that writes INVALID_ROOTS (as mmu_free_root_page() does) and its root bits.
     */
    static ThreadProgram toyVcpu() {
        PathBuilder b = new PathBuilder();
        int oldSpte = b.local("spte");
        int slot = b.local("fault->slot");
        b.emit(new FaultOps.GuestAccess(0, MmuOps.Access.READ, Expr.constant(Stepper.HPAGE_GPA), 5, false, -1, oldSpte,
                slot, 3));
        b.emit(load(Resource.SPTE));
        b.emit(new Ops.Jump(0));
        b.emit(new Touch("reload", Footprint.updates(Resource.INVALID_ROOTS).andUpdatesRoots(0)));
        b.emit(new Ops.Jump(0));
        b.emit(END);
        return ThreadProgram.of("vcpu 0", 0, b);
    }

    /**
     * a: store STATS, then load INVALID_ROOTS, which joins a's step only while vCPU 0's root
     * handling is out of reach; r: writes every vCPU's root and request bits (a reload request).
     */
    static Stepper reloadRace() {
        ThreadProgram a = thread("a", store(Resource.STATS), load(Resource.INVALID_ROOTS), END);
        ThreadProgram r = thread("r", new Touch("request", Footprint.LOCAL.andWrites(Resource.VCPU_ROOTS)), END);
        PathBuilder setup = new PathBuilder();
        setup.emit(new Ops.SetGlobal(0, Expr.constant(0), "g = 0"));
        return new Stepper(new Program(Stepper.vm(Mmu.TDP, 1), ThreadProgram.of("setup", -1, setup),
                List.of(a, toyVcpu(), r), false, EnumSet.allOf(Stat.class), 0, -1L));
    }

    @Test
    void aStepThatLetsAVcpusRootHandlingOutOfReachChangesTheDecisionsThatLookedAtIt() {
        Stepper st = reloadRace();
        assertThat(st.system.merging().pruned(st.s)).as("r may still write vCPU 0's bits").isEqualTo(0);
        Expansion<VmState> x = expand(st);
        // a's step ends before the load (vCPU 0 may reload); after r's, it would not: a then r
        // and r then a end in different states
        assertThat(x.independent(0, 2)).isFalse();
        assertThat(x.independent(2, 0)).isFalse();
        assertThat(x.persistent(2) & set(0)).as("r's step may change a's next step").isNotZero();
        Stepper after = reloadRace();
        after.step(2, "request");
        assertThat(after.system.merging().pruned(after.s)).isEqualTo(set(1));
        after.step(0, "store STATS");
        assertThat(after.next(0)).as("the load joined a's step").isEqualTo("end");
    }

    /**
     * vCPU 0: store NX_LIST; if (!x) skip a store of HOST_PFNS; then its guest access, whose root
     * handling (out of reach: nothing writes its bits) would store HOST_PFNS too.
     */
    static ThreadProgram skippingVcpu() {
        PathBuilder b = new PathBuilder();
        int x = b.local("x");
        int oldSpte = b.local("spte");
        int slot = b.local("fault->slot");
        b.emit(store(Resource.NX_LIST));
        b.emit(new Ops.JumpUnless(Expr.local(x), 3, "if (!x) goto access"));
        b.emit(store(Resource.HOST_PFNS));
        b.emit(new FaultOps.GuestAccess(0, MmuOps.Access.READ, Expr.constant(Stepper.HPAGE_GPA), 7, false, -1, oldSpte,
                slot, 5));
        b.emit(new Ops.Jump(7));
        b.emit(new Touch("reload", Footprint.updates(Resource.HOST_PFNS).andUpdatesRoots(0)));
        b.emit(new Ops.Jump(3));
        b.emit(END);
        return ThreadProgram.of("vcpu 0", 0, b);
    }

    @Test
    void whatAStepPutsOutOfAPrunedReachIsDroppedThoughTheFullReachStillHasIt() {
        ThreadProgram a = thread("a", store(Resource.STATS), load(Resource.HOST_PFNS), END);
        PathBuilder setup = new PathBuilder();
        setup.emit(new Ops.SetGlobal(0, Expr.constant(0), "g = 0"));
        Stepper st = new Stepper(new Program(Stepper.vm(Mmu.TDP, 1), ThreadProgram.of("setup", -1, setup),
                List.of(a, skippingVcpu()), false, EnumSet.allOf(Stat.class), 0, -1L));
        assertThat(st.system.merging().pruned(st.s)).isEqualTo(set(1));
        // a's step ends before its load (vCPU 0 may store HOST_PFNS); after vCPU 0's step it cannot
        // (the root handling's store is out of reach), so a's step would take the load too
        assertThat(expand(st).independent(0, 1)).isFalse();
        st.step(1, "store NX_LIST");
        assertThat(st.next(1)).isEqualTo("vcpu 0 read");
        st.step(0, "store STATS");
        assertThat(st.next(0)).isEqualTo("end");
    }

    @Test
    void whatAStepDropsFollowsWhetherItsThreadIsPrunedThoughTheSameStepWasSeenUnprunedBefore() {
        ThreadProgram a = thread("a", store(Resource.STATS), load(Resource.HOST_PFNS), END);
        ThreadProgram r = thread("r", new Touch("request", Footprint.LOCAL.andUpdatesRoots(0)), END);
        PathBuilder setup = new PathBuilder();
        setup.emit(new Ops.SetGlobal(0, Expr.constant(0), "g = 0"));
        Stepper st = new Stepper(new Program(Stepper.vm(Mmu.TDP, 1), ThreadProgram.of("setup", -1, setup),
                List.of(a, skippingVcpu(), r), false, EnumSet.allOf(Stat.class), 0, -1L));
        assertThat(st.system.merging().pruned(st.s)).as("r may still write vCPU 0's bits").isEqualTo(0);
        Expansion<VmState> unpruned = expand(st);
        assertThat(unpruned.transitions().get(1).target().threads[1].pc).isEqualTo(3);
        assertThat(unpruned.independent(0, 1)).as("the full reach keeps the root handling's HOST_PFNS store").isTrue();

        st.step(2, "request");
        assertThat(st.system.merging().pruned(st.s)).isEqualTo(set(1));
        Expansion<VmState> pruned = expand(st);
        assertThat(pruned.transitions().get(1).target().threads[1].pc).as("the same step").isEqualTo(3);
        assertThat(pruned.independent(0, 1)).as("the pruned reach drops it: a's load may then join a's step").isFalse();
    }

    @Test
    void twoThreadsRcuReadLocksAreIndependent() {
        Op lock = StepMergingTest.RCU_LOCK;
        Stepper st = new Stepper(program(false, 0, thread("a", lock, END), thread("b", lock, END)));
        Expansion<VmState> x = expand(st);
        assertThat(x.independent(0, 1)).as("each writes only its own read side").isTrue();
        assertThat(x.persistent(0)).isEqualTo(set(0));
    }

    @Test
    void anRcuReadLockAndAnotherThreadsUnlockThatMayEndAGracePeriodAreDependent() {
        Stepper st = new Stepper(program(false, 0, thread("a", StepMergingTest.RCU_LOCK, END),
                thread("b", StepMergingTest.RCU_LOCK, store(Resource.GLOBALS), StepMergingTest.RCU_UNLOCK, END)));
        st.step(1, "rcu_read_lock()");
        assertThat(st.next(1)).isEqualTo("release rcu");
        Expansion<VmState> x = expand(st);
        assertThat(x.independent(0, 1)).as("b's unlock ends a grace period only if a has not entered").isFalse();
        assertThat(x.persistent(1)).isEqualTo(set(0, 1));
    }
}
