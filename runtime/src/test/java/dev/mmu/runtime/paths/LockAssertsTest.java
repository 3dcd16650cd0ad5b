package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * lockdep_assert_held(), _read(), _write() (include/linux/lockdep.h, v7.2: WARN_ON(debug_locks &&
 * !lockdep_is_held[_type](l[, read]))) and tdp_mmu.c's kvm_lockdep_assert_mmu_lock_held(kvm, shared):
 * silent where the thread holds the lock in the mode asserted, lockdep with the assert's condition
 * where it does not, and never a step of their own (what they read, the thread's own locks, no other
 * thread changes).
 */
class LockAssertsTest {
    static final VmConfig VM = Stepper.vm(Mmu.TDP, 2);

    /** The thread takes lock in mode (null: none), asserts, and releases. */
    private static Program asserting(LockId lock, Mode mode, String primitive, long arg) {
        ThreadProgram t = InvariantsTest.thread("t", b -> {
            if (mode != null) b.emit(new Ops.Acquire(lock, mode));
            b.emit(InvariantsTest.call(primitive, arg));
            if (mode != null) b.emit(new Ops.Release(lock));
        });
        return InvariantsTest.program(VM, b -> { }, t);
    }

    /** Runs thread 0 to its end; the state it ends in, and its trace in out. */
    private static VmState run(Program p, StringBuilder out) {
        MmuSystem system = new MmuSystem(p);
        VmState s = system.initial();
        for (int i = 0; i < 10 && s.threads[0].pc < p.threads().get(0).ops().length; i++) s = system.step(s, 0, 0, out);
        return s;
    }

    private static String violation(LockId lock, Mode mode, String primitive, long arg) {
        StringBuilder out = new StringBuilder();
        VmState s = run(asserting(lock, mode, primitive, arg), out);
        return Invariants.violated(Invariant.lockdep, s) ? out.toString() : "";
    }

    private static final long MMU = LockId.mmu_lock.ordinal();
    private static final long SLOTS = LockId.slots_lock.ordinal();

    @Test
    void eachAssertPassesInTheModeItAsserts() {
        assertThat(violation(LockId.mmu_lock, Mode.READ, "lockdep_assert_held_read", MMU)).isEmpty();
        assertThat(violation(LockId.mmu_lock, Mode.WRITE, "lockdep_assert_held_write", MMU)).isEmpty();
        assertThat(violation(LockId.mmu_lock, Mode.READ, "lockdep_assert_held", MMU)).isEmpty();
        assertThat(violation(LockId.mmu_lock, Mode.WRITE, "lockdep_assert_held", MMU)).isEmpty();
        assertThat(violation(LockId.slots_lock, Mode.WRITE, "lockdep_assert_held", SLOTS)).isEmpty();
        assertThat(violation(LockId.mmu_lock, Mode.READ, "kvm_lockdep_assert_mmu_lock_held", 1)).as("shared").isEmpty();
        assertThat(violation(LockId.mmu_lock, Mode.WRITE, "kvm_lockdep_assert_mmu_lock_held", 0)).isEmpty();
    }

    @Test
    void theWrongModeIsLockdepWithTheAssertsCondition() {
        assertThat(violation(LockId.mmu_lock, Mode.WRITE, "lockdep_assert_held_read", MMU)).contains(
                "!! lockdep: WARNING at lockdep_assert_held_read(&kvm->mmu_lock): WARN_ON(debug_locks &&"
                        + " !lockdep_is_held_type(&kvm->mmu_lock, 1)): this thread holds mmu_lock for write");
        assertThat(violation(LockId.mmu_lock, Mode.READ, "lockdep_assert_held_write", MMU)).contains(
                "!! lockdep: WARNING at lockdep_assert_held_write(&kvm->mmu_lock): WARN_ON(debug_locks &&"
                        + " !lockdep_is_held_type(&kvm->mmu_lock, 0)): this thread holds mmu_lock for read");
        assertThat(violation(LockId.mmu_lock, Mode.WRITE, "kvm_lockdep_assert_mmu_lock_held", 1))
                .contains("lockdep_assert_held_read(&kvm->mmu_lock)");
        assertThat(violation(LockId.mmu_lock, Mode.READ, "kvm_lockdep_assert_mmu_lock_held", 0))
                .contains("lockdep_assert_held_write(&kvm->mmu_lock)");
        // lockdep_assert_not_held(): silent unheld, lockdep in either mode
        assertThat(violation(LockId.mmu_lock, null, "lockdep_assert_not_held", MMU)).isEmpty();
        for (Mode mode : Mode.values()) {
            assertThat(violation(LockId.mmu_lock, mode, "lockdep_assert_not_held", MMU)).contains(
                    "!! lockdep: WARNING at lockdep_assert_not_held(&kvm->mmu_lock): WARN_ON(debug_locks &&"
                            + " !(lockdep_is_held(&kvm->mmu_lock) != LOCK_STATE_HELD)): this thread holds mmu_lock for "
                            + mode.name().toLowerCase());
        }
        assertThat(violation(LockId.slots_lock, Mode.WRITE, "lockdep_assert_not_held", SLOTS))
                .contains("this thread holds slots_lock (held exclusively)");
        // srcu_read_lock() is a read acquisition: lockdep_is_held_type(&kvm->srcu, 0) is false
        long srcu = LockId.srcu.ordinal();
        assertThat(violation(LockId.srcu, Mode.READ, "lockdep_assert_held_read", srcu)).isEmpty();
        assertThat(violation(LockId.srcu, Mode.READ, "lockdep_assert_held_write", srcu))
                .contains("this thread holds srcu (a read acquisition)");
        // a mutex is held exclusively: lockdep_is_held_type(&kvm->slots_lock, 1) is false
        assertThat(violation(LockId.slots_lock, Mode.WRITE, "lockdep_assert_held_read", SLOTS))
                .contains("this thread holds slots_lock (held exclusively)");
    }

