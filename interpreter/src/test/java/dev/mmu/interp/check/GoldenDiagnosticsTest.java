package dev.mmu.interp.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.diag.Diagnostic;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden files, jlox style: each {@code diagnostics/*.mmu} carries its expected errors as
 * {@code # expect error: LINE:COL message} comments; the file must produce exactly those.
 */
class GoldenDiagnosticsTest {

    private static final Pattern EXPECT = Pattern.compile("#\\s*expect error: (\\d+:\\d+ .*)$");

    static Stream<String> files() throws IOException {
        try (Stream<Path> list = Files.list(dir())) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".mmu")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void reportsExactlyTheExpectedErrors(String name) throws IOException {
        Path file = dir().resolve(name);
        List<String> expected = Files.readAllLines(file).stream()
                .map(EXPECT::matcher)
                .filter(Matcher::find)
                .map(m -> m.group(1).strip())
                .toList();

        LoadResult result = new Frontend().load(file);
        List<String> actual = result.diagnostics().stream()
                .filter(Diagnostic::isError)
                .map(d -> d.pos().line() + ":" + d.pos().column() + " " + d.message())
                .toList();

        assertThat(expected).as("a golden file expects at least one error").isNotEmpty();
        assertThat(actual).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(result.scenarios()).isEmpty();
    }

    private static Path dir() {
        try {
            return Path.of(GoldenDiagnosticsTest.class.getResource("/diagnostics").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
