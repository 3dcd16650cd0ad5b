package dev.mmu.interp.explain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.check.Frontend;
import dev.mmu.interp.check.LoadResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden files: each {@code explain/X.mmu} beside {@code X.explain.txt}, the exact output of
 * {@code mmu explain} with the folder left out of positions. Regenerate a golden file with
 * {@code ./mmu explain F.mmu} and read the diff before committing it.
 */
class ExplainerGoldenTest {

    private static final Path DIR = Path.of("src/test/resources/explain");

    static Stream<String> files() throws IOException {
        try (Stream<Path> list = Files.list(DIR)) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".mmu")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void printsTheGoldenExplanation(String name) throws IOException {
        LoadResult r = new Frontend().load(DIR.resolve(name));
        assertThat(r.diagnostics()).isEmpty();
        String actual = Explainer.explain(r.scenarios(), r.sources()).replace(DIR + "/", "");
        String expected = Files.readString(DIR.resolve(name.replace(".mmu", ".explain.txt")));
        assertThat(actual).isEqualTo(expected);
    }
}
