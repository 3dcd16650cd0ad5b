package dev.mmu.interp.prelude;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.interp.run.ScenarioRunner;
import org.junit.jupiter.api.Test;

/**
 * tdp_zap_sp(sp) with the flush it returns dropped, per kernel. 5.12's kvm_tdp_mmu_zap_sp() is
 * __kvm_tdp_mmu_zap_gfn_range() over the huge page sp replaced, in every root newest first, and its
 * teardown of the removed table flushes before call_rcu() (handle_removed_tdp_mmu_page(), until
 * v5.18); 6.12's zaps the one SPTE pointing at sp and leaves the flush to the caller.
 */
class ZapSpPreludeTest {
    /**
     * vCPU 0 split 0-2M to 4K (on the NX list); `more` adds to the setup; one thread zaps the page,
     * `threads` race it.
     */
    private static ScenarioResult run(String kernel, String more, String threads) {
        String text = """
                scenario "tdp_zap_sp, its flush dropped" {
                  vm {
                    mmu tdp
                    nx_huge_pages on
                    kernel %s
                  }
                  memslot 0 { gpa 0x0 size 4M backing 2M }
                  vcpus 2
                  setup {
                    vcpu 0 exec 0x1000
                    %s
                  }
                  thread zap {
                    lock write
                    for sp in lpage_disallowed take 1 {
                      let flush = tdp_zap_sp(sp)
                    }
                    unlock
                  }
                  %s
                  expect never stale_tlb_at_unlock
                }
                """.formatted(kernel, more, threads);
        Loaded loaded = ScenarioLoader.load("zap-sp.mmu", text);
        assertThat(loaded.diagnostics()).isEmpty();
        return new ScenarioRunner().run(loaded.scenarios().get(0));
    }

    @Test
    void under512TheTeardownFlushesWhatTheDroppedFlagOwed() {
        assertThat(run("5.12", "vcpu 1 read 0x1000", "").status()).isEqualTo(Status.PASS);
        assertThat(run("6.12", "vcpu 1 read 0x1000", "").status()).as("the caller owes the flush since v5.18")
                .isEqualTo(Status.FAIL);
    }

    /**
     * vCPU 1 in SMM maps 0-2M with a huge leaf of the newer root, and reads it again meanwhile.
     * 5.12's range zap clears that leaf too, first (the newest root heads the list), so the
     * address-space-0 teardown's flush comes after it and nothing stays cached. Walking the older
     * root first, vCPU 1 could walk the leaf again between that flush and the leaf's zap, whose
     * flush is dropped; 6.12's zap of the one SPTE leaves vCPU 0's table unflushed.
     */
    @Test
    void under512EveryRootIsZappedNewestFirst() {
        String smm = "kvm_smm_changed(1, true)\n    vcpu 1 read 0x1000";
        String reader = "thread vcpu 1 { read 0x1000 }";
        assertThat(run("5.12", smm, reader).status()).isEqualTo(Status.PASS);
        assertThat(run("6.12", smm, reader).status()).isEqualTo(Status.FAIL);
    }
}
