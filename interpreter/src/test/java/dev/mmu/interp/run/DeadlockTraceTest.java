package dev.mmu.interp.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.ScenarioResult.OutcomeResult;
import dev.mmu.interp.run.ScenarioResult.Step;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deadlock's trace ends in a state no thread can leave; its last step says who waits for whom
 * (MmuSystem.stuck), which the table's last row alone does not: it shows one thread's last step.
 */
class DeadlockTraceTest {
    @TempDir
    Path dir;

    /** examples/invariants/deadlock.mmu's ABBA: a path takes slots_lock inside mmu_lock, memslot_delete outside. */
    private static final String ABBA = """
            path slots_lock_inside_mmu_lock() {
              lock write
              lock write slots_lock
              unlock slots_lock
              unlock
            }

            scenario "abba" {
              vm {
                nx_huge_pages off
                quirk slot_zap_all off
              }
              memslot 0 { gpa 0x0 size 2M }
              memslot 1 { gpa 0x200000 size 2M }
              thread admin { memslot_delete 1 }
              thread t { slots_lock_inside_mmu_lock }
              EXPECT
            }
            """;

    private static final String WHO_WAITS = "!! deadlock: admin holds mutex_lock(slots_lock), waits for write_lock(mmu_lock);"
            + " t holds write_lock(mmu_lock), waits for mutex_lock(slots_lock)";

    @Test
    void violationDeadlockEvidenceEndsWithWhoHoldsWhatAndWaitsForWhat() throws Exception {
        OutcomeResult o = outcome(ABBA.replace("EXPECT", "expect violation deadlock"), "violation deadlock");
        assertThat(lastStep(o)).endsWith("; " + WHO_WAITS);
        assertThat(o.steps().subList(0, o.steps().size() - 1)).extracting(Step::text).noneMatch(t -> t.contains("!! deadlock"));
    }

    @Test
    void neverDeadlockCounterexampleEndsWithWhoHoldsWhatAndWaitsForWhat() throws Exception {
        OutcomeResult o = outcome(ABBA.replace("EXPECT", "expect never deadlock"), "never deadlock");
        assertThat(o.traceKind()).isEqualTo("counterexample");
        assertThat(lastStep(o)).endsWith("; " + WHO_WAITS);
    }

    /** Another expectation's trace (lockdep's, here) is not a deadlock's: nothing is appended. */
    @Test
    void otherExpectationsTracesAreLeftAlone() throws Exception {
        OutcomeResult o = outcome(ABBA.replace("EXPECT", "expect violation lockdep"), "violation lockdep");
        assertThat(o.steps()).extracting(Step::text).noneMatch(t -> t.contains("!! deadlock"));
    }

    /** A thread blocked on something other than a lock (synchronize_srcu() with a reader left) cannot run. */
    @Test
    void aThreadBlockedOnSomethingElseCannotRun() throws Exception {
        String text = """
                scenario "srcu" {
                  vm { nx_huge_pages off }
                  memslot 0 { gpa 0x0 size 2M }
                  memslot 1 { gpa 0x200000 size 2M }
                  thread admin { memslot_delete 1 }
                  thread t { lock read srcu; lock write slots_lock; unlock slots_lock; unlock srcu }
                  expect violation deadlock
                }
                """;
        assertThat(lastStep(outcome(text, "violation deadlock"))).endsWith(
                "!! deadlock: admin holds mutex_lock(slots_lock), cannot run;"
                        + " t holds srcu_read_lock(&kvm->srcu), waits for mutex_lock(slots_lock)");
    }

    /** write_lock() of an rwlock the thread holds: it queues behind itself (qrwlock's wait queue). */
    @Test
    void aThreadWaitingForALockItHoldsWaitsForItselfForEver() throws Exception {
        String text = """
                path take_it() { lock write; unlock }

                scenario "self" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { lock write; take_it(); unlock }
                  expect never deadlock
                }
                """;
        assertThat(lastStep(outcome(text, "never deadlock"))).endsWith("!! deadlock: t holds write_lock(mmu_lock),"
                + " waits for write_lock(mmu_lock), held by this thread itself, queued behind itself for ever");
    }

    private OutcomeResult outcome(String text, String expectation) throws Exception {
        Path file = dir.resolve("deadlock.mmu");
        Files.writeString(file, text);
        FileResult r = new ScenarioRunner().runFile(file);
        assertThat(r.diagnosticsText()).isEmpty();
        List<OutcomeResult> found = r.scenarios().get(0).outcomes().stream().filter(o -> o.text().equals(expectation)).toList();
        assertThat(found).hasSize(1);
        assertThat(found.get(0).steps()).isNotEmpty();
        return found.get(0);
    }

    private static String lastStep(OutcomeResult o) {
        return o.steps().get(o.steps().size() - 1).text();
    }
}
