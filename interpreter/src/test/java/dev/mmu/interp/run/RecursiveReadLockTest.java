package dev.mmu.interp.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.ScenarioResult.OutcomeResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.interp.run.ScenarioResult.Step;
import dev.mmu.runtime.explore.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * read_lock(mmu_lock) inside the thread's own read section. mmu_lock is a qrwlock, whose read side
 * lockdep treats as recursive only in interrupt context (read_lock_is_recursive(),
 * kernel/locking/lockdep.c), so a process-context second read_lock() is "possible recursive locking
 * detected": a writer that queues between the two waits for the first, and the second waits behind it.
 * The model kept one reader bit per thread, so the inner unlock ended both sections silently.
 */
class RecursiveReadLockTest {
    @TempDir
    Path dir;

    private static final String SPLAT = "!! lockdep: possible recursive locking detected: trying to acquire"
            + " read_lock(mmu_lock), but task is already holding mmu_lock for read";

    /** The trial's copy: a nested section whose outer unlock was dropped PASSed. */
    @Test
    void aSecondReadLockInsideTheThreadsReadSectionIsLockdep() throws Exception {
        ScenarioResult r = run("""
                scenario "nested" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { lock read; lock read; unlock }
                  expect never lock_balance
                }
                """);
        assertThat(r.status()).isEqualTo(Status.FAIL);
        OutcomeResult lockdep = outcome(r, "never lockdep");
        assertThat(lockdep.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(lockdep.steps()).extracting(Step::text).anyMatch(t -> t.contains(SPLAT));
    }

    /** The qrwlock counts both read_lock()s: the inner unlock ends the inner section only, so the outer's is no imbalance. */
    @Test
    void eachUnlockOfNestedReadSectionsEndsOne() throws Exception {
        ScenarioResult r = run("""
                path inner() { lock read; unlock }

                scenario "balanced" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { lock read; inner(); unlock }
                  expect never lock_balance
                }
                """);
        assertThat(outcome(r, "never lock_balance").verdict()).isEqualTo(Verdict.PASS);
        assertThat(outcome(r, "never lockdep").verdict()).isEqualTo(Verdict.FAIL);
    }

    /** A writer queued between the two: the second read_lock() waits behind it for ever, and lockdep said so first. */
    @Test
    void aWriterQueuedBetweenTheTwoReadLocksDeadlocksBoth() throws Exception {
        ScenarioResult r = run("""
                path inner() { lock read; unlock }

                scenario "writer between" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { lock read; inner(); unlock }
                  thread w { lock write; unlock }
                  expect violation deadlock
                  expect violation lockdep
                }
                """);
        assertThat(r.status()).isEqualTo(Status.PASS);
        OutcomeResult deadlock = outcome(r, "violation deadlock");
        String last = deadlock.steps().get(deadlock.steps().size() - 1).text();
        assertThat(last).endsWith("!! deadlock: t holds read_lock(mmu_lock), waits for read_lock(mmu_lock);"
                + " w waits for write_lock(mmu_lock)");
        assertThat(deadlock.steps()).extracting(Step::text).anyMatch(t -> t.contains(SPLAT));
    }

    /** Read sections one after another, and another thread's beside them: no lockdep, no deadlock. */
    @Test
    void readSectionsThatDoNotNestHold() throws Exception {
        ScenarioResult r = run("""
                scenario "sequential" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { lock read; unlock; lock read; unlock }
                  thread u { lock read; unlock }
                  thread w { lock write; unlock }
                  expect never deadlock
                  expect never lock_balance
                }
                """);
        assertThat(r.status()).isEqualTo(Status.PASS);
        assertThat(r.outcomes()).extracting(OutcomeResult::text).doesNotContain("never lockdep");
    }

    /**
     * Written in one body, the nested sections balance: the checker counts them as the qrwlock does
     * (it kept a set, and refused the second unlock as one "without a matching 'lock'"), and the
     * explorer gives the body its verdict, lockdep's recursive locking.
     */
    @Test
    void nestedReadSectionsInOneBodyPassTheCheckerAndFailLockdep() throws Exception {
        ScenarioResult r = run("""
                scenario "one body" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { lock read; lock read; unlock; unlock }
                  expect never lock_balance
                }
                """);
        assertThat(outcome(r, "never lock_balance").verdict()).isEqualTo(Verdict.PASS);
        OutcomeResult lockdep = outcome(r, "never lockdep");
        assertThat(lockdep.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(lockdep.steps()).extracting(Step::text).anyMatch(t -> t.contains(SPLAT));
    }

    /** One unlock more than the body's sections is still refused, at that unlock. */
    @Test
    void anUnlockBeyondTheNestedSectionsIsRefusedWhereItStands() throws Exception {
        Path file = dir.resolve("unbalanced.mmu");
        Files.writeString(file, """
                scenario "one too many" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t {
                    lock read
                    lock read
                    unlock
                    unlock
                    unlock
                  }
                }
                """);
        FileResult f = new ScenarioRunner().runFile(file);
        assertThat(f.diagnosticsText()).contains("unbalanced.mmu:8:5: error: unlock of mmu_lock without a matching 'lock' in this thread");
    }

    /** A branch that may nest: after the join the second section may be open, so both unlocks pass the checker. */
    @Test
    void aBranchThatMayNestJoinsToTheMostSections() throws Exception {
        ScenarioResult r = run("""
                scenario "maybe nested" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t {
                    lock read
                    choose { lock read } or { }
                    unlock
                    unlock
                  }
                }
                """);
        assertThat(outcome(r, "never lock_balance").verdict()).isEqualTo(Verdict.FAIL);
    }

    private ScenarioResult run(String text) throws Exception {
        Path file = dir.resolve("nested.mmu");
        Files.writeString(file, text);
        FileResult f = new ScenarioRunner().runFile(file);
        assertThat(f.diagnosticsText()).isEmpty();
        return f.scenarios().get(0);
    }

    private static OutcomeResult outcome(ScenarioResult r, String text) {
        return r.outcomes().stream().filter(o -> o.text().equals(text)).findFirst().orElseThrow();
    }
}
