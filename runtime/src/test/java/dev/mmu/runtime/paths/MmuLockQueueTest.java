package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * mmu_lock is a qrwlock: a thread that finds it taken waits in a FIFO queue, and only the oldest
 * waiter may take it next, so a reader arriving while a writer waits does not overtake the writer,
 * and readers queued behind a writer get in one after the other once it leaves
 * (kernel/locking/qrwlock.c; Documentation/virt/kvm/locking.rst). Each thread here takes the lock
 * in the mode given and releases it.
 */
class MmuLockQueueTest {
    static final VmConfig VM = Stepper.vm(Mmu.TDP, 1);

    static ThreadProgram locker(String name, Mode mode) {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
        b.emit(new Ops.Release(LockId.mmu_lock));
        return ThreadProgram.of(name, -1, b);
    }

    static Stepper lockers(Mode... modes) {
        ThreadProgram[] t = new ThreadProgram[modes.length];
        for (int i = 0; i < modes.length; i++) t[i] = locker("t" + i, modes[i]);
        return new Stepper(Stepper.program(VM, new PathBuilder(), t));
    }

    /** Whether thread t could take its next step now. */
    static boolean canRun(Stepper st, int t) {
        Op[] ops = st.system.program().threads().get(t).ops();
        return st.s.threads[t].pc < ops.length && ops[st.s.threads[t].pc].choices(st.s, t) > 0;
    }

    @Test
    void aReaderArrivingWhileAWriterWaitsQueuesBehindIt() {
        Stepper st = lockers(Mode.READ, Mode.WRITE, Mode.READ);
        st.step(0, "read_lock(mmu_lock)");
        st.step(1, "write_lock(mmu_lock)"); // held by a reader: the writer queues
        assertThat(st.s.mmuWriter).isEqualTo(-1);
        assertThat(st.s.mmuQueue).containsExactly(1);
        st.step(2, "read_lock(mmu_lock)"); // free for readers, but a writer waits: queue too
        assertThat(st.s.mmuReaders).as("only t0 reads").isEqualTo(1L);
        assertThat(st.s.mmuQueue).containsExactly(1, 2);
        assertThat(canRun(st, 1)).as("queued: waits for the reader").isFalse();
        assertThat(canRun(st, 2)).as("queued behind the writer").isFalse();

        st.step(0, "release mmu_lock");
        assertThat(canRun(st, 2)).as("the reader may not overtake the writer").isFalse();
        st.step(1, "write_lock(mmu_lock)");
        assertThat(st.s.mmuWriter).isEqualTo(1);
        assertThat(st.s.mmuQueue).containsExactly(2);
        assertThat(canRun(st, 2)).isFalse();
        st.step(1, "release mmu_lock");
        st.step(2, "read_lock(mmu_lock)");
        assertThat(st.s.mmuQueue).isEmpty();
        assertThat(st.s.mmuReaders).isEqualTo(1L << 2);
    }

    @Test
    void readersQueuedBehindAWriterGetInOneByOneAndThenShare() {
        Stepper st = lockers(Mode.WRITE, Mode.READ, Mode.READ);
        st.step(0, "write_lock(mmu_lock)");
        st.step(1, "read_lock(mmu_lock)");
        st.step(2, "read_lock(mmu_lock)");
        assertThat(st.s.mmuQueue).containsExactly(1, 2);
        st.step(0, "release mmu_lock");
        assertThat(canRun(st, 2)).as("not the oldest waiter").isFalse();
        st.step(1, "read_lock(mmu_lock)");
        assertThat(canRun(st, 2)).as("now the head, and readers share").isTrue();
        st.step(2, "read_lock(mmu_lock)");
        assertThat(st.s.mmuReaders).isEqualTo(0b110L);
        assertThat(st.s.mmuQueue).isEmpty();
    }

    @Test
    void aWriterWaitsForEveryReaderAndExcludesThem() {
        Stepper st = lockers(Mode.READ, Mode.READ, Mode.WRITE);
        st.step(0, "read_lock(mmu_lock)");
        st.step(1, "read_lock(mmu_lock)"); // readers share without queuing
        assertThat(st.s.mmuQueue).isEmpty();
        st.step(2, "write_lock(mmu_lock)");
        assertThat(st.s.mmuQueue).containsExactly(2);
        st.step(0, "release mmu_lock");
        assertThat(canRun(st, 2)).as("one reader left").isFalse();
        st.step(1, "release mmu_lock");
        st.step(2, "write_lock(mmu_lock)");
        assertThat(st.s.mmuWriter).isEqualTo(2);
        assertThat(st.s.mmuReaders).isZero();
    }

    @Test
    void otherLocksDoNotQueue() {
        PathBuilder a = new PathBuilder();
        a.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        a.emit(new Ops.Release(LockId.slots_lock));
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        b.emit(new Ops.Release(LockId.slots_lock));
        Stepper st = new Stepper(Stepper.program(VM, new PathBuilder(),
                ThreadProgram.of("a", -1, a), ThreadProgram.of("b", -1, b)));
        st.step(0, "mutex_lock(slots_lock)");
        assertThat(canRun(st, 1)).as("a mutex held elsewhere blocks, no queue entry").isFalse();
        assertThat(st.s.mmuQueue).isEmpty();
    }

    /** Every interleaving of a writer among readers keeps the rwlock exclusive and ends with all done. */
    @Test
    void noInterleavingBreaksExclusionOrStrandsAWaiter() {
        Program p = Stepper.program(VM, new PathBuilder(),
                locker("r0", Mode.READ), locker("w", Mode.WRITE), locker("r1", Mode.READ));
        MmuSystem m = new MmuSystem(p);
        var all = SeedModelTest.reachable(m);
        assertThat(all).noneMatch(s -> s.mmuWriter >= 0 && s.mmuReaders != 0);
        List<dev.mmu.runtime.explore.Transition<VmState>> out = new java.util.ArrayList<>();
        for (VmState s : all) {
            out.clear();
            m.successors(s, out);
            if (out.isEmpty()) assertThat(m.finished(s)).as("stuck state").isTrue();
        }
    }
}
