package dev.mmu.interp.prelude;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.paths.Op;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The prelude's fast_page_fault (kernel/mmu.mmu, v6.12) as a write access compiles it, and a user
 * path of the same name in its place.
 */
class FastPageFaultPreludeTest {
    private static Loaded load(String paths) {
        return ScenarioLoader.load("fast.mmu", """
                %s
                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M flags dirty_log }
                  thread vcpu 0 { write 0x1000 }
                  expect never dirty_log_lost
                }
                """.formatted(paths));
    }

    private static List<String> ops(Loaded loaded) {
        assertThat(loaded.diagnostics()).isEmpty();
        Op[] ops = loaded.scenarios().get(0).program().threads().get(0).ops();
        return Arrays.stream(ops).map(Op::describe).toList();
    }

    @Test
    void aWriteRunsThePreludesRetryLoopBeforeTheSlowPath() {
        assertThat(ops(load(""))).containsSubsequence("vcpu 0 write", "kvm_faultin_pfn", "read_lock(mmu_lock)",
                "ret = RET_PF_INVALID", "retry_count = 0", "fast_pf_fix_direct_spte", "retry_count = retry_count + 1",
                "fast_pf_get_last_sptep", "return from fast_page_fault");
    }

    @Test
    void aUserPathOfTheSameNameReplacesIt() {
        // The patch: never fix without mmu_lock, always the slow path (RET_PF_INVALID).
        List<String> patched = ops(load("""
                path fast_page_fault(fault: fault) {
                  let ret = RET_PF_INVALID
                }
                """));
        assertThat(patched).contains("ret = RET_PF_INVALID", "return from fast_page_fault").doesNotContain("fast_pf_fix_direct_spte");
    }

    @Test
    void aReplacementWithoutRetIsAnError() {
        Loaded loaded = load("""
                path fast_page_fault(fault: fault) {
                  let r = 4
                }
                """);
        assertThat(loaded.diagnostics()).map(Diagnostic::message)
                .anyMatch(m -> m.contains("fast_page_fault must declare `let ret`"));
    }

    @Test
    void itsPrimitivesBelongInFastPageFault() {
        Loaded loaded = load("""
                path elsewhere(fault: fault) {
                  let fixed = fast_pf_fix_direct_spte(fault)
                }
                path kvm_tdp_mmu_page_fault(fault: fault) {
                  lock read
                  elsewhere(fault)
                }
                """);
        assertThat(loaded.diagnostics()).map(Diagnostic::message)
                .anyMatch(m -> m.contains("'fast_pf_fix_direct_spte' belongs in fast_page_fault"));
    }
}
