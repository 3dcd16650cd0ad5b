package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Verdict;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every scenario of every .mmu file under examples/ must hold (until the JUnit engine replaces this). */
class ExamplesTest {
    @TestFactory
    Stream<DynamicTest> everyExampleHolds() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(Path.of("."))) {
            files = s.filter(p -> p.toString().endsWith(".mmu") && !p.toString().contains("target")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        return files.stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
            Loaded loaded = ScenarioLoader.load(f);
            assertThat(loaded.diagnostics()).isEmpty();
            assertThat(loaded.scenarios()).isNotEmpty();
            for (CompiledScenario sc : loaded.scenarios()) {
                ExploreResult<VmState> r = Explorer.explore(new MmuSystem(sc.program()), sc.expectations(),
                        sc.options());
                assertThat(r.verdict()).as(sc.name() + ": " + r.outcomes()).isEqualTo(Verdict.PASS);
            }
        }));
    }
}
