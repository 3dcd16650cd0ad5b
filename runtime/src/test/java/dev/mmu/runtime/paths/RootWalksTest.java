package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.Stepper.HPAGE_GPA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import org.junit.jupiter.api.Test;

/**
 * The root loops of tdp_mmu.c (v6.12) a user path writes (FastZap.NextRoot): which roots each visits,
 * and in which order (newest first: kvm_tdp_mmu_alloc_root() adds at the list's head), after
 * kvm_mmu_zap_all_fast() invalidated vCPU 1's root and vCPU 0 loaded a new one, the references
 * the _yield_safe forms take and put, and the lock each asserts.
 */
class RootWalksTest {
    static final VmConfig VM = Stepper.vm(Mmu.TDP, 2);

    /** A thread that takes mmu_lock in `mode` and walks the roots with an empty body. */
    static ThreadProgram walker(Mode mode, boolean onlyValid, boolean yieldSafe) {
        PathBuilder b = new PathBuilder();
        int root = b.local("root");
        b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
        b.emit(new Ops.Assign(root, Expr.constant(-1), "root = NULL"));
        int next = b.placeholder();
        b.emit(new Ops.Jump(next));
        b.patch(next, new FastZap.NextRoot(root, b.here(), onlyValid, yieldSafe));
        b.emit(new Ops.Release(LockId.mmu_lock));
        return ThreadProgram.of("walk", -1, b);
    }

    /** vCPU 0 has loaded a new root; vCPU 1 still holds the invalidated one. */
    static Stepper afterReload(ThreadProgram walker) {
        Stepper st = new Stepper(Stepper.program(VM, VcpuRootsTest.fastZap(),
                InvariantsTest.vcpu(VM, 0, Access.READ, HPAGE_GPA), walker));
        VcpuRootsTest.enterGuest(st, 0, true);
        return st;
    }

    /** Runs the walker up to and through its next step into the root loop (local ops merge into steps). */
    static void advance(Stepper st, String loop) {
        for (int i = 0; i < 3 && !st.next(1).equals(loop); i++) st.step(1, st.next(1));
        st.step(1, loop);
    }

    static long root(Stepper st) {
        return st.s.threads[1].locals[0];
    }

    @Test
    void yieldSafeWalkOfEveryRootHoldsAReferenceOnEachInvalidatedOnesIncluded() {
        Stepper st = afterReload(walker(Mode.READ, false, true));
        int old = st.s.vcpuRoots[1];
        int fresh = st.s.vcpuRoots[0];
        assertThat(old).as("the lower id is the older root").isLessThan(fresh);
        assertThat(st.s.sp(old).rootCount).as("vCPU 1's and the scheduled zap's").isEqualTo(2);
        st.step(1, "read_lock(mmu_lock)");
        advance(st, "for_each_tdp_mmu_root_yield_safe");
        assertThat(root(st)).as("list_add_rcu() put the new root at the head: newest first").isEqualTo(fresh);
        assertThat(st.s.sp(fresh).rootCount).as("tdp_mmu_next_root() took one").isEqualTo(3);
        advance(st, "for_each_tdp_mmu_root_yield_safe");
        assertThat(root(st)).isEqualTo(old);
        assertThat(st.s.sp(fresh).rootCount).as("and put it when it moved on").isEqualTo(2);
        assertThat(st.s.sp(old).rootCount).isEqualTo(3);
        advance(st, "for_each_tdp_mmu_root_yield_safe");
        assertThat(st.s.sp(old).rootCount).as("the end of the list puts the last one").isEqualTo(2);
        assertThat(st.next(1)).isEqualTo("release mmu_lock");
        assertThat(Invariants.violated(Invariant.lockdep, st.s)).isFalse();
    }

