package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.mmu.interp.report.JsonReport;
import dev.mmu.interp.report.JunitXmlReport;
import dev.mmu.interp.report.TapReport;
import dev.mmu.interp.report.TextReport;
import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.RunResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.interp.run.ScenarioRunner;
import dev.mmu.interp.run.TagFilter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * An internal fault (a model or explorer bug) in one scenario is that scenario's ERROR: the other
 * scenarios still run, every report counts it, and the run exits 3 after its summary. The fault
 * is injected through the runner's option overrides, on the first scenario only.
 */
class InternalFaultTest {
    private static RunResult runWithAFaultInTheFirstScenario() {
        AtomicBoolean first = new AtomicBoolean(true);
        ScenarioRunner runner = new ScenarioRunner(o -> {
            if (first.getAndSet(false)) throw new IllegalStateException("injected fault");
            return o;
        }, TagFilter.all());
        FileResult f = runner.runFile(Path.of("src/test/resources/engine/outline.mmu"));
        return new RunResult(List.of(f), 1);
    }

    @Test
    void theFaultyScenarioIsAnErrorAndTheOthersRun() {
        RunResult run = runWithAFaultInTheFirstScenario();
        assertThat(run.scenarios().map(s -> s.status())).containsExactly(Status.ERROR, Status.PASS);
        assertThat(run.summary()).isEqualTo("1 passed, 0 failed, 1 error");
        assertThat(CheckCommand.exitCode(run)).isEqualTo(ExitCode.INTERNAL);
        assertThat(new TextReport().render(run))
                .contains("ERROR   src/test/resources/engine/outline.mmu  \"ratio [ratio=1]\"")
                .contains("internal error: java.lang.IllegalStateException: injected fault")
                .contains("PASS    src/test/resources/engine/outline.mmu  \"ratio [ratio=4]\"")
                .endsWith("1 passed, 0 failed, 1 error\n");
        assertThat(TextReport.brief(run.scenarios().findFirst().orElseThrow())).contains("injected fault");
    }

    @Test
    void everyReportCountsTheError() throws IOException {
        RunResult run = runWithAFaultInTheFirstScenario();
        String json = new JsonReport().render(run);
        Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(Files.readString(Path.of("../docs/report-schema.json")));
        assertThat(schema.validate(json, InputFormat.JSON)).isEmpty();
        assertThat(json).contains("\"errors\" : 1", "\"status\" : \"ERROR\"", "injected fault");
        assertThat(new JunitXmlReport().render(run)).contains("errors=\"1\"", "<error message=\"", "outline.mmu:2: internal error: ");
        assertThat(new TapReport().render(run)).contains("not ok 1 - ", "severity: error");
    }
}
