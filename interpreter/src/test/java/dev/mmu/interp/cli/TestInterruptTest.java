package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** Ctrl-C in `mmu test`, sent as a real SIGINT to a real JVM: partial summary once, reports, exit 4. */
@EnabledOnOs({OS.LINUX, OS.MAC})
class TestInterruptTest {
    @TempDir
    Path dir;

    @Test
    void sigintStopsTheRunWithItsSummaryOnceAndExitFour() throws Exception {
        Path suite = Files.createDirectories(dir.resolve("suite"));
        // a.mmu is quick; b.mmu runs far longer than the test waits; c.mmu never starts.
        Files.copy(Path.of("src/test/resources/engine/holds.mmu"), suite.resolve("a.mmu"));
        Files.copy(Path.of("../bench/scenarios/seed-fixed-4vcpus.mmu"), suite.resolve("b.mmu"));
        Files.copy(Path.of("src/test/resources/engine/holds.mmu"), suite.resolve("c.mmu"));
        Path out = dir.resolve("out.txt");
        Path reports = dir.resolve("reports");
        List<String> command = new ArrayList<>(defaultSigint());
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "test", "--format", "text,junit", "--out", reports.toString(), suite.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        waitFor(() -> read(out).contains("a.mmu"), 60);
        Thread.sleep(500); // b.mmu's search is under way
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("ends soon after Ctrl-C").isTrue();
        String text = read(out);
        assertThat(p.exitValue()).as(text).isEqualTo(ExitCode.UNKNOWN);
        assertThat(text).contains("UNKNOWN").contains("interrupted: 1 of 3 files not run").doesNotContain("c.mmu");
        assertThat(text.split("interrupted:", -1)).as("the summary is printed once").hasSize(2);
        assertThat(Files.readString(reports.resolve("mmu-report.txt"))).contains("1 passed, 0 failed, 1 unknown");
        assertThat(reports.resolve("mmu-junit.xml")).exists();
    }

    /**
     * A build started in the background by a shell without job control ignores SIGINT, and so does
     * every JVM under it: HotSpot installs no handler for an ignored signal. A user's terminal does
     * not ignore it, so the child gets the default back (GNU env 8.31+; elsewhere as inherited).
     */
    private static List<String> defaultSigint() throws Exception {
        Process probe = new ProcessBuilder("env", "--default-signal=INT", "true").redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        return probe.waitFor() == 0 ? List.of("env", "--default-signal=INT") : List.of();
    }

    private static String read(Path f) throws IOException {
        return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void waitFor(Check c, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!c.ok()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out");
            Thread.sleep(50);
        }
    }
}
