package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `mmu check --workers` prints the same report at any number of workers; `--shard I/N` writes
 * the part's result and `mmu merge` combines the parts (exit codes 0, 1, 4 as `check`), naming
 * missing parts; bad flags and bad files are bad input.
 */
class WorkersAndShardsCliTest {
    private static final String FIXED = "src/test/resources/seed/seed-yield-fixed.mmu";

    @TempDir
    Path dir;

    /** The pre-fix seed with `expect never use_after_free`: a FAIL with a trace. */
    private String preFix() throws IOException {
        String text = Files.readString(Path.of("src/test/resources/seed/seed-yield-pre-fix.mmu"));
        Path f = dir.resolve("pre-fix.mmu");
        if (!Files.exists(f)) Files.writeString(f, text.replace("expect violation use_after_free", "expect never use_after_free"));
        return f.toString();
    }

    /** The JSON report without its timing and memory figures, which are the only things allowed to differ. */
    private static String withoutTiming(String json) {
        return json.replaceAll("\"(elapsedMillis|statesPerSecond|approxBytesPerState|peakHeapBytes)\" : [0-9.E-]+", "");
    }

    @Test
    void theReportIsTheSameAtAnyNumberOfWorkers() throws IOException {
        String first = null;
        for (String workers : new String[] {"1", "2", "4"}) {
            CliRun r = CliRun.of("check", "-q", "--strategy", "bfs", "--workers", workers, "--format", "json", FIXED, preFix());
            assertThat(r.code()).as(r.err()).isEqualTo(1); // the pre-fix seed's `expect never` fails
            String report = withoutTiming(r.out());
            assertThat(report).contains("\"statesStored\"");
            if (first == null) first = report;
            else assertThat(report).as(workers + " workers").isEqualTo(first);
        }
    }

    @Test
    void shardsMergeIntoTheWholeVerdict() throws IOException {
        for (int i = 1; i <= 3; i++) {
            CliRun r = CliRun.of("check", "-q", "--shard", i + "/3", "--out", dir.toString(), FIXED, preFix());
            assertThat(r.code()).as(r.err()).isIn(0, 1);
            assertThat(dir.resolve("mmu-shard-" + i + "-of-3.json")).exists();
        }
        CliRun whole = CliRun.of("check", "-q", FIXED, preFix());
        CliRun merged = CliRun.of("merge", dir.resolve("mmu-shard-1-of-3.json").toString(),
                dir.resolve("mmu-shard-2-of-3.json").toString(), dir.resolve("mmu-shard-3-of-3.json").toString());
        assertThat(merged.code()).as(merged.out() + merged.err()).isEqualTo(whole.code()).isEqualTo(1);
        assertThat(merged.out()).contains("FAIL    " + preFix())
                .contains("PASS    src/test/resources/seed/seed-yield-fixed.mmu").contains("schedule ")
                .endsWith("1 passed, 1 failed\n");
        // the part's note names its shard once (it read "shard 1/3: ...; shard 1/3 of the search ...")
        assertThat(merged.out()).containsPattern("shard \\d/3 of the search").doesNotContainPattern("shard (\\d)/3: .*shard \\1/3");

        CliRun partial = CliRun.of("merge", dir.resolve("mmu-shard-1-of-3.json").toString(),
                dir.resolve("mmu-shard-3-of-3.json").toString());
        assertThat(partial.out()).contains("missing shards 2");
        assertThat(partial.code()).isIn(1, 4); // a failure found by a present part still fails
    }

    @Test
    void aMissingPartOfAPassingCheckIsUnknown() {
        for (int i = 1; i <= 2; i++) {
            assertThat(CliRun.of("check", "-q", "--shard", i + "/2", "--out", dir.toString(), FIXED).code()).isZero();
        }
        CliRun both = CliRun.of("merge", dir.resolve("mmu-shard-1-of-2.json").toString(),
                dir.resolve("mmu-shard-2-of-2.json").toString());
        assertThat(both.code()).as(both.out()).isZero();
        CliRun one = CliRun.of("merge", dir.resolve("mmu-shard-2-of-2.json").toString());
        assertThat(one.code()).isEqualTo(4);
        assertThat(one.out()).contains("UNKNOWN").contains("missing shards 1").endsWith("missing shards 1 of 2\n");
    }

    @Test
    void badFlagsAndFilesAreBadInput() throws IOException {
        for (String shard : new String[] {"0/2", "3/2", "x", "1/0"}) {
            CliRun r = CliRun.of("check", "--shard", shard, FIXED);
            assertThat(r.code()).as(shard).isEqualTo(2);
            assertThat(r.err()).as(shard).startsWith("mmu: ").contains("shard");
        }
        CliRun w = CliRun.of("check", "--workers", "0", FIXED);
        assertThat(w.code()).isEqualTo(2);
        assertThat(w.err()).contains("--workers must be 1 or more");
        Path junk = Files.writeString(dir.resolve("junk.json"), "{\"shardIndex\": 1}");
        CliRun r = CliRun.of("merge", junk.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("not a shard result");
        CliRun none = CliRun.of("merge", dir.resolve("absent.json").toString());
        assertThat(none.code()).isEqualTo(2);
    }
}