    @Test
    void validWalksSkipTheInvalidatedRoot() {
        Stepper st = afterReload(walker(Mode.WRITE, true, false));
        int fresh = st.s.vcpuRoots[0];
        st.step(1, "write_lock(mmu_lock)");
        advance(st, "for_each_valid_tdp_mmu_root");
        assertThat(root(st)).isEqualTo(fresh);
        assertThat(st.s.sp(fresh).rootCount).as("no reference taken").isEqualTo(2);
        advance(st, "for_each_valid_tdp_mmu_root");
        assertThat(st.next(1)).isEqualTo("release mmu_lock");
        assertThat(Invariants.violated(Invariant.lockdep, st.s)).isFalse();
    }

    @Test
    void aYieldSafeWalkSkipsARootWhoseLastReferenceWent() {
        Stepper st = afterReload(walker(Mode.READ, false, true));
        int old = st.s.vcpuRoots[1];
        st.s.spForWrite(old).rootCount = 0; // refcount_inc_not_zero() fails: the root is on its way out
        st.step(1, "read_lock(mmu_lock)");
        advance(st, "for_each_tdp_mmu_root_yield_safe");
        assertThat(root(st)).isEqualTo(st.s.vcpuRoots[0]);
        assertThat(st.s.sp(old).rootCount).isZero();
    }

    @Test
    void eachFormAssertsItsLock() {
        Stepper read = afterReload(walker(Mode.READ, false, false));
        while (!read.done(1)) read.step(1, read.next(1));
        assertThat(Invariants.violated(Invariant.lockdep, read.s)).as("for_each_tdp_mmu_root under the read lock").isTrue();
        Stepper none = new Stepper(Stepper.program(VM, new PathBuilder(), InvariantsTest.vcpu(VM, 0, Access.READ, HPAGE_GPA),
                ThreadProgram.of("walk", -1, bodyWithoutLock())));
        while (!none.done(1)) none.step(1, none.next(1));
        assertThat(Invariants.violated(Invariant.lockdep, none.s)).as("a yield-safe walk without mmu_lock").isTrue();
    }

    private static PathBuilder bodyWithoutLock() {
        PathBuilder b = new PathBuilder();
        int root = b.local("root");
        b.emit(new Ops.Assign(root, Expr.constant(-1), "root = NULL"));
        int next = b.placeholder();
        b.emit(new Ops.Jump(next));
        b.patch(next, new FastZap.NextRoot(root, b.here(), false, true));
        return b;
    }

    /**
     * for_each_tdp_mmu_root_rcu() (tdp_mmu.c, v7.2, the lockless aging walk): the valid roots under
     * rcu_read_lock() alone, no mmu_lock and no reference; without RCU it is lockdep.
     */
    @Test
    void theRcuWalkVisitsTheValidRootsUnderRcuAloneAndTakesNoReference() {
        for (boolean rcu : new boolean[] {true, false}) {
            PathBuilder b = new PathBuilder();
            int root = b.local("root");
            if (rcu) b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
            b.emit(new Ops.Assign(root, Expr.constant(-1), "root = NULL"));
            int next = b.placeholder();
            b.emit(new Ops.Jump(next));
            b.patch(next, new FastZap.NextRoot(root, b.here(), true, false, true));
            if (rcu) b.emit(new Ops.Release(LockId.rcu));
            Stepper st = afterReload(ThreadProgram.of("walk", -1, b));
            int fresh = st.s.vcpuRoots[0];
            int count = st.s.sp(fresh).rootCount;
            java.util.Set<Long> seen = new java.util.LinkedHashSet<>(); // the end of the list leaves root as it was
            for (int i = 0; i < 10 && !st.done(1); i++) {
                boolean loop = st.next(1).startsWith("for_each_tdp_mmu_root_rcu");
                st.step(1, st.next(1));
                if (loop && root(st) >= 0) {
                    seen.add(root(st));
                    assertThat(st.s.sp(fresh).rootCount).as("no reference taken").isEqualTo(count);
                }
            }
            assertThat(seen).as("the valid root only").containsExactly((long) fresh);
            assertThat(Invariants.violated(Invariant.lockdep, st.s)).as("rcu held: %s", rcu).isEqualTo(!rcu);
            if (!rcu) assertThat(String.join("", st.trace)).contains("for_each_tdp_mmu_root_rcu(KVM_VALID_ROOTS) outside rcu_read_lock()");
        }
    }
}
