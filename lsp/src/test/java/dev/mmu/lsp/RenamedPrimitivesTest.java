package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.eclipse.lsp4j.CompletionItem;
import org.junit.jupiter.api.Test;

/**
 * A primitive the kernel renamed (Prelude.PRIMITIVE_RENAMES): completion offers the name of the
 * version the position pins, and hover on the other version's name says it is the checker's error.
 */
class RenamedPrimitivesTest {
    private static final String FILE = "file:///tmp/r.mmu";

    private static String scenario(String kernel, String call) {
        return "scenario \"s\" {\n  vm { " + kernel + " }\n  thread t {\n    lock write\n    " + call + "\n    unlock\n  }\n}\n";
    }

    private static List<String> primitivesOffered(String kernel) {
        return Completions.at(FILE, scenario(kernel, ""), 4, 4).stream()
                .filter(i -> i.getDetail() != null && i.getDetail().startsWith("primitive: "))
                .map(CompletionItem::getLabel).toList();
    }

    @Test
    void completionOffersThePinnedVersionsName() {
        assertThat(primitivesOffered("kernel latest")).contains("kvm_mmu_invalidate_start", "kvm_tdp_mmu_invalidate_roots")
                .doesNotContain("kvm_mmu_invalidate_begin", "kvm_tdp_mmu_invalidate_all_roots");
        assertThat(primitivesOffered("kernel 6.12")).contains("kvm_mmu_invalidate_begin", "kvm_tdp_mmu_invalidate_all_roots")
                .doesNotContain("kvm_mmu_invalidate_start", "kvm_tdp_mmu_invalidate_roots");
    }

    @Test
    void hoverOnTheOtherVersionsNameSaysItIsAnError() {
        String latest = scenario("kernel 7.2", "kvm_mmu_invalidate_begin(0, 4K)");
        assertThat(hover(latest)).contains("Models `kvm_mmu_invalidate_begin` (v6.12)",
                "Kernel 7.2 calls it `kvm_mmu_invalidate_start`: this name is kernel 5.10-6.12's, an error here.");
        String old = scenario("kernel 5.12", "kvm_mmu_invalidate_begin(0, 4K)");
        assertThat(hover(old)).doesNotContain("an error here");
        assertThat(hover(scenario("kernel 6.12", "kvm_tdp_mmu_invalidate_roots()")))
                .contains("Kernel 6.12 calls it `kvm_tdp_mmu_invalidate_all_roots`: this name is kernel 6.18-7.3's");
    }

    private static String hover(String text) {
        return Hovers.at(FILE, text, 4, 6).orElseThrow().getContents().getRight().getValue();
    }
}
