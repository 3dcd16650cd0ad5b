package dev.mmu.interp.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioRunner;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TextReportTest {

    /**
     * COLUMNS=80: every line fits but the scenario's header, the replay command and the figures
     * explored, which are not broken.
     */
    @Test
    void aReportFitsAnEightyColumnTerminal() {
        for (String file : new String[] {"holds.mmu", "fails.mmu"}) {
            FileResult f = new ScenarioRunner().runFile(Path.of("src/test/resources/engine", file));
            for (ScenarioResult r : f.scenarios()) {
                String text = TextReport.scenario(r, 80);
                assertThat(text).contains("explored ").contains("expect never use_after_free");
                text.lines().skip(1).filter(l -> !l.startsWith("  replay: ") && !l.startsWith("  explored "))
                        .forEach(l -> assertThat(l.length()).as("%s: %s", file, l).isLessThanOrEqualTo(80));
            }
        }
    }
}
