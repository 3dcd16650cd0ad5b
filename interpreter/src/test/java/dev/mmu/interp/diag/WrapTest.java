package dev.mmu.interp.diag;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class WrapTest {
    @Test
    void aWordLongerThanTheLineIsCutAfterABracketNotInsideAName() {
        List<String> lines = Wrap.wrap(List.of("if !list_empty(possible_nx_huge_pages[KVM_TDP_MMU])"), 44);
        assertThat(lines).containsExactly("if", "  !list_empty(possible_nx_huge_pages[", "  KVM_TDP_MMU])");
    }

    /** A clause's repeat count stays whole: at COLUMNS=80 "(x" ended a line and "21,846)" began the next. */
    @Test
    void aRepeatCountIsNotBrokenInside() {
        List<String> lines = Wrap.wrap(List.of("fast_pf_fix_direct_spte: cmpxchg lost the race (SPTE changed) (x 21,846)"), 66);
        assertThat(lines).containsExactly("fast_pf_fix_direct_spte: cmpxchg lost the race (SPTE changed)", "  (x 21,846)");
        // an expression's "(x" is an ordinary word
        assertThat(Wrap.wrap(List.of("let y = (x + 1) * 2"), 10)).containsExactly("let y = (x", "  + 1) * 2");
    }

    @Test
    void aWordWithoutABreakPointNearTheEndIsCutAtTheLine() {
        List<String> lines = Wrap.wrap(List.of("x(" + "a".repeat(30)), 20);
        assertThat(lines).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(20));
        assertThat(String.join("", lines).replace(" ", "")).isEqualTo("x(" + "a".repeat(30));
        assertThat(lines.get(0)).isEqualTo("x(aaaaaaaaaaaaaaaaaa");
    }

    @Test
    void everyLineFitsAndNoCharacterIsLost() {
        String clause = "unaccount_nx_huge_page(sp3(L1 gfn 0x0)) with KVM_SHADOW_MMU: nx_lpage_splits=0,"
                + " possible_nx_huge_pages[KVM_SHADOW_MMU].nr_pages=18446744073709551615";
        for (int max = 12; max <= 60; max++) {
            List<String> lines = Wrap.wrap(List.of(clause), max);
            for (String l : lines) assertThat(l.length()).as("max %d: %s", max, l).isLessThanOrEqualTo(max);
            assertThat(String.join("", lines).replace(" ", "")).isEqualTo(clause.replace(" ", ""));
        }
    }
}
