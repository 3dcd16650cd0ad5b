package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioFiles;
import dev.mmu.interp.run.ScenarioLoader;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/**
 * Runs after the default Surefire execution (see pom.xml): reads its XML reports and checks that
 * "Tests run:" counted every scenario, so a trigger that silently ran nothing turns the build red.
 */
class SurefireCountCheck {
    @Test
    void surefireCountedEveryScenario() throws Exception {
        Path reports = Path.of("target/surefire-reports");
        assertThat(reports).as("the default Surefire execution writes its reports first").isDirectory();
        // The trigger's own report: other TEST-*.xml files there may be left from older builds.
        Path xml = reports.resolve("TEST-" + ExamplesTest.class.getName() + ".xml");
        assertThat(xml).as("Surefire ran the trigger class").exists();
        Element root = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile()).getDocumentElement();
        long testsRun = Long.parseLong(root.getAttribute("tests"));
        long scenarios = 0;
        for (Path f : ScenarioFiles.find(List.of(Path.of(".")))) {
            Loaded loaded = ScenarioLoader.load(f);
            scenarios += loaded.hasErrors() ? 1 : loaded.scenarios().size();
        }
        assertThat(scenarios).isPositive();
        assertThat(testsRun).as("Surefire's Tests run: against the scenarios under examples/").isEqualTo(scenarios);
    }
}
