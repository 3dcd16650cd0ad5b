package dev.mmu.interp.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioRunner;
import dev.mmu.runtime.explore.ExploreResult;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TextReportTest {

    /**
     * COLUMNS=80: every line of `mmu check` and `mmu test` fits but the replay command, which is
     * not broken (the figures explored and the header with a long scenario name were one line of
     * 100-odd columns; invalidated-root's trace threw StringIndexOutOfBoundsException at this width).
     */
    @Test
    void aReportFitsAnEightyColumnTerminal() {
        for (String file : new String[] {"src/test/resources/engine/holds.mmu", "src/test/resources/engine/fails.mmu",
                "../examples/ad-bits/invalidated-root.mmu"}) {
            FileResult f = new ScenarioRunner().runFile(Path.of(file));
            for (ScenarioResult r : f.scenarios()) {
                String text = TextReport.scenario(r, 80);
                assertThat(text).contains("explored ").contains(" ms\n  (").contains("expect ");
                String brief = TextReport.brief(r, 80);
                assertThat(brief.replaceAll("\\s+", " ")).contains("\"" + r.name() + "\"");
                (text + brief).lines().filter(l -> !l.startsWith("  replay: "))
                        .forEach(l -> assertThat(l.length()).as("%s: %s", file, l).isLessThanOrEqualTo(80));
            }
        }
    }

    /**
     * Partial-order reduction is said once per scenario, in words that say what it means for the
     * verdict (it was repeated on every expectation line as "partial-order reduction: fewer steps
     * at N states"); the JSON keeps it in each expectation's note.
     */
    @Test
    void partialOrderReductionIsSaidOncePerScenarioInPlainWords() {
        ScenarioResult r = new ScenarioRunner().runFile(Path.of("../examples/ad-bits/invalidated-root.mmu"))
                .scenarios().get(0);
        assertThat(r.outcomes()).hasSizeGreaterThan(1)
                .allSatisfy(o -> assertThat(o.note()).startsWith(ExploreResult.PARTIAL_ORDER_NOTE));
        String text = TextReport.scenario(r, 100);
        assertThat(text).doesNotContain("partial-order").doesNotContain("fewer steps")
                .containsOnlyOnce("were run in one order only").contains("cannot change a verdict")
                .contains("--no-por");
        assertThat(text.lines().filter(l -> l.contains("expect ")))
                .hasSize(r.outcomes().size()).noneMatch(l -> l.contains("("));
    }
}
