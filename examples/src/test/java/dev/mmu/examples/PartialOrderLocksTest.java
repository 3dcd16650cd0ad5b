package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.Dependencies;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.Program;
import dev.mmu.runtime.paths.Resource;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Lock semantics in partial-order reduction (issue 14): a critical section under mmu_lock is
 * independent of a thread that is only about to take mmu_lock; releasing it, and taking it, are
 * not; and the verdicts that hang on the lock order are kept.
 */
class PartialOrderLocksTest {
    private static final String SCENARIO = """
            scenario "a critical section and a thread about to take mmu_lock" {
              memslot 0 { gpa 0x0 size 64K }
              thread a {
                lock write
                lock write tdp_mmu_pages_lock
                unlock tdp_mmu_pages_lock
                unlock
              }
              thread b {
                lock write
                unlock
              }
              expect never lock_balance
            }
            """;
    private static final long A = 1, B = 2;

    private static CompiledScenario scenario(String text) {
        return ScenarioLoader.load("locks.mmu", text).scenarios().get(0);
    }

    /**
     * The scenario's program with an expectation that reads the violation bits too: the lock ops,
     * which may record lockdep, stay steps of their own (else step merging would run the spinlock
     * pair, which b never takes, in the step of a's write_lock).
     */
    private static Program opByOp(CompiledScenario sc) {
        Program p = sc.program();
        return new Program(p.config(), p.setup(), p.threads(), p.trackMetrics(), p.statsRead(), p.expectationVcpus(),
                p.expectationReads() | Resource.VIOLATIONS.bit());
    }

    @Test
    void takingMmuLockConflictsWithTakingIt() {
        MmuSystem m = new MmuSystem(opByOp(scenario(SCENARIO)));
        Dependencies.Expansion<VmState> x = m.dependencies().expand(m.initial());
        assertThat(x.independent(0, 1)).isFalse();
        assertThat(x.persistent(0)).isEqualTo(A | B);
    }

    @Test
    void aCriticalSectionIsIndependentOfAThreadAboutToTakeTheLock() {
        MmuSystem m = new MmuSystem(opByOp(scenario(SCENARIO)));
        VmState held = m.step(m.initial(), 0, 0, null); // a: write_lock(mmu_lock)
        assertThat(held.mmuWriter).isEqualTo(0);
        Dependencies.Expansion<VmState> x = m.dependencies().expand(held);
        assertThat(x.independent(0, 1)).as("a's spin_lock(tdp_mmu_pages_lock) and b queueing").isTrue();
        assertThat(x.persistent(0)).isEqualTo(A);
        assertThat(x.visible(0)).isFalse();
    }

    @Test
    void releasingMmuLockConflictsWithAThreadWaitingForIt() {
        MmuSystem m = new MmuSystem(opByOp(scenario(SCENARIO)));
        VmState s = m.initial();
        for (int i = 0; i < 3; i++) s = m.step(s, 0, 0, null); // a: lock, spin_lock, spin_unlock
        assertThat(m.program().threads().get(0).ops()[s.threads[0].pc].describe()).isEqualTo("release mmu_lock");
        Dependencies.Expansion<VmState> x = m.dependencies().expand(s);
        assertThat(x.independent(0, 1)).isFalse();
        assertThat(x.persistent(0)).isEqualTo(A | B);
        // b queued: it is blocked, and only a's unlock can let it go on
        VmState queued = m.step(s, 1, 0, null);
        assertThat(queued.mmuQueue).containsExactly(1);
        assertThat(m.dependencies().expand(queued).transitions()).extracting(t -> t.thread()).containsExactly(0);
    }

    /** The ABBA deadlock of examples/invariants/deadlock.mmu is found with and without the reduction. */
    @Test
    void aDeadlockOnTwoLocksIsKept() {
        CompiledScenario sc = scenario("""
                scenario "ABBA" {
                  memslot 0 { gpa 0x0 size 64K }
                  thread a { lock write slots_lock; lock write; unlock; unlock slots_lock }
                  thread b { lock write; lock write slots_lock; unlock slots_lock; unlock }
                  expect never deadlock
                }
                """);
        for (boolean por : List.of(false, true)) {
            Outcome<VmState> o = Explorer.explore(new MmuSystem(sc.program()), sc.expectations(),
                    ExploreOptions.builder().partialOrder(por).build()).outcomes().get(0);
            assertThat(o.verdict()).as("por " + por).isEqualTo(dev.mmu.runtime.explore.Verdict.FAIL);
        }
    }
}
