package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Preempt;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * need_resched() || rwlock_needbreak(&kvm->mmu_lock) (include/linux/sched.h, spinlock.h, v6.12):
 * which branches the explorer offers a thread holding mmu_lock, per preemption build. need_resched()
 * is the scheduler's, so "yield" is always there and "go on" is there unless rwlock_needbreak()
 * holds: only with CONFIG_PREEMPTION (FULL) and only once a waiter is queued on the lock.
 */
class NeedReschedTest {
    private static final Set<String> BOTH = Set.of("go on", "yield");
    private static final Set<String> YIELD_ONLY = Set.of("yield");

    static VmConfig vm(Preempt preempt) {
        return new VmConfig(Mmu.TDP, false, 0, false, 4, List.of(new Memslot(0, 0, 1024, 1, false, false)), 1,
                preempt);
    }

    /** Thread 0 runs `holder`, thread 1 waits to take mmu_lock for write; the setup maps gfns 0x1 and 0x201. */
    static MmuSystem system(Preempt preempt, Consumer<PathBuilder> holder) {
        VmConfig c = vm(preempt);
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, c, 0, Access.WRITE, Expr.constant(0x1000));
        FaultPaths.guestAccess(setup, c, 0, Access.WRITE, Expr.constant(0x201000));
        PathBuilder h = new PathBuilder();
        holder.accept(h);
        PathBuilder waiter = new PathBuilder();
        waiter.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        waiter.emit(new Ops.Release(LockId.mmu_lock));
        return new MmuSystem(new Program(c, ThreadProgram.of("setup", -1, setup),
                List.of(ThreadProgram.of("holder", -1, h), ThreadProgram.of("waiter", -1, waiter)), false));
    }

    /** cond_resched_rwlock_write() as the kernel paths emit it; local 0 records that it yielded. */
    static void condReschedRwlockWrite(PathBuilder b) {
        int yielded = b.local("yielded");
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        int check = b.placeholder();
        b.emit(new Ops.Assign(yielded, Expr.constant(1), "yielded = 1"));
        KernelFixtures.condReschedRwlockWrite(b);
        b.patch(check, new Ops.NeedResched(b.here()));
        b.emit(new Ops.Release(LockId.mmu_lock));
    }

    /** A zap walk that can yield (tdp_mmu_iter_cond_resched) under write_lock(mmu_lock). */
    static void zapWalk(PathBuilder b) {
        int flush = b.local("flush");
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        KernelPaths.zapGfnRange(b, Expr.constant(0), Expr.constant(1024), flush, true);
        b.emit(new Ops.Release(LockId.rcu));
        b.emit(new Ops.Release(LockId.mmu_lock));
    }

    /** The holder's branches from s: "yield" or "go on", as `yielded` tells them apart. */
    static Set<String> branches(MmuSystem m, VmState s, BiPredicate<VmState, VmState> yielded) {
        List<Transition<VmState>> out = new ArrayList<>();
        m.successors(s, out);
        Set<String> names = new TreeSet<>();
        for (Transition<VmState> t : out) {
            if (t.thread() == 0) names.add(yielded.test(s, t.target()) ? "yield" : "go on");
        }
        return names;
    }

    /** Steps thread t with choice 0 until `at` holds. */
    static VmState until(MmuSystem m, VmState s, int t, java.util.function.Predicate<VmState> at) {
        for (int i = 0; i < 50 && !at.test(s); i++) s = m.step(s, t, 0, null);
        assertThat(at.test(s)).as("reached").isTrue();
        return s;
    }

    static Op next(MmuSystem m, VmState s, int t) {
        return m.program().threads().get(t).ops()[s.threads[t].pc];
    }

    // ---------------------------------------------------------------- cond_resched_rwlock_write()

    private static final BiPredicate<VmState, VmState> CHECK_YIELDED = (before, after) -> after.threads[0].locals[0] == 1;

    static VmState atCheck(MmuSystem m) {
        return until(m, m.initial(), 0, s -> next(m, s, 0) instanceof Ops.NeedResched);
    }

    @ParameterizedTest
    @EnumSource(Preempt.class)
    void withNoWaiterBothBranchesExistInEveryMode(Preempt preempt) {
        MmuSystem m = system(preempt, NeedReschedTest::condReschedRwlockWrite);
        assertThat(branches(m, atCheck(m), CHECK_YIELDED)).isEqualTo(BOTH);
    }

    @ParameterizedTest
    @EnumSource(Preempt.class)
    void aThreadAboutToTakeTheLockIsNotYetAWaiter(Preempt preempt) {
        MmuSystem m = system(preempt, NeedReschedTest::condReschedRwlockWrite);
        VmState s = atCheck(m);
        assertThat(next(m, s, 1)).isInstanceOf(Ops.Acquire.class);
        assertThat(s.mmuQueue).isEmpty();
        // Before the fix a blocked Acquire as another thread's next op forced the yes branch.
        assertThat(branches(m, s, CHECK_YIELDED)).isEqualTo(BOTH);
    }

    @Test
    void withPreemptionAQueuedWaiterLeavesOnlyTheYield() {
        MmuSystem m = system(Preempt.FULL, NeedReschedTest::condReschedRwlockWrite);
        VmState s = m.step(atCheck(m), 1, 0, null);
        assertThat(s.mmuQueue).containsExactly(1);
        assertThat(next(m, s, 0).choices(s, 0)).isEqualTo(1);
        assertThat(branches(m, s, CHECK_YIELDED)).isEqualTo(YIELD_ONLY);
        StringBuilder trace = new StringBuilder();
        m.step(s, 0, 0, trace);
        assertThat(trace.toString()).contains("rwlock_needbreak(mmu_lock): a waiter");
    }

    @ParameterizedTest
    @EnumSource(value = Preempt.class, names = {"VOLUNTARY", "NONE"})
    void withoutPreemptionAQueuedWaiterChangesNothing(Preempt preempt) {
        MmuSystem m = system(preempt, NeedReschedTest::condReschedRwlockWrite);
        VmState s = m.step(atCheck(m), 1, 0, null);
        assertThat(s.mmuQueue).containsExactly(1);
        assertThat(branches(m, s, CHECK_YIELDED)).isEqualTo(BOTH);
    }

    // ---------------------------------------------------------------- tdp_mmu_iter_cond_resched()

    private static final BiPredicate<VmState, VmState> WALK_YIELDED =
            (before, after) -> !Lock.held(after, 0, LockId.mmu_lock);

    /** The walk at a tdp_mmu_iter_cond_resched() past its forward-progress guard. */
    static VmState atYieldPoint(MmuSystem m) {
        return until(m, m.initial(), 0, s -> next(m, s, 0) instanceof MmuOps.IterCondResched r
                && s.threads[0].locals[r.it() + TdpIter.NEXT_LAST_LEVEL_GFN]
                        != s.threads[0].locals[r.it() + TdpIter.YIELDED_GFN]);
    }

    @ParameterizedTest
    @EnumSource(Preempt.class)
    void aWalkWithNoWaiterMayYieldOrGoOnInEveryMode(Preempt preempt) {
        MmuSystem m = system(preempt, NeedReschedTest::zapWalk);
        assertThat(branches(m, atYieldPoint(m), WALK_YIELDED)).isEqualTo(BOTH);
    }

    @ParameterizedTest
    @EnumSource(Preempt.class)
    void aWalkWithAQueuedWaiterYieldsOnlyWithPreemption(Preempt preempt) {
        MmuSystem m = system(preempt, NeedReschedTest::zapWalk);
        VmState s = m.step(atYieldPoint(m), 1, 0, null);
        assertThat(s.mmuQueue).containsExactly(1);
        assertThat(branches(m, s, WALK_YIELDED)).isEqualTo(preempt == Preempt.FULL ? YIELD_ONLY : BOTH);
    }

    @Test
    void theForwardProgressGuardLeavesNoYieldEvenWithAWaiter() {
        MmuSystem m = system(Preempt.FULL, NeedReschedTest::zapWalk);
        VmState s = until(m, m.initial(), 0, x -> next(m, x, 0) instanceof MmuOps.IterCondResched);
        s = m.step(s, 1, 0, null);
        assertThat(s.mmuQueue).containsExactly(1);
        assertThat(branches(m, s, WALK_YIELDED)).as("yielded_gfn == next_last_level_gfn at the start")
                .isEqualTo(Set.of("go on"));
    }
}
