package dev.mmu.examples;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A goto is no step of its own (docs/kernel-model.md, "Goto"): the prelude's fault paths in the
 * kernel's goto form (`goto out_unlock`, `goto retry`) give the states, transitions, depth and
 * verdicts that their if/break forms (the prelude's text before gotos existed) gave, pasted as user
 * paths that replace them, on the examples of the folders whose scenarios fault most. (GotoOpsTest
 * compares their ops; states.sh compares every example's row against the table before.)
 */
class GotoShapesTest {
    /** direct_page_fault, kvm_tdp_mmu_page_fault and kvm_tdp_mmu_map as the prelude had them: an if for `goto out_unlock`, break for `goto retry`. */
    private static final String IF_AND_BREAK = """
            path direct_page_fault(fault: fault) {
              lock write
              if !is_page_fault_stale(fault) {
                direct_map(fault)
              }
            }

            path kvm_tdp_mmu_page_fault(fault: fault) {
              lock read
              if !is_page_fault_stale(fault) {
                kvm_tdp_mmu_map(fault)
              }
            }

            path kvm_tdp_mmu_map(fault: fault) {
              rcu_read_lock()
              for iter in tdp_mmu_for_each_pte(fault) {
                if is_frozen_spte(iter.old_spte) {
                  break
                }
                if iter.level == fault.goal_level {
                  tdp_mmu_map_handle_target_level(fault, iter)
                  break
                }
                if tdp_mmu_link_sp(fault, iter) != 0 {
                  tdp_mmu_free_unused_sp()
                  break
                }
                if fault.huge_page_disallowed && fault.req_level >= iter.level {
                  lock write tdp_mmu_pages_lock
                  if nx_huge_page_disallowed(iter.sp) {
                    track_possible_nx_huge_page(iter.sp)
                  }
                  unlock tdp_mmu_pages_lock
                }
              }
              rcu_read_unlock()
            }
            """;
    private static final Set<String> FOLDERS = Set.of("tdp", "shadow", "nested", "nx");
    private static final List<String> NAMES = List.of("direct_page_fault", "kvm_tdp_mmu_page_fault", "kvm_tdp_mmu_map");

    @TestFactory
    Stream<DynamicTest> ifAndBreakFormsGiveTheSameRows() throws Exception {
        return Scenarios.examples().stream().filter(f -> FOLDERS.contains(f.getName(f.getNameCount() - 2).toString()))
                .filter(f -> NAMES.stream().noneMatch(n -> SameRows.read(f).contains("path " + n + "(")))
                .map(f -> DynamicTest.dynamicTest(f.toString(), () -> sameRows(f)));
    }

    private static void sameRows(Path f) {
        SameRows.check(f, SameRows.read(f) + "\n" + IF_AND_BREAK, "the fault paths if/break-shaped");
    }
}
