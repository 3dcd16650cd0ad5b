package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.fmt.AstShape;
import dev.mmu.interp.fmt.Formatter;
import dev.mmu.interp.parse.SourceParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * `mmu fmt` over every example: every example is already in canonical form (what `mmu fmt --check
 * examples` checks), formatting keeps the meaning, and formatting twice changes nothing more.
 */
class FormatExamplesTest {
    @TestFactory
    Stream<DynamicTest> formattingEveryExampleIsIdempotent() throws IOException {
        List<Path> files = Scenarios.examples();
        assertThat(files).isNotEmpty();
        return files.stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
            String text = Files.readString(f);
            SourceFile ast = parse(f.toString(), text);
            String once = Formatter.format(ast, text);
            assertThat(once).as("%s is not in canonical form: run ./mmu fmt %s", f, f).isEqualTo(text);
            SourceFile again = parse(f.toString(), once);
            assertThat(AstShape.of(again)).isEqualTo(AstShape.of(ast));
            assertThat(Formatter.format(again, once)).isEqualTo(once);
        }));
    }

    private static SourceFile parse(String name, String text) {
        Diagnostics d = new Diagnostics();
        SourceFile file = SourceParser.parse(name, text, d).orElseThrow();
        assertThat(d.hasErrors()).isFalse();
        return file;
    }
}
