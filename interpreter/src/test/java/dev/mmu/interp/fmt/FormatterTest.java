package dev.mmu.interp.fmt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.parse.SourceLayout;
import dev.mmu.interp.parse.SourceParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** fmt is idempotent, keeps every comment, and never changes what a file means. */
class FormatterTest {

    private static final Path RESOURCES = Path.of("src/test/resources");

    /** Every .mmu under test resources that parses (golden diagnostics, seeds, fmt inputs). */
    static Stream<Path> parsingFiles() throws IOException {
        try (Stream<Path> walk = Files.walk(RESOURCES)) {
            return walk.filter(p -> p.toString().endsWith(".mmu")).sorted().toList().stream()
                    .filter(p -> parse(p.toString(), read(p)).isPresent());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("parsingFiles")
    void formattingIsIdempotentAndKeepsTheMeaning(Path file) {
        String text = read(file);
        SourceFile before = parse(file.toString(), text).orElseThrow();
        String once = Formatter.format(before, text);
        SourceFile after = parse(file.toString(), once).orElseThrow();

        assertThat(AstShape.of(after)).isEqualTo(AstShape.of(before));
        assertThat(Formatter.format(after, once)).isEqualTo(once);
        assertThat(SourceLayout.of(once).comments()).extracting(SourceLayout.Comment::text)
                .containsExactlyInAnyOrderElementsOf(
                        SourceLayout.of(text).comments().stream().map(SourceLayout.Comment::text).toList());
    }

    /** Comments at the end of every line and on a line of their own between every two lines. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("parsingFiles")
    void commentsEverywhereSurviveAndSettle(Path file) {
        StringBuilder commented = new StringBuilder();
        int n = 0;
        for (String line : read(file).lines().toList()) {
            boolean inString = line.chars().filter(c -> c == '"').count() % 2 == 1;
            boolean hasComment = line.contains("#") || line.contains("//");
            commented.append(line).append(inString || hasComment || line.isBlank() ? "" : "  # t" + n++).append('\n');
            commented.append("# own").append(n++).append('\n');
        }
        String text = commented.toString();
        Optional<SourceFile> before = parse(file.toString(), text);
        assertThat(before).as(text).isPresent();
        String once = Formatter.format(before.get(), text);
        SourceFile after = parse(file.toString(), once).orElseThrow();
        assertThat(AstShape.of(after)).isEqualTo(AstShape.of(before.get()));
        assertThat(Formatter.format(after, once)).as(once).isEqualTo(once);
        assertThat(SourceLayout.of(once).comments()).extracting(SourceLayout.Comment::text)
                .containsExactlyInAnyOrderElementsOf(
                        SourceLayout.of(text).comments().stream().map(SourceLayout.Comment::text).toList());
    }

    @Test
    void messyFileComesOutCanonical() {
        Path file = RESOURCES.resolve("fmt/messy.mmu");
        String text = read(file);
        String expected = read(RESOURCES.resolve("fmt/messy.formatted"));
        assertThat(Formatter.format(parse("messy.mmu", text).orElseThrow(), text)).isEqualTo(expected);
    }

    @Test
    void parenthesesComeBackOnlyWherePrecedenceNeedsThem() {
        String text = "path p() { assert ((1 - (2 - 3)) * (4 + 5)) == -(6) && (a || b) && !(c.d) }\n";
        String out = Formatter.format(parse("p.mmu", text).orElseThrow(), text);
        assertThat(out).contains("assert (1 - (2 - 3)) * (4 + 5) == -6 && (a || b) && !c.d");
    }

    @Test
    void aShapeIgnoresPositionsButNotContent() {
        String a = "path p() { read 0x1000 }\n";
        String b = "path p() {\n\n   read 4096\n}\n";
        String c = "path p() { read 0x2000 }\n";
        assertThat(AstShape.of(parse("a", a).orElseThrow())).isEqualTo(AstShape.of(parse("b", b).orElseThrow()))
                .isNotEqualTo(AstShape.of(parse("c", c).orElseThrow()));
    }

    @Test
    void durationsUseTheLargestExactUnit() {
        assertThat(Formatter.duration(120_000)).isEqualTo("2m");
        assertThat(Formatter.duration(90_000)).isEqualTo("90s");
        assertThat(Formatter.duration(1500)).isEqualTo("1500ms");
    }

    static Optional<SourceFile> parse(String name, String text) {
        Diagnostics d = new Diagnostics();
        Optional<SourceFile> file = SourceParser.parse(name, text, d);
        return d.hasErrors() ? Optional.empty() : file;
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
