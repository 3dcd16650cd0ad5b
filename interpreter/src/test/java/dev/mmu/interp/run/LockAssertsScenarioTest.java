package dev.mmu.interp.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.run.ScenarioResult.OutcomeResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.interp.run.ScenarioResult.Step;
import dev.mmu.runtime.explore.Verdict;
import org.junit.jupiter.api.Test;

/**
 * lockdep_assert_held_read(mmu_lock) and the other assertions through a scenario: a copy of
 * kvm_tdp_mmu_wrprot_slot() (tdp_mmu.c:1443, v7.2) called under write_lock() is lockdep at entry,
 * though its walk changes no SPTE; under read_lock() it passes with the states it had without the
 * assert. The argument is a lock the language names, as `lock` statements do.
 */
class LockAssertsScenarioTest {
    private static final String SCENARIO = """
            scenario "wrprot" {
              vm { mmu tdp }
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              path kvm_tdp_mmu_wrprot_slot(slot: int, min_level: int) {
                %s
                wrprot_gfn_range(id_to_memslot(slot).base_gfn, id_to_memslot(slot).base_gfn + id_to_memslot(slot).npages, min_level: min_level)
              }
              thread ioctl { lock %s; kvm_tdp_mmu_wrprot_slot(0, 1); unlock }
              thread vcpu 0 { read 0x1000 }
              expect never lockdep
            }
            """;

    private static ScenarioResult run(String assertion, String mode) {
        Loaded loaded = ScenarioLoader.load("wrprot.mmu", SCENARIO.formatted(assertion, mode));
        assertThat(loaded.diagnostics()).isEmpty();
        return new ScenarioRunner().run(loaded.scenarios().get(0));
    }

    @Test
    void aCopyCalledUnderTheWriteLockIsLockdepAtEntry() {
        ScenarioResult r = run("lockdep_assert_held_read(mmu_lock)", "write");
        OutcomeResult lockdep = r.outcomes().get(0);
        assertThat(lockdep.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(lockdep.steps()).extracting(Step::text).first().asString()
                .contains("write_lock(mmu_lock)")
                .contains("!! lockdep: WARNING at lockdep_assert_held_read(&kvm->mmu_lock): WARN_ON(debug_locks && "
                        + "!lockdep_is_held_type(&kvm->mmu_lock, 1)): this thread holds mmu_lock for write");
    }

    @Test
    void underTheReadLockItPassesWithTheStatesItHadWithoutTheAssert() {
        ScenarioResult with = run("lockdep_assert_held_read(mmu_lock)", "read");
        ScenarioResult without = run("", "read");
        assertThat(with.status()).isEqualTo(Status.PASS);
        assertThat(with.stats().statesStored()).isEqualTo(without.stats().statesStored());
        assertThat(with.stats().transitions()).isEqualTo(without.stats().transitions());
    }

    @Test
    void theArgumentIsALock() {
        assertThat(errors("lockdep_assert_held(1)")).containsExactly("argument 'lock' of primitive 'lockdep_assert_held' is a"
                + " lock: mmu_lock, slots_lock, srcu, tdp_mmu_pages_lock, mmu_unsync_pages_lock (the kernel's"
                + " &kvm->mmu_lock is written mmu_lock)");
        assertThat(errors("lockdep_assert_held_write(mmu_lok)")).hasSize(1);
        assertThat(errors("lockdep_assert_held_write(slots_lock)")).isEmpty();
        // elsewhere a lock's keyword is still no value
        assertThat(errors("kvm_flush_remote_tlbs_memslot(mmu_lock)")).anyMatch(m -> m.contains("'mmu_lock' is a keyword"));
    }

    private static java.util.List<String> errors(String statement) {
        Loaded loaded = ScenarioLoader.load("arg.mmu", """
                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { lock write slots_lock; %s; unlock slots_lock }
                }
                """.formatted(statement));
        return loaded.diagnostics().stream().map(Diagnostic::message).toList();
    }
}
