package dev.mmu.interp.prelude;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioRunner;
import org.junit.jupiter.api.Test;

/**
 * clear_dirty_gfn_range() (tdp_mmu.c:1624, v7.2) inside a caller's rcu_read_lock(): the walk's own rcu_read_unlock()
 * before cond_resched_rwlock_read() does not end the caller's section, so a yield past the walk's first SPTE sleeps
 * in an RCU read-side critical section. A copy of kvm_tdp_mmu_clear_dirty_slot() wrapped in one passed until
 * session 35 (alloc2 trial).
 */
class ClearDirtySlotPreludeTest {
    private static final String SCENARIO = """
            scenario "clear dirty" {
              vm {
                pml on
                eager_page_split off
              }
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              path kvm_tdp_mmu_clear_dirty_slot(slot: int) {
                %s
              }
              setup { vcpu 0 write 0x1000 }
              thread ioctl { dirty_log_enable 0 }
              expect never lockdep
            }
            """;

    private static ScenarioResult run(String body) {
        Loaded loaded = ScenarioLoader.load("clear-dirty.mmu", SCENARIO.formatted(body));
        assertThat(loaded.diagnostics()).isEmpty();
        return new ScenarioRunner().run(loaded.scenarios().get(0));
    }

    private static final String SLOT = "id_to_memslot(slot).base_gfn";

    @Test
    void theWalkOfASlotInsideRcuReadLockMaySleepThere() {
        ScenarioResult r = run("rcu_read_lock()\n clear_dirty_gfn_range(" + SLOT + ", " + SLOT
                + " + id_to_memslot(slot).npages)\n rcu_read_unlock()");
        assertThat(r.status()).isEqualTo(ScenarioResult.Status.FAIL);
        assertThat(r.outcomes().get(0).steps()).extracting(ScenarioResult.Step::text)
                .anyMatch(t -> t.contains("clear_dirty_gfn_range(): tdp_mmu_iter_cond_resched() may sleep"));
    }

    /** One gfn: every SPTE the walk visits is on start's own descent, where the forward-progress check refuses to yield. */
    @Test
    void aWalkThatNeverGetsPastItsFirstGfnCannotYield() {
        assertThat(run("rcu_read_lock()\n clear_dirty_gfn_range(" + SLOT + " + 1, " + SLOT + " + 2)\n rcu_read_unlock()")
                .status()).isEqualTo(ScenarioResult.Status.PASS);
    }

    @Test
    void theCopyWithoutACallersSectionPasses() {
        assertThat(run("clear_dirty_gfn_range(" + SLOT + ", " + SLOT + " + id_to_memslot(slot).npages)").status())
                .isEqualTo(ScenarioResult.Status.PASS);
    }
}
