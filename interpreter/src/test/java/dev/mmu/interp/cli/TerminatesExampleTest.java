package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `expect terminates` cannot be written as an expected failure in an example, so this test checks
 * examples/invariants/terminates.mmu with `expect terminates` swapped into its livelocking scenario:
 * it must fail with the cycle as a lasso, while the scenario with the forward-progress guard holds.
 */
class TerminatesExampleTest {
    static final Path EXAMPLES = Path.of("../examples");

    @TempDir
    Path dir;

    @Test
    void unguardedWalksLivelockAndGuardedOnesTerminate() throws IOException {
        Path invariants = Files.createDirectories(dir.resolve("invariants"));
        Files.createDirectories(dir.resolve("tdp"));
        Files.copy(EXAMPLES.resolve("tdp/forward-progress.mmu"), dir.resolve("tdp/forward-progress.mmu"));
        String text = Files.readString(EXAMPLES.resolve("invariants/terminates.mmu"));
        String marker = "expect never lock_balance  # TerminatesExampleTest swaps in `expect terminates` here";
        assertThat(text).contains(marker);
        Path f = invariants.resolve("terminates.mmu");
        Files.writeString(f, text.replace(marker, "expect terminates"));

        CliRun r = CliRun.of("check", f.toString());

        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.out())
                .contains("FAIL    " + f + "  \"two unguarded walks restart each other forever\"")
                .contains("FAIL    expect terminates")
                .contains("cycle starts here")
                .contains("PASS    " + f + "  \"guarded walks and a vCPU write terminate\"");
    }
}
