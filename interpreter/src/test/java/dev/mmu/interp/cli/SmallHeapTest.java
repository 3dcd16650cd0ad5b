package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, item 3: a scenario that explodes in a 64 MiB heap ends UNKNOWN with what it covered,
 * not with an OutOfMemoryError, and `mmu test` goes on to the next file and its summary.
 */
class SmallHeapTest {
    @TempDir
    Path dir;

    @Test
    void aHeapThatFillsUpIsUnknownWithItsCoverage() throws Exception {
        Path suite = Files.createDirectories(dir.resolve("suite"));
        Files.copy(Path.of("src/test/resources/reliability/heap-explode-64m.mmu"), suite.resolve("a.mmu"));
        Files.copy(Path.of("src/test/resources/engine/outline.mmu"), suite.resolve("b.mmu"));
        Path out = dir.resolve("out.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "test", "--no-portfolio", "--time", "60s", suite.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
        String text = Files.readString(out, StandardCharsets.UTF_8);

        assertThat(p.exitValue()).as(text).isEqualTo(ExitCode.UNKNOWN);
        assertThat(text).containsPattern("UNKNOWN expect never use_after_free  \\(stopped \\(memory\\) after \\d+ states, depth \\d+[;)]")
                .containsPattern("UNKNOWN expect terminates  \\(fair-cycle search stopped \\(memory\\) after \\d+ states")
                .contains("PASS    " + suite.resolve("b.mmu"))
                .endsWith("2 passed, 0 failed, 1 unknown\n")
                .doesNotContain("OutOfMemoryError", "\tat ");
    }
}
