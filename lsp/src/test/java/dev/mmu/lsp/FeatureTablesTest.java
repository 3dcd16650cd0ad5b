package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.Builtins.Kind;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The server's own word lists stay keywords of Mmu.g4, and every built-in has a hover. */
class FeatureTablesTest {

    @Test
    void contextWordsAreLexerKeywords() {
        assertThat(Completions.allKeywords())
                .containsAll(Completions.EXPECTATION_WORDS)
                .containsAll(Completions.LOCK_NAMES)
                .containsAll(Completions.PREEMPT_MODELS)
                .contains("scenario", "path", "mmu_lock");
    }

    @Test
    void everyBuiltinHasAHoverNamingWhatItModels() {
        for (Kind kind : Kind.values()) {
            for (String name : Builtins.namesOf(kind)) {
                String text = "# hover\n" + name + "\n";
                assertThat(Hovers.at(text, 1, 0))
                        .as("hover on %s", name)
                        .hasValueSatisfying(h -> assertThat(h.getContents().getRight().getValue())
                                .contains("**" + name + "**", Hovers.kindLabel(kind),
                                        "Models `" + Builtins.lookup(name).orElseThrow().kernelFunction() + "`"));
            }
        }
    }

    /**
     * Hovers of some built-ins against what docs/language.md (§5, §6 Primitives) says they model
     * and which mmu_lock mode they need, written out by hand rather than read from Builtins.
     */
    @Test
    void hoversNameTheDocumentedKernelFunctionAndLock() {
        Map<String, String[]> documented = Map.of(
                "kvm_tdp_mmu_zap_gfn_range", new String[] {"kernel path", "kvm_tdp_mmu_zap_gfn_range", ""},
                "memslot_delete", new String[] {"kernel path", "kvm_set_memslot", ""},
                "tdp_zap_sp", new String[] {"primitive", "kvm_tdp_mmu_zap_sp", "held for write"},
                "prepare_zap", new String[] {"primitive", "kvm_mmu_prepare_zap_page", "held for write"},
                "set_spte", new String[] {"primitive", "tdp_mmu_set_spte", "held for write"},
                "split_huge", new String[] {"primitive", "tdp_mmu_split_huge_page", "Needs `mmu_lock` held."},
                "cmpxchg_spte", new String[] {"primitive", "fast_pf_fix_direct_spte", ""});
        documented.forEach((name, want) -> assertThat(Hovers.at("# hover\n" + name + "\n", 1, 0))
                .as("hover on %s", name)
                .hasValueSatisfying(h -> assertThat(h.getContents().getRight().getValue())
                        .contains("**" + name + "**", want[0], want[1]).contains(want[2])));
        assertThat(Hovers.at("# hover\ncmpxchg_spte\n", 1, 0).orElseThrow().getContents().getRight().getValue())
                .as("the lockless cmpxchg needs no mmu_lock").doesNotContain("Needs `mmu_lock`");
    }
}
