package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, item 3: an --out that cannot be written is found before the run (exit 2), and one
 * that fills up while the reports are written keeps the verdict's exit code (FAIL stays 1, a
 * pass becomes 2), with a message naming the file and the system's reason. Read-only and full
 * file systems are small tmpfs mounts in a user namespace ({@code unshare -rm}), which also
 * works as root, where a read-only folder would not stop the writes.
 */
class ReportOutTest {
    private static final String FAILS = "src/test/resources/engine/fails.mmu";
    private static final String PASSES = "src/test/resources/engine/holds.mmu";

    @TempDir
    Path dir;

    @Test
    void aFileInTheWayOfOutIsBadInputBeforeTheRun() throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");

        for (Path out : new Path[] {file, file.resolve("sub")}) {
            CliRun r = CliRun.of("check", "-q", "--format", "text,json", "--out", out.toString(), FAILS);
            assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.BAD_INPUT);
            assertThat(r.err()).startsWith("mmu: cannot write reports to " + out + ": ");
            assertThat(r.out()).as("nothing ran").isEmpty();
        }
    }

    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void aReadOnlyFolderIsBadInputBeforeTheRun() throws IOException {
        Path out = Files.createDirectories(dir.resolve("ro"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("r-xr-xr-x"));
        assumeFalse(Files.isWritable(out), "running as root: the tmpfs test below covers it");

        CliRun r = CliRun.of("test", "-q", "--format", "junit", "--out", out.toString(), FAILS);

        assertThat(r.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).isEqualTo("mmu: cannot write reports to " + out + ": permission denied\n");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void aReadOnlyFileSystemIsBadInputBeforeTheRun() throws Exception {
        Result r = inTmpfs("ro", "", "check", "-q", "--format", "text,junit", FAILS);

        assertThat(r.code).as(r.text).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.text).isEqualTo("mmu: cannot write reports to " + r.out + ": Read-only file system\n");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void aFullFileSystemIsBadInputBeforeTheRun() throws Exception {
        Result r = inTmpfs("size=4k", "head -c 4096 /dev/zero > \"$OUT/filler\"",
                "test", "-q", "--format", "text,junit", FAILS);

        assertThat(r.code).as(r.text).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.text).isEqualTo("mmu: cannot write reports to " + r.out + ": No space left on device\n");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void aDiskThatFillsUpKeepsAFailsExitCodeAndTurnsAPassIntoTwo() throws Exception {
        // 16K: the 4K probe and the text report fit, the HTML report (tens of KB) does not.
        Result failed = inTmpfs("size=16k", "", "check", "-q", "--format", "text,html", FAILS);
        // 8K: the probe fits, not three reports and the manifest.
        Result passed = inTmpfs("size=8k", "", "check", "-q", "--format", "text,json,html", PASSES);

        assertThat(failed.code).as(failed.text).isEqualTo(ExitCode.FAIL);
        assertThat(failed.text).contains("FAIL").contains("mmu: cannot write " + failed.out + "/mmu-report.html: No space left on device");
        assertThat(passed.code).as(passed.text).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(passed.text).contains("PASS").contains("mmu: cannot write " + passed.out + "/mmu-report.")
                .endsWith(": No space left on device\n");
        assertThat(failed.left).as("complete reports only; no temp file").isSubsetOf(List.of("mmu-report.txt", ".mmu-reports"));
    }

    private record Result(int code, String text, Path out, List<String> left) {}

    /**
     * Runs the CLI in a child JVM with --out on a fresh tmpfs mounted with the given options in a
     * new user and mount namespace; prepare is a shell command run first ($OUT is the folder).
     * Skips the test where unprivileged namespaces are not allowed.
     */
    private Result inTmpfs(String options, String prepare, String... args) throws Exception {
        Path out = Files.createTempDirectory(dir, "out");
        Path log = dir.resolve("log.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cli = String.join(" ", quoted(args));
        // The last line lists what is left in the tmpfs: it is gone once the namespace ends.
        String script = "mount -t tmpfs -o " + (options.isEmpty() ? "" : options + ",") + "mode=0777 none \"$OUT\" || exit 99\n"
                + (prepare.isEmpty() ? "" : prepare + "\n")
                + "\"$JAVA\" -cp \"$CP\" " + Main.class.getName() + " " + cli + " --out \"$OUT\"\n"
                + "code=$?\necho \"left: $(ls -A \"$OUT\" | tr '\\n' ' ')\"\nexit $code\n";
        ProcessBuilder pb = new ProcessBuilder("unshare", "-rm", "sh", "-c", script).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("OUT", out.toString());
        pb.environment().put("JAVA", java);
        pb.environment().put("CP", System.getProperty("java.class.path"));
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assumeTrue(p.exitValue() != 99 && !text.contains("unshare:"), "no unprivileged tmpfs here: " + text);
        int at = text.lastIndexOf("left:");
        List<String> left = new ArrayList<>(List.of(text.substring(at + 5).strip().split(" ")));
        left.removeIf(String::isEmpty);
        return new Result(p.exitValue(), text.substring(0, at), out, left);
    }

    private static List<String> quoted(String... args) {
        List<String> q = new ArrayList<>();
        for (String a : args) q.add("'" + a.replace("'", "'\\''") + "'");
        return q;
    }
}
