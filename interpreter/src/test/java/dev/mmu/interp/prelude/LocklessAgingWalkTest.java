package dev.mmu.interp.prelude;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioResult.OutcomeResult;
import dev.mmu.interp.run.ScenarioRunner;
import dev.mmu.runtime.explore.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The language of v7.2's lockless aging walk (kernel/tdp_mmu.mmu __kvm_tdp_mmu_age_gfn_range):
 * for_each_tdp_mmu_root_rcu() (`valid_tdp_mmu_roots_rcu`, `tdp_mmu_roots_rcu`), which needs
 * rcu_read_lock() and no mmu_lock, and tdp_root_for_each_leaf_pte(), whose body sees the present
 * leaves only, with the iter.old_spte its step read.
 */
class LocklessAgingWalkTest {
    @TempDir
    Path dir;

    private static final String WALK = """
            global n = 0
            global same = 1

            path walk() {
              rcu_read_lock()
              for root in valid_tdp_mmu_roots_rcu {
                for iter in tdp_root_for_each_leaf_pte(root, 0, 512) {
                  n = n + 1
                  let now = kvm_tdp_mmu_read_spte(iter.gfn, iter.level)
                  if now != iter.old_spte {
                    same = 0
                  }
                }
              }
              rcu_read_unlock()
            }
            """;

    /** Two 4K leaves under one L1 table: the body runs twice, never on a table, and with no mmu_lock no lockdep. */
    @Test
    void theLeafWalkVisitsThePresentLeavesWithTheirValuesAndNoMmuLock() throws Exception {
        ScenarioResult r = run(WALK + """
                scenario "leaves" {
                  vm { nx_huge_pages off }
                  memslot 0 { gpa 0x0 size 2M backing 4K }
                  vcpus 1
                  setup {
                    vcpu 0 read 0x1000
                    vcpu 0 read 0x3000
                  }
                  thread mm { walk() }
                  expect final n == 2
                  expect final same == 1
                  expect never lockdep
                }
                """);
        assertThat(r.outcomes()).allMatch(o -> o.verdict() == Verdict.PASS, "every outcome passes");
    }

    /** list_for_each_entry_rcu() outside a read-side section: CONFIG_PROVE_RCU's splat. */
    @Test
    void theRcuRootLoopOutsideRcuReadLockIsLockdep() throws Exception {
        ScenarioResult r = run("""
                scenario "no rcu" {
                  memslot 0 { gpa 0x0 size 2M backing 4K }
                  vcpus 1
                  setup { vcpu 0 read 0x1000 }
                  thread mm {
                    for root in valid_tdp_mmu_roots_rcu {
                      break
                    }
                  }
                  expect violation lockdep
                }
                """);
        OutcomeResult lockdep = r.outcomes().get(0);
        assertThat(lockdep.verdict()).isEqualTo(Verdict.PASS);
        assertThat(lockdep.steps()).anyMatch(s -> s.text().contains("for_each_tdp_mmu_root_rcu(KVM_VALID_ROOTS) outside rcu_read_lock()"));
    }

    /** The leaf walk's value is its own: tdp_pte's iterator has no old_spte, and the builtin root is no root loop's. */
    @Test
    void oldSpteIsTheLeafWalksAndTheLeafWalkTakesALoopsRoot() throws Exception {
        Path file = dir.resolve("errors.mmu");
        Files.writeString(file, """
                path a() {
                  rcu_read_lock()
                  for root in valid_tdp_mmu_roots_rcu {
                    for iter in tdp_pte(root, 0 .. 512) {
                      let x = iter.old_spte
                    }
                  }
                  rcu_read_unlock()
                }

                path b() {
                  for iter in tdp_root_for_each_leaf_pte(root, 0, 512) {
                  }
                }

                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { a(); b() }
                }
                """);
        FileResult f = new ScenarioRunner().runFile(file);
        assertThat(f.diagnosticsText()).contains("tdp_pte's iterator has no field 'old_spte'")
                .contains("'tdp_root_for_each_leaf_pte' walks a root a root loop gave");
    }

    private ScenarioResult run(String text) throws Exception {
        Path file = dir.resolve("walk.mmu");
        Files.writeString(file, text);
        FileResult f = new ScenarioRunner().runFile(file);
        assertThat(f.diagnosticsText()).isEmpty();
        return f.scenarios().get(0);
    }
}
