package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.nio.file.Files;
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
                  break
                }
                if fault.huge_page_disallowed && fault.req_level >= iter.level {
                  lock write tdp_mmu_pages_lock
                  atomic {
                    if nx_huge_page_disallowed(iter.sp) {
                      track_possible_nx_huge_page(iter.sp)
                    }
                    unlock tdp_mmu_pages_lock
                  }
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
                .filter(f -> NAMES.stream().noneMatch(n -> read(f).contains("path " + n + "(")))
                .map(f -> DynamicTest.dynamicTest(f.toString(), () -> sameRows(f)));
    }

    private static void sameRows(Path f) {
        String text = read(f);
        Loaded original = ScenarioLoader.load(f.toString(), text);
        Loaded variant = ScenarioLoader.load(f.toString(), text + "\n" + IF_AND_BREAK);
        assertThat(variant.hasErrors()).as("%s if/break-shaped: %s", f, variant.diagnostics()).isFalse();
        assertThat(variant.scenarios()).hasSameSizeAs(original.scenarios());
        for (int i = 0; i < original.scenarios().size(); i++) {
            CompiledScenario before = original.scenarios().get(i);
            ExploreResult<VmState> was = check(before);
            ExploreResult<VmState> now = check(variant.scenarios().get(i));
            String what = f + ": " + before.name() + ", the fault paths if/break-shaped";
            // verdicts, not traces: a user path's statements have positions of their own
            assertThat(verdicts(now)).as("%s: verdicts", what).isEqualTo(verdicts(was));
            assertThat(Scenarios.counts(now)).as("%s: states, transitions, depth", what).isEqualTo(Scenarios.counts(was));
        }
    }

    private static List<String> verdicts(ExploreResult<VmState> r) {
        return r.outcomes().stream().map(o -> o.text() + " " + o.verdict()).toList();
    }

    private static ExploreResult<VmState> check(CompiledScenario sc) {
        return Explorer.explore(new MmuSystem(sc.program()), sc.expectations(), sc.options());
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
