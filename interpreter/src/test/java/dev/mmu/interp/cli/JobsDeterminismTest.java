package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, item 5: `mmu test` at --jobs 1 and --jobs 2 prints and writes byte-identical
 * verdicts, traces, notes and state counts; only the timing figures (milliseconds, states per
 * second, heap) may differ, and they are blanked before comparing.
 */
class JobsDeterminismTest {
    @TempDir
    Path dir;

    @Test
    void verdictsTracesAndCountsAreTheSameAtAnyJobs() throws IOException {
        Path suite = Files.createDirectories(dir.resolve("suite"));
        for (String f : List.of("holds.mmu", "fails.mmu", "typo.mmu", "outline.mmu")) {
            Files.copy(Path.of("src/test/resources/engine", f), suite.resolve(f));
        }
        for (String f : List.of("deadlock.mmu", "lock_balance.mmu", "stale_tlb_at_unlock.mmu", "use_after_free.mmu")) {
            Files.copy(Path.of("../examples/invariants", f), suite.resolve(f));
        }

        Map<String, String> serial = run(1, suite.toString());
        Map<String, String> parallel = run(2, suite.toString());

        assertThat(serial.get("mmu-report.json")).contains("\"schedule\"", "\"statesStored\"");
        assertThat(serial.get("mmu-report.txt")).contains("counterexample", "replay:");
        for (String key : serial.keySet()) {
            assertThat(parallel.get(key)).as("--jobs 2 vs 1: " + key).isEqualTo(serial.get(key));
        }
    }

    /** What the run printed and each report it wrote, timing blanked. */
    private Map<String, String> run(int jobs, String... paths) throws IOException {
        Path out = dir.resolve("out-" + jobs + "-" + System.nanoTime());
        String[] args = new String[paths.length + 7];
        System.arraycopy(new String[] {"test", "--jobs", Integer.toString(jobs), "--format", "text,json,junit,tap,ktap",
                "--out", out.toString()}, 0, args, 0, 7);
        System.arraycopy(paths, 0, args, 7, paths.length);
        CliRun r = CliRun.of(args);
        Map<String, String> seen = new LinkedHashMap<>();
        seen.put("exit", Integer.toString(r.code()));
        seen.put("stdout", untimed(r.out()));
        seen.put("stderr", untimed(r.err()));
        for (String f : List.of("mmu-report.txt", "mmu-report.json", "mmu-junit.xml", "mmu-report.tap", "mmu-report.ktap")) {
            seen.put(f, untimed(Files.readString(out.resolve(f))));
        }
        return seen;
    }

    /** Blanks the figures that measure time or memory, in every format's spelling. */
    static String untimed(String s) {
        return s.replaceAll("\\d[\\d,.]* ?(ms|s)\\b", "T")
                .replaceAll("[\\d,.]+ states/s", "R")
                .replaceAll("peak heap [\\d,.]+ [KMG]iB", "H")
                .replaceAll("\"(elapsedMillis|statesPerSecond|approxBytesPerState|peakHeapBytes)\" ?: ?[\\d.E+-]+", "\"$1\":X")
                .replaceAll("(time|timestamp)=\"[^\"]*\"", "$1=\"X\"")
                .replaceAll("duration_ms: [\\d.]+", "duration_ms: X");
    }
}
