package dev.mmu.interp.prelude;

import static dev.mmu.interp.prelude.PreludeStepper.finish;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.Op;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The prelude's direct_page_fault and direct_map (kernel/mmu.mmu, v6.12) as the shadow MMU's and
 * the L2 guest's accesses compile them, and a user path of the same name in their place.
 */
class DirectPageFaultPreludeTest {
    private static Loaded load(String mmu, String access, String paths) {
        return ScenarioLoader.load("direct.mmu", """
                %s
                scenario "s" {
                  vm {
                    mmu %s
                    nx_huge_pages on
                  }
                  memslot 0 { gpa 0x0 size 4M backing 2M }
                  thread vcpu 0 { %s }
                  expect never stats_consistent
                }
                """.formatted(paths, mmu, access));
    }

    private static List<String> ops(Loaded loaded) {
        assertThat(loaded.diagnostics()).isEmpty();
        Op[] ops = loaded.scenarios().get(0).program().threads().get(0).ops();
        return Arrays.stream(ops).map(Op::describe).toList();
    }

    private static final String[] DIRECT_PAGE_FAULT = {"kvm_faultin_pfn", "write_lock(mmu_lock)", "is_page_fault_stale",
        "kvm_mmu_hugepage_adjust, shadow_walk_init", "for_each_shadow_entry: read SPTE", "mmu_set_spte", "link_shadow_page",
        "account_nx_huge_page()", "shadow_walk_next", "unlock mmu_lock, srcu"};

    @Test
    void theShadowMmusFaultRunsThePreludesDirectMap() {
        assertThat(ops(load("shadow", "exec 0x1000", ""))).contains("vcpu 0 exec").containsSubsequence(DIRECT_PAGE_FAULT);
    }

    @Test
    void theL2GuestsFaultRunsItToo() {
        List<String> ops = ops(load("both", "nested exec 0x1000", ""));
        assertThat(ops).contains("vcpu 0 exec").containsSubsequence(DIRECT_PAGE_FAULT);
        assertThat(ops).as("not the TDP fault").doesNotContain("tdp_mmu_link_sp");
    }

    /** The NX page the exec fault's 4K table stands for is accounted, unless a patch drops that. */
    private static long nxSplits(String paths) {
        MmuSystem m = new MmuSystem(load("shadow", "exec 0x1000", paths).scenarios().get(0).program());
        return finish(m, m.initial(), 0).stat(Stat.nx_lpage_splits);
    }

    @Test
    void aUserPathNamedDirectMapReplacesIt() {
        assertThat(nxSplits("")).isEqualTo(1);
        // The patch forgets account_nx_huge_page(): recovery would never find the split.
        assertThat(nxSplits("""
                path direct_map(fault: fault) {
                  for it in for_each_shadow_entry(fault) {
                    if it.level == fault.goal_level {
                      mmu_set_spte(fault, it)
                      break
                    }
                    link_shadow_page(fault, it)
                  }
                }
                """)).isZero();
    }
}
