package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, item 3: `mmu test --jobs 2` killed (SIGKILL) while it writes its reports leaves only
 * complete report files, and the next run into the same --out replaces them
 * (none is refused as "not written by mmu") and removes the killed run's temp files.
 */
@EnabledOnOs({OS.LINUX, OS.MAC})
class KillDuringReportsTest {
    private static final List<String> REPORTS = List.of("mmu-report.txt", "mmu-report.json", "mmu-junit.xml",
            "mmu-report.tap", "mmu-report.ktap", "mmu-report.html");

    @TempDir
    Path dir;

    @Test
    void aKillAtAnyPointLeavesCompleteReportsThatTheNextRunReplaces() throws Exception {
        Path suite = Files.createDirectories(dir.resolve("suite"));
        for (String f : new String[] {"fails.mmu", "outline.mmu"}) {
            Files.copy(Path.of("src/test/resources/engine", f), suite.resolve(f));
        }
        Files.copy(Path.of("src/test/resources/seed/seed-yield-pre-fix.mmu"), suite.resolve("seed.mmu"));
        Path reports = dir.resolve("reports");
        // Kill points: at the first file of the reports (its temp file or the manifest); midway.
        List<Predicate<Path>> killWhen = List.of(
                out -> count(out, n -> !n.startsWith(".mmu-probe")) >= 1,
                out -> count(out, REPORTS::contains) >= 3);
        for (Predicate<Path> when : killWhen) {
            Process p = start(suite, reports, dir.resolve("printed-" + System.nanoTime()));
            while (p.isAlive() && !when.test(reports)) Thread.onSpinWait();
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            assertComplete(reports);
        }
        Process again = start(suite, reports, dir.resolve("last"));
        assertThat(again.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(again.exitValue()).as(Files.readString(dir.resolve("last"))).isEqualTo(ExitCode.FAIL);
        assertComplete(reports);
        try (Stream<Path> left = Files.list(reports)) {
            assertThat(left.map(f -> f.getFileName().toString()))
                    .containsExactlyInAnyOrderElementsOf(Stream.concat(REPORTS.stream(), Stream.of(".mmu-reports")).toList());
        }
    }

    private static Process start(Path suite, Path reports, Path printed) throws IOException {
        // C1 only: these runs are short, and start-up is most of their time.
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "test", "--jobs", "2",
                "--format", "text,json,junit,tap,ktap,html", "--out", reports.toString(), suite.toString())
                .redirectErrorStream(true).redirectOutput(printed.toFile()).start();
    }

    private static long count(Path dir, Predicate<String> name) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(name).count();
        } catch (IOException e) {
            return 0; // not there yet
        }
    }

    /** Every report present is whole: its format's ending is there and it parses. */
    private static void assertComplete(Path reports) throws Exception {
        for (String name : REPORTS) {
            Path f = reports.resolve(name);
            if (!Files.exists(f)) continue;
            String text = Files.readString(f, StandardCharsets.UTF_8);
            switch (name) {
                case "mmu-report.txt" -> assertThat(text).as(name).containsPattern("\\d+ passed, \\d+ failed.*\\n$");
                case "mmu-report.json" -> {
                    try (JsonParser json = new JsonFactory().createParser(text)) {
                        while (json.nextToken() != null) {
                            // a truncated file throws
                        }
                    }
                }
                case "mmu-junit.xml" -> DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(f.toFile());
                case "mmu-report.tap" -> {
                    java.util.regex.Matcher plan = java.util.regex.Pattern.compile("(?m)^1\\.\\.(\\d+)$").matcher(text);
                    assertThat(plan.find()).as(name).isTrue();
                    assertThat(text.lines().filter(l -> l.matches("(not )?ok \\d+ .*")).count()).as(name)
                            .isEqualTo(Long.parseLong(plan.group(1)));
                }
                case "mmu-report.ktap" -> assertThat(text).as(name).contains("# Totals:");
                default -> assertThat(text).as(name).endsWith("</html>\n");
            }
        }
    }
}
