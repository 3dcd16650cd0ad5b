package dev.mmu.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The release archive as a user gets it: unpacked into an empty folder, its launcher run from there. */
class ReleaseArchiveTest {
    @TempDir
    Path empty;

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.exitValue() + "\n" + out;
    }

    @Test
    void theLauncherChecksAnExampleFromAnEmptyFolder() throws Exception {
        Path archive = Path.of(System.getProperty("archive"));
        assertThat(archive).exists();
        assertThat(run(empty, "tar", "xzf", archive.toString())).startsWith("0\n");
        Path home = empty.resolve(archive.getFileName().toString().replace(".tar.gz", ""));
        assertThat(home.resolve("lib/mmu-interpreter.jar")).exists();
        assertThat(home.resolve("lib/mmu-lsp.jar")).exists();
        assertThat(Files.isExecutable(home.resolve("bin/mmu"))).isTrue();
        assertThat(run(empty, home.resolve("bin/mmu").toString(), "--version")).isEqualTo("0\nmmu 0.1.0\n");
        String check = run(empty, home.resolve("bin/mmu").toString(), "check", "-q",
                home.resolve("examples/nx/seed-yield-fixed.mmu").toString());
        assertThat(check).startsWith("0\n").contains("holds for every interleaving");
        // Linked into a folder on PATH, as an install would do.
        Path link = Files.createSymbolicLink(empty.resolve("mmu"), home.resolve("bin/mmu"));
        assertThat(run(empty, link.toString(), "--version")).isEqualTo("0\nmmu 0.1.0\n");
        assertThat(List.of(home.resolve("bin/mmu-lsp"), home.resolve("README.md"))).allMatch(Files::exists);
    }
}
