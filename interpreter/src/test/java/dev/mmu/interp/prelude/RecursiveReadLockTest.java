package dev.mmu.interp.prelude;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioRunner;
import org.junit.jupiter.api.Test;

/**
 * A second read_lock(mmu_lock) in one thread: x86's qrwlock read_lock() is recursive for lockdep only in interrupt
 * context (read_lock_is_recursive()), so lockdep reports "possible recursive locking detected". A copy of
 * kvm_tdp_mmu_alloc_root() without its read_unlock() passed until session 35 (alloc2 trial): the vCPU's fault took
 * the lock again and its unlock cleared the one reader bit, hiding the imbalance.
 */
class RecursiveReadLockTest {
    private static final String SCENARIO = """
            scenario "alloc root" {
              vm { mmu tdp }
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              path kvm_tdp_mmu_alloc_root(vcpu_id: int) {
                lock read
                tdp_mmu_get_or_alloc_root(vcpu_id)
                %s
              }
              setup { vcpu 0 read 0x1000 }
              thread zap { kvm_mmu_zap_all_fast }
              thread vcpu 0 { read 0x1000 }
              expect never lockdep
              expect never lock_balance
            }
            """;

    private static ScenarioResult run(String unlock) {
        Loaded loaded = ScenarioLoader.load("alloc-root.mmu", SCENARIO.formatted(unlock));
        assertThat(loaded.diagnostics()).isEmpty();
        return new ScenarioRunner().run(loaded.scenarios().get(0));
    }

    @Test
    void aReadLockTakenAgainByItsHolderIsLockdep() {
        ScenarioResult r = run("");
        assertThat(r.outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .contains("never lockdep: FAIL");
        assertThat(r.outcomes().get(0).steps()).extracting(ScenarioResult.Step::text)
                .anyMatch(t -> t.contains("possible recursive locking detected: trying to acquire read_lock(mmu_lock)"));
    }

    @Test
    void theCopyWithItsUnlockPasses() {
        assertThat(run("unlock").status()).isEqualTo(ScenarioResult.Status.PASS);
    }
}