    @Test
    void aLockNotHeldIsLockdep() {
        assertThat(violation(LockId.mmu_lock, null, "lockdep_assert_held", MMU)).contains(
                "!! lockdep: WARNING at lockdep_assert_held(&kvm->mmu_lock): WARN_ON(debug_locks &&"
                        + " !lockdep_is_held(&kvm->mmu_lock)): this thread holds no mmu_lock");
        assertThat(violation(LockId.slots_lock, null, "lockdep_assert_held", SLOTS))
                .contains("!lockdep_is_held(&kvm->slots_lock)): this thread holds no slots_lock");
        // another thread's write lock is not this thread's
        ThreadProgram holder = InvariantsTest.thread("w", b -> b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE)));
        ThreadProgram t = InvariantsTest.thread("t", b -> b.emit(InvariantsTest.call("lockdep_assert_held_write", MMU)));
        Program p = InvariantsTest.program(VM, b -> { }, t, holder);
        MmuSystem system = new MmuSystem(p);
        VmState s = system.step(system.initial(), 1, 0, new StringBuilder());
        assertThat(s.mmuWriter).isEqualTo(1);
        s = system.step(s, 0, 0, new StringBuilder());
        assertThat(Invariants.violated(Invariant.lockdep, s)).isTrue();
    }

    /** Thread a: write_lock, the assert, x = tlb(1) (a shared read: a step of its own while vCPU 1 runs), unlock. */
    private static ThreadProgram underWriteLock(Consumer<PathBuilder> assertion) {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        assertion.accept(b);
        b.emit(new Ops.Assign(b.local("x"), StepMergingTest.TLB_1, "x = tlb(1)"));
        b.emit(new Ops.Release(LockId.mmu_lock));
        return ThreadProgram.of("a", -1, b);
    }

    /**
     * a and vCPU 1 under the interpreter's expectations, which read no violation bit (a step that
     * sets one is visible anyway, ExpectationCompiler): a Java predicate might read them, and
     * StepMergingTest's programs say so, which keeps every shared write a step.
     */
    private static Program withVcpu1(Consumer<PathBuilder> assertion) {
        Program p = StepMergingTest.program(underWriteLock(assertion), StepMergingTest.vcpu1());
        return new Program(p.config(), p.setup(), p.threads(), false, java.util.EnumSet.noneOf(dev.mmu.runtime.model.Stat.class), 0, 0);
    }

    @Test
    void aHeldAssertRunsInTheStepBeforeIt() {
        Stepper st = new Stepper(withVcpu1(b -> b.emit(InvariantsTest.call("lockdep_assert_held_write", MMU))));
        st.step(0, "write_lock(mmu_lock)");
        assertThat(st.next(0)).as("merged into the lock's step, while vCPU 1 can still run").isEqualTo("x = tlb(1)");
        assertThat(Invariants.violated(Invariant.lockdep, st.s)).isFalse();
    }

    @Test
    void aFailingAssertRunsInTheStepBeforeItToo() {
        Stepper st = new Stepper(withVcpu1(b -> b.emit(InvariantsTest.call("lockdep_assert_held_read", MMU))));
        st.step(0, "write_lock(mmu_lock)");
        assertThat(st.next(0)).isEqualTo("x = tlb(1)");
        assertThat(Invariants.violated(Invariant.lockdep, st.s)).as("reported in the lock's step").isTrue();
    }

    @Test
    void anAssertAddsNoState() {
        Program without = withVcpu1(b -> { });
        Program with = withVcpu1(b -> b.emit(InvariantsTest.call("lockdep_assert_held", MMU)));
        assertThat(states(with, true)).isEqualTo(states(without, true)).isGreaterThan(2);
        assertThat(states(with, false)).as("as a step of its own").isGreaterThan(states(without, false));
    }

    private static long states(Program p, boolean merge) {
        return dev.mmu.runtime.explore.Explorer.explore(new MmuSystem(p, merge), java.util.List.of(),
                dev.mmu.runtime.explore.ExploreOptions.builder().build()).stats().statesStored();
    }

    /** What the checks read is the thread's own: only the sticky violation bits, which step merging leaves out. */
    @Test
    void theirFootprintIsTheViolationBitsAlone() {
        for (String name : new String[] {"lockdep_assert_held", "lockdep_assert_held_read", "lockdep_assert_held_write",
                "kvm_lockdep_assert_mmu_lock_held"}) {
            Footprint f = Primitives.get(name).footprint();
            assertThat(f.reads() | f.writes()).as(name).isEqualTo(Resource.VIOLATIONS.bit());
        }
    }
}
