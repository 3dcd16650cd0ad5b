package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The compiled scenario as a transition system: the setup, the race's first state, steps and keys. */
class MmuSystemTest {
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL);

    @Test
    void aSetupThatBlocksIsAScenarioErrorNamingTheOp() {
        assertThatThrownBy(() -> new MmuSystem(InvariantsTest.program(VM, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
        }))).isInstanceOf(ScenarioError.class).hasMessageContaining("the setup blocks at read_lock(mmu_lock)");
    }

    @Test
    void aSetupThatNeverEndsIsAScenarioErrorNotAHang() {
        assertThatThrownBy(() -> new MmuSystem(InvariantsTest.program(VM, b -> b.emit(new Ops.Jump(0)))))
                .isInstanceOf(ScenarioError.class).hasMessageContaining("the setup runs more than 1000000 operations");
    }

    @Test
    void theSetupTraceHasALineForEachStepThatSaidSomething() {
        MmuSystem m = new MmuSystem(InvariantsTest.program(VM, b -> {
            b.emit(new Ops.Assign(b.local("x"), Expr.constant(1), "x = 1"));
            FaultPaths.guestAccess(b, VM, 0, Access.READ, Expr.constant(0x1000));
        }));
        List<String> trace = m.setupTrace();
        assertThat(trace).isNotEmpty().noneMatch(String::isEmpty);
        assertThat(trace.get(0)).startsWith("vCPU 0 read 0x1000: EPT violation");
    }

    @Test
    void aThreadsLeadingLocalOpsRunBeforeTheRaceStarts() {
        MmuSystem m = new MmuSystem(InvariantsTest.program(VM, b -> { }, InvariantsTest.thread("t", b -> {
            b.emit(new Ops.Assign(b.local("x"), Expr.constant(5), "x = 5"));
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(new Ops.Release(LockId.mmu_lock));
        })));
        assertThat(m.initial().threads[0].pc).isEqualTo(1);
        assertThat(m.initial().threads[0].locals[0]).isEqualTo(5);
        assertThat(m.threadName(0)).isEqualTo("t");
        assertThat(m.threadCount()).isEqualTo(1);
    }

    @Test
    void aStepThatSaysNothingIsDescribedByItsOp() {
        Expr tlb0 = Expr.of(Footprint.reads(Resource.TLB).naming(0), (s, t) -> Queries.tlb(s, 0, 0x1000));
        MmuSystem m = new MmuSystem(InvariantsTest.program(VM, b -> { }, InvariantsTest.thread("t", b -> {
            b.emit(new Ops.Assign(b.local("x"), tlb0, "x = tlb(0)"));
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(new Ops.Release(LockId.mmu_lock));
        }), InvariantsTest.vcpu(VM, 0, Access.READ, 0x1000)));
        StringBuilder trace = new StringBuilder();
        m.step(m.initial(), 0, 0, trace);
        assertThat(trace).hasToString("x = tlb(0)");
    }

    static Program counting(EnumSet<Stat> read) {
        PathBuilder t = new PathBuilder();
        KernelFixtures.flushRemoteTlbs(t);
        return new Program(VM, ThreadProgram.of("setup", -1, new PathBuilder()), List.of(ThreadProgram.of("t", -1, t)), false, read, 0);
    }

    @Test
    void statesDifferingOnlyInAStatNothingReadsShareAKey() {
        for (boolean read : new boolean[] {false, true}) {
            MmuSystem m = new MmuSystem(counting(read ? EnumSet.allOf(Stat.class) : EnumSet.noneOf(Stat.class)));
            VmState s = m.initial();
            VmState flushed = s.copy();
            flushed.addStat(Stat.remote_tlb_flush, 1);
            assertThat(m.key(s)).isNotNull().isEqualTo(m.key(s.copy()));
            assertThat(m.key(flushed).equals(m.key(s))).as("remote_tlb_flush read: %s", read).isEqualTo(!read);
            VmState other = s.copy();
            other.addStat(Stat.pages_4k, 1);
            assertThat(m.key(other)).as("pages_* are always read").isNotEqualTo(m.key(s));
        }
    }

    @Test
    void aChooseInTheSetupIsAScenarioError() {
        assertThatThrownBy(() -> new MmuSystem(InvariantsTest.program(VM, b -> {
            b.emit(new Ops.Choose(List.of(1, 1)));
            b.emit(new Ops.Note("end"));
        }))).isInstanceOf(ScenarioError.class).hasMessageContaining("choose in the setup");
    }

    @Test
    void aSetupLoopOfStoresIsAScenarioErrorNotAHang() {
        // Each store is an op of its own (the jump runs in its step): the count still reaches the cap.
        assertThatThrownBy(() -> new MmuSystem(InvariantsTest.program(VM, b -> {
            b.emit(new Ops.SetGlobal(0, Expr.constant(1), "g = 1"));
            b.emit(new Ops.Jump(0));
        }))).isInstanceOf(ScenarioError.class).hasMessageContaining("the setup runs more than 1000000 operations");
    }

    @Test
    void aDeadLocalIsLeftOutOfTheKeyUnlessDeadLocalsAreKept() {
        Program p = InvariantsTest.program(VM, b -> { }, InvariantsTest.thread("t", b -> {
            b.emit(new Ops.Assign(b.local("x"), Expr.constant(5), "x = 5"));
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(new Ops.Release(LockId.mmu_lock));
        }));
        for (boolean deadLocals : new boolean[] {true, false}) {
            MmuSystem m = new MmuSystem(p, true, deadLocals);
            VmState s = m.initial();
            assertThat(s.threads[0].locals[0]).isEqualTo(5);
            VmState other = s.copy();
            other.threadForWrite(0).locals[0] = 6; // a copy shares its threads until written
            assertThat(m.key(other).equals(m.key(s))).as("x is never read again; dead locals left out: %s", deadLocals)
                    .isEqualTo(deadLocals);
        }
    }

    @Test
    void anInvisibleFirstOpRunsTheNextOpInItsStep() {
        MmuSystem m = new MmuSystem(InvariantsTest.program(VM, b -> { }, InvariantsTest.thread("t", b -> {
            b.emit(new Ops.Choose(List.of(1, 1)));
            b.emit(new Ops.SetGlobal(0, Expr.constant(1), "g = 1"));
            b.emit(new Ops.Note("end"));
        })));
        assertThat(m.initial().threads[0].pc).as("two choices: a step").isZero();
        VmState s = m.step(m.initial(), 0, 1, null);
        assertThat(s.threads[0].pc).as("the store ran in the choose's step").isEqualTo(2);
        assertThat(s.globals[0]).isEqualTo(1);
    }
}
