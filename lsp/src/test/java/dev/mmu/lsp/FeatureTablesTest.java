package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.Builtins.Kind;
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
}
